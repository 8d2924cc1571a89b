package catalog

import (
	"fmt"
	"sort"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// ReserveNamespace keeps name free for a restore: it fails when the
// namespace exists or another restore holds it, and until release is
// called CREATE NAMESPACE of that name is refused. A restore writes the
// namespace's column families before its catalog rows commit, so no one
// else may create a table of that name meanwhile (its CREATE TABLE would
// open the family the restore is filling).
func (c *Catalog) ReserveNamespace(name string) (release func(), err error) {
	if dialect.ReservedNamespace(name) {
		return nil, apierror.New(apierror.InvalidSQL, "namespace name %q is reserved", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur.Load().namespaces[name]; ok {
		return nil, apierror.New(apierror.AlreadyExists, "namespace %s already exists; RESTORE only restores into a namespace that does not exist (drop it first, or restore elsewhere)", name)
	}
	if c.restoring[name] {
		return nil, apierror.New(apierror.AlreadyExists, "namespace %s is already being restored", name)
	}
	c.restoring[name] = true
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.restoring, name)
	}, nil
}

// Restoring reports whether a restore has namespace name reserved: it may
// be writing the files of its tables, which the catalog does not list
// yet, into their partition directories.
func (c *Catalog) Restoring(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restoring[name]
}

// UserPlan says where the partitions of a backup's users go on this
// server. The rule, by user name (folded, as names are compared):
//
//   - a user of that name exists here: the rows go to that user, who is
//     left as is (role, password, email are this server's); restoring
//     never changes an existing account;
//   - none: the user is created as the backup stored it (role, password
//     hash, email), under the same id when it is free here, else under a
//     new one, with its credential version one past the backup's: the
//     account was dropped since the backup, or never was here, and the
//     tokens issued to it before must not work again (a token names its
//     account by id and credential version).
//
// A partition whose owner had no user row in the backup (a dropped user)
// keeps its id, unless that id belongs to someone here: then the restore
// is refused rather than give a stranger those rows.
type UserPlan struct {
	// IDs maps each backup user id (owners included) to its id here.
	IDs map[string]string
	// Create are the users to create, with their ids here.
	Create []*systable.User
	// Existing maps an existing user's id here to the name it must still
	// have when the restore commits.
	Existing map[string]string
}

// PlanUsers decides where the backup's users go (UserPlan). users are the
// backup's user rows, owners the ids of every partition owner.
func (c *Catalog) PlanUsers(users []*systable.User, owners []string) (*UserPlan, error) {
	return c.planUsers(users, owners, false)
}

// PlanUsersNewIDs is PlanUsers giving every user it creates, and every
// partition owner without a user row, a new id: a backup that is not
// trusted must not give an account the id of a user dropped here, whose
// rows stay in storage and would be that account's, nor put rows under
// such an id, which a trusted restore may give back to its account.
func (c *Catalog) PlanUsersNewIDs(users []*systable.User, owners []string) (*UserPlan, error) {
	return c.planUsers(users, owners, true)
}

func (c *Catalog) planUsers(users []*systable.User, owners []string, newIDs bool) (*UserPlan, error) {
	snap := c.cur.Load()
	p := &UserPlan{IDs: map[string]string{}, Existing: map[string]string{}}
	known := map[string]bool{}
	taken := map[string]bool{}
	names := map[string]bool{}
	sorted := append([]*systable.User(nil), users...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].UserID < sorted[j].UserID })
	for _, u := range sorted {
		if err := keyenc.ValidateUserID(u.UserID); err != nil {
			return nil, apierror.New(apierror.InvalidInput, "backup user id %q: %v", u.UserID, err)
		}
		name := FoldUserName(u.Username)
		if known[u.UserID] || names[name] || keyenc.ValidateUserID(name) != nil {
			return nil, apierror.New(apierror.InvalidInput, "backup user %q (%s) is invalid or listed twice", u.Username, u.UserID)
		}
		known[u.UserID], names[name] = true, true
		if here, ok := snap.UserByName(u.Username); ok {
			p.IDs[u.UserID] = here.UserID
			p.Existing[here.UserID] = here.Username
			continue
		}
		id := u.UserID
		if _, ok := snap.users[id]; ok || taken[id] || newIDs {
			var err error
			if id, err = c.newUserID(snap); err != nil {
				return nil, err
			}
		}
		taken[id] = true
		cp := *u
		cp.UserID, cp.Username = id, FoldUserName(u.Username)
		cp.CredentialVersion++
		p.IDs[u.UserID] = id
		p.Create = append(p.Create, &cp)
	}
	for _, o := range owners {
		if known[o] {
			continue
		}
		if err := keyenc.ValidateUserID(o); err != nil {
			return nil, apierror.New(apierror.InvalidInput, "backup partition owner %q: %v", o, err)
		}
		if newIDs {
			// The owner's id is the backup's word: kept, a forged
			// backup would put rows under an id no account holds now
			// and one may hold later (a dropped system user's, which
			// a trusted restore gives back). A new id is no one's.
			id, err := c.newUserID(snap)
			if err != nil {
				return nil, err
			}
			taken[id] = true
			p.IDs[o] = id
			continue
		}
		if _, ok := snap.users[o]; ok || taken[o] {
			return nil, apierror.New(apierror.AlreadyExists,
				"the backup has rows of user id %s, whose account was dropped before the backup, and that id belongs to a user here; refusing to give them those rows", o)
		}
		p.IDs[o] = o
	}
	return p, nil
}

// NamespaceRestore is what a restore commits in one batch: the namespace
// and every table (with all its schema versions) and view of it, the
// users it creates (UserPlan), and the caller's own rows (Work).
type NamespaceRestore struct {
	Namespace *systable.Namespace
	Tables    []*systable.TableMeta
	Schemas   []*systable.TableSchema
	Views     []*systable.View
	Users     *UserPlan
	// Work adds the caller's rows to the batch (manifests, counters, the
	// _seq lease); its done runs after the write, told whether it
	// succeeded.
	Work func(b *kv.Batch) (done func(written bool), err error)
}

// RestoreNamespace makes a restored namespace visible at once: one batch
// with every catalog row and the caller's work, then one new snapshot. The
// caller holds the namespace's reservation (ReserveNamespace) and has
// filled the tables' column families. Nothing is written when a check
// fails: the namespace appeared, a storage is gone, or a user the plan
// relies on changed.
func (c *Catalog) RestoreNamespace(r *NamespaceRestore) ([]*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	ns := r.Namespace.NamespaceID
	if !c.restoring[ns] {
		return nil, fmt.Errorf("restore of %s: the namespace is not reserved", ns)
	}
	if _, ok := snap.namespaces[ns]; ok {
		return nil, apierror.New(apierror.AlreadyExists, "namespace %s already exists", ns)
	}
	for id, name := range r.Users.Existing {
		if u, ok := snap.users[id]; !ok || u.Username != name {
			return nil, apierror.New(apierror.SQLExecutionError, "user %s changed during the restore; nothing was restored, run it again", name)
		}
	}
	for _, u := range r.Users.Create {
		if _, ok := snap.users[u.UserID]; ok {
			return nil, apierror.New(apierror.SQLExecutionError, "user id %s was taken during the restore; nothing was restored, run it again", u.UserID)
		}
		if _, ok := snap.UserByName(u.Username); ok {
			return nil, apierror.New(apierror.SQLExecutionError, "user %s was created during the restore; nothing was restored, run it again", u.Username)
		}
	}
	schemas := map[string]*systable.TableSchema{}
	for _, s := range r.Schemas {
		schemas[systable.SchemaID(s.TableID, s.Version)] = s
	}
	var b kv.Batch
	next := snap.clone()
	if err := c.namespaces.PutInBatch(&b, r.Namespace); err != nil {
		return nil, err
	}
	next.namespaces[ns] = r.Namespace
	var tables []*Table
	for _, m := range r.Tables {
		if m.StorageID != "" {
			if _, ok := snap.storages[m.StorageID]; !ok {
				return nil, apierror.New(apierror.NotFound, "storage %s of table %s does not exist here; create it before restoring", m.StorageID, m.TableID)
			}
		}
		cur, ok := schemas[systable.SchemaID(m.TableID, m.CurrentSchemaVersion)]
		if !ok {
			return nil, apierror.New(apierror.InvalidInput, "the backup has no schema version %d of table %s", m.CurrentSchemaVersion, m.TableID)
		}
		if err := c.tables.PutInBatch(&b, m); err != nil {
			return nil, err
		}
		t := newTable(m, cur)
		next.tables[m.TableID] = t
		tables = append(tables, t)
	}
	for _, s := range r.Schemas {
		if err := c.schemas.PutInBatch(&b, s); err != nil {
			return nil, err
		}
	}
	for _, v := range r.Views {
		next.views[v.ViewID] = v
	}
	// A backup made by an older version may hold views whose lists lack
	// what they read; they are completed among the restored tables and
	// views.
	for _, v := range r.Views {
		if cp := c.completeDependencies(next, v); cp != nil {
			v = cp
			next.views[v.ViewID] = v
		}
		if err := c.views.PutInBatch(&b, v); err != nil {
			return nil, err
		}
	}
	for _, u := range r.Users.Create {
		if err := c.users.PutInBatch(&b, u); err != nil {
			return nil, err
		}
		next.putUser(u)
	}
	done, err := r.Work(&b)
	if err != nil {
		return nil, err
	}
	err = c.commit(&b, next)
	done(err == nil)
	if err != nil {
		return nil, err
	}
	return tables, nil
}
