package catalog

import (
	"slices"
	"sort"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A view is stored as its query's text with what it depended on when it
// was created (systable.View); the query engine expands the text each
// time the view is read, in the reader's context. Tables and views share
// one name space per namespace.

// View returns the view namespace.name.
func (s *Snapshot) View(namespace, name string) (*systable.View, bool) {
	v, ok := s.views[systable.TableID(namespace, name)]
	return v, ok
}

// Views returns the views of a namespace ("" for all), sorted by id.
func (s *Snapshot) Views(namespace string) []*systable.View {
	var out []*systable.View
	for _, v := range s.views {
		if namespace == "" || v.NamespaceID == namespace {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ViewID < out[j].ViewID })
	return out
}

// HasViews reports whether any view exists, so that statements need not
// look for views when there are none.
func (s *Snapshot) HasViews() bool { return len(s.views) > 0 }

// TableSignature identifies what a view planned over t relied on: the
// table's type and its columns' names and types, in order. A view may be
// read while the signature of each table it reads is unchanged.
func TableSignature(t *Table) string {
	return signature(string(t.Meta.TableType), len(t.Schema.Columns), func(i int) (string, dialect.DataType) {
		return t.Schema.Columns[i].Name, t.Schema.Columns[i].Type
	})
}

// ViewSignature identifies what a view planned over view v relied on: v's
// columns' names and types, in order.
func ViewSignature(v *systable.View) string {
	return signature("VIEW", len(v.Columns), func(i int) (string, dialect.DataType) {
		return v.Columns[i].Name, v.Columns[i].Type
	})
}

// signature renders "KIND:name TYPE,name TYPE,...".
func signature(kind string, n int, column func(int) (string, dialect.DataType)) string {
	var b strings.Builder
	b.WriteString(kind)
	for i := 0; i < n; i++ {
		name, typ := column(i)
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte(' ')
		b.WriteString(schema.TypeString(typ))
	}
	return b.String()
}

// CreateView stores a view whose namespace and name are resolved and whose
// columns and dependencies the query engine computed. With orReplace an
// existing view is replaced; with ifNotExists an existing one is kept. It
// reports whether the view was written.
func (c *Catalog) CreateView(v *systable.View, orReplace, ifNotExists bool) (bool, error) {
	ns, name := v.NamespaceID, v.ViewName
	if c.cur.Load().SystemSchema(ns) {
		return false, apierror.New(apierror.PermissionDenied, "views cannot be created in the %s namespace", ns)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.namespaces[ns]; !ok {
		return false, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	if _, ok := snap.Table(ns, name); ok {
		if ifNotExists {
			return false, nil
		}
		return false, apierror.New(apierror.AlreadyExists, "%s.%s is a table; a view cannot have its name", ns, name)
	}
	now := c.opts.Now().UTC()
	cp := *v
	cp.ViewID, cp.CreatedAt, cp.UpdatedAt = systable.TableID(ns, name), now, now
	if old, ok := snap.View(ns, name); ok {
		switch {
		case ifNotExists:
			return false, nil
		case !orReplace:
			return false, apierror.New(apierror.AlreadyExists, "view %s.%s already exists (use CREATE OR REPLACE VIEW)", ns, name)
		}
		cp.CreatedAt = old.CreatedAt
	}
	var b kv.Batch
	if err := c.views.PutInBatch(&b, &cp); err != nil {
		return false, err
	}
	next := snap.clone()
	next.views[cp.ViewID] = &cp
	return true, c.commit(&b, next)
}

// DropView drops a view. It reports whether the view existed (false with
// ifExists when it did not). Views built on it are not dropped: reading
// them fails, naming it, until it is created again.
func (c *Catalog) DropView(ns, name string, ifExists bool) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if snap.SystemSchema(ns) {
		return false, apierror.New(apierror.PermissionDenied, "views of %s cannot be dropped", ns)
	}
	if _, ok := snap.namespaces[ns]; !ok {
		if ifExists {
			return false, nil
		}
		return false, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	v, ok := snap.View(ns, name)
	if !ok {
		if _, isTable := snap.Table(ns, name); isTable {
			return false, apierror.New(apierror.InvalidSQL, "%s.%s is a table, not a view (use DROP TABLE)", ns, name)
		}
		if ifExists {
			return false, nil
		}
		return false, apierror.New(apierror.TableNotFound, "view %s.%s does not exist", ns, name)
	}
	var b kv.Batch
	c.views.DeleteInBatch(&b, v.ViewID)
	next := snap.clone()
	delete(next.views, v.ViewID)
	return true, c.commit(&b, next)
}

// completeViews adds to the stored views the dependencies they lack
// (completeDependencies), rows and snapshot in one batch: a crash before
// it leaves the rows as they were, and the next start completes them.
func (c *Catalog) completeViews() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	var b kv.Batch
	var next *Snapshot
	for _, v := range snap.views {
		cp := c.completeDependencies(snap, v)
		if cp == nil {
			continue
		}
		if err := c.views.PutInBatch(&b, cp); err != nil {
			return err
		}
		if next == nil {
			next = snap.clone()
		}
		next.views[cp.ViewID] = cp
	}
	if next == nil {
		return nil
	}
	return c.commit(&b, next)
}

// completeDependencies returns a copy of v with the tables and views its
// query names (Options.ViewReads) that its list lacks, as snap has them
// now, or nil when it lacks none. The list decides who may see the view
// (authz.ReadView) and whether it is still valid: a table added here
// makes the view invalid when its columns change from now on. A query
// that does not parse, or a name that resolves to nothing, adds nothing:
// reading the view fails anyway.
func (c *Catalog) completeDependencies(snap *Snapshot, v *systable.View) *systable.View {
	if c.opts.ViewReads == nil {
		return nil
	}
	reads, err := c.opts.ViewReads(v)
	if err != nil {
		return nil
	}
	var cp *systable.View
	for _, r := range reads {
		deps := v.Dependencies
		if cp != nil {
			deps = cp.Dependencies
		}
		if slices.ContainsFunc(deps, func(d systable.ViewDependency) bool {
			return d.NamespaceID == r.NamespaceID && d.Name == r.Name
		}) {
			continue
		}
		d, ok := snap.dependency(r.NamespaceID, r.Name)
		if !ok {
			continue
		}
		if cp == nil {
			copied := *v
			copied.Dependencies = slices.Clone(v.Dependencies)
			cp = &copied
		}
		cp.Dependencies = append(cp.Dependencies, d)
	}
	return cp
}

// dependency is what a view reading namespace.name depends on, as CREATE
// VIEW records it: a view's columns, a table's type and columns, or a
// system table (which changes only with the server's version).
func (s *Snapshot) dependency(namespace, name string) (systable.ViewDependency, bool) {
	d := systable.ViewDependency{NamespaceID: namespace, Name: name, Kind: systable.DependsOnTable}
	if namespace == SystemNamespace {
		return d, true
	}
	if v, ok := s.View(namespace, name); ok {
		d.Kind, d.Signature = systable.DependsOnView, ViewSignature(v)
		return d, true
	}
	t, ok := s.Table(namespace, name)
	if !ok {
		return d, false
	}
	d.SchemaVersion, d.Signature = t.Schema.Version, TableSignature(t)
	return d, true
}

// notAView is the error of a table statement that names a view.
func notAView(snap *Snapshot, ns, name, statement, instead string) error {
	if _, ok := snap.View(ns, name); ok {
		return apierror.New(apierror.InvalidSQL, "%s.%s is a view: %s does not apply to it (%s)", ns, name, statement, instead)
	}
	return nil
}
