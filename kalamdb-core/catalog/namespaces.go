package catalog

import (
	"errors"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// CreateNamespace creates a namespace. It reports whether it was created
// (false with IF NOT EXISTS on an existing one).
func (c *Catalog) CreateNamespace(name string, ifNotExists bool) (bool, error) {
	if dialect.ReservedNamespace(name) {
		return false, apierror.New(apierror.InvalidSQL, "namespace name %q is reserved", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.namespaces[name]; ok {
		if ifNotExists {
			return false, nil
		}
		return false, apierror.New(apierror.AlreadyExists, "namespace %s already exists", name)
	}
	if c.restoring[name] {
		return false, apierror.New(apierror.AlreadyExists, "namespace %s is being restored from a backup", name)
	}
	now := c.opts.Now().UTC()
	ns := &systable.Namespace{NamespaceID: name, CreatedAt: now, UpdatedAt: now}
	var b kv.Batch
	if err := c.namespaces.PutInBatch(&b, ns); err != nil {
		return false, err
	}
	next := snap.clone()
	next.namespaces[name] = ns
	return true, c.commit(&b, next)
}

// AlterNamespace sets a namespace's description.
func (c *Catalog) AlterNamespace(name, description string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	ns, ok := snap.namespaces[name]
	if !ok {
		return apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", name)
	}
	cp := *ns
	cp.Description, cp.UpdatedAt = description, c.opts.Now().UTC()
	var b kv.Batch
	if err := c.namespaces.PutInBatch(&b, &cp); err != nil {
		return err
	}
	next := snap.clone()
	next.namespaces[name] = &cp
	return c.commit(&b, next)
}

// DropNamespace drops a namespace; with cascade also its tables and views,
// whose metadata goes in the same batch, with what tableWork adds for each and
// what nsWork adds for the namespace. It returns the dropped tables so the
// caller can forget them, whether the namespace existed, and the work's
// steps to run now that the batch has committed (also when dropping the
// tables' hot data then failed). When a work or the batch fails, the
// steps of the works that ran have run, told so, before it returns.
func (c *Catalog) DropNamespace(name string, ifExists, cascade bool, tableWork DropWork, nsWork NamespaceDropWork) ([]*Table, bool, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.namespaces[name]; !ok {
		if ifExists {
			return nil, false, nil, nil
		}
		return nil, false, nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", name)
	}
	tables := snap.Tables(name)
	views := snap.Views(name)
	if len(tables)+len(views) > 0 && !cascade {
		what := apierror.Count(len(tables), "table")
		if len(views) > 0 {
			what += ", " + apierror.Count(len(views), "view")
		}
		return nil, true, nil, apierror.New(apierror.SQLExecutionError,
			"namespace %s is not empty (%s); use DROP NAMESPACE %s CASCADE", name, what, name)
	}
	var b kv.Batch
	next := snap.clone()
	var after []func(bool)
	for _, t := range tables {
		a, err := c.deleteTableRows(&b, t, tableWork)
		if err != nil {
			runAll(after, false)
			return nil, true, nil, err
		}
		after = append(after, a)
		delete(next.tables, t.Meta.TableID)
	}
	for _, v := range views {
		c.views.DeleteInBatch(&b, v.ViewID)
		delete(next.views, v.ViewID)
	}
	c.namespaces.DeleteInBatch(&b, name)
	delete(next.namespaces, name)
	if nsWork != nil {
		a, err := nsWork(&b, name)
		if err != nil {
			runAll(after, false)
			return nil, true, nil, err
		}
		after = append(after, a)
	}
	if err := c.commit(&b, next); err != nil {
		runAll(after, false)
		return nil, true, nil, err
	}
	committed := func() { runAll(after, true) }
	// Every table's data is tried: one failure leaves only its own.
	var errs []error
	for _, t := range tables {
		if err := c.DropTableData(t); err != nil {
			errs = append(errs, err)
		}
	}
	return tables, true, committed, errors.Join(errs...)
}
