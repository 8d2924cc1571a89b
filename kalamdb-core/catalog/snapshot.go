package catalog

import (
	"fmt"
	"slices"
	"sort"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Table is a table's metadata with its current schema. Values reachable
// from a Snapshot are immutable: a change builds new ones.
type Table struct {
	Meta   *systable.TableMeta
	Schema *systable.TableSchema
	// Family is the column family holding the table's hot rows.
	Family string
}

// Namespace returns the table's namespace.
func (t *Table) Namespace() string { return t.Meta.NamespaceID }

// Name returns the table's name.
func (t *Table) Name() string { return t.Meta.TableName }

// Type returns the table's type.
func (t *Table) Type() dialect.TableType { return t.Meta.TableType }

// PerUser reports whether the table has one partition per user: USER and
// STREAM tables do, so a session reads, writes and is notified of its
// effective user's rows or events only; a SHARED table is one partition.
func (t *Table) PerUser() bool {
	return t.Meta.TableType == dialect.TableTypeUser || t.Meta.TableType == dialect.TableTypeStream
}

// PartitionOwner is the owner of userID's partition of the table: the user
// for a table partitioned per user, "" (everyone's) for a SHARED one.
func (t *Table) PartitionOwner(userID string) string {
	if t.PerUser() {
		return userID
	}
	return ""
}

// Column returns the current column named name (case-insensitive names are
// stored lower-cased).
func (t *Table) Column(name string) (*systable.ColumnSchema, bool) {
	for i := range t.Schema.Columns {
		if t.Schema.Columns[i].Name == name {
			return &t.Schema.Columns[i], true
		}
	}
	return nil, false
}

// Snapshot is an immutable view of the catalog at one moment.
type Snapshot struct {
	namespaces map[string]*systable.Namespace
	tables     map[string]*Table         // by table id
	users      map[string]*systable.User // by user id
	// userByName holds the same rows by folded user name (FoldUserName):
	// one row, or more for names created before names were folded.
	userByName map[string][]*systable.User
	storages   map[string]*systable.Storage
	views      map[string]*systable.View // by view id ({namespace}:{view})
	// storageGen counts the storage changes (create, alter, drop) since
	// the catalog was opened (StorageGeneration).
	storageGen uint64
}

func (s *Snapshot) clone() *Snapshot {
	c := &Snapshot{
		namespaces: make(map[string]*systable.Namespace, len(s.namespaces)+1),
		tables:     make(map[string]*Table, len(s.tables)+1),
		users:      make(map[string]*systable.User, len(s.users)+1),
		userByName: make(map[string][]*systable.User, len(s.users)+1),
		storages:   make(map[string]*systable.Storage, len(s.storages)+1),
		views:      make(map[string]*systable.View, len(s.views)+1),
		storageGen: s.storageGen,
	}
	for k, v := range s.namespaces {
		c.namespaces[k] = v
	}
	for k, v := range s.tables {
		c.tables[k] = v
	}
	for k, v := range s.users {
		c.users[k] = v
	}
	for k, v := range s.userByName {
		c.userByName[k] = v
	}
	for k, v := range s.storages {
		c.storages[k] = v
	}
	for k, v := range s.views {
		c.views[k] = v
	}
	return c
}

// Namespace returns the named namespace.
func (s *Snapshot) Namespace(name string) (*systable.Namespace, bool) {
	n, ok := s.namespaces[name]
	return n, ok
}

// Namespaces returns every namespace sorted by name.
func (s *Snapshot) Namespaces() []*systable.Namespace {
	out := make([]*systable.Namespace, 0, len(s.namespaces))
	for _, n := range s.namespaces {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NamespaceID < out[j].NamespaceID })
	return out
}

// Table returns the table namespace.name.
func (s *Snapshot) Table(namespace, name string) (*Table, bool) {
	t, ok := s.tables[systable.TableID(namespace, name)]
	return t, ok
}

// TableByID returns the table of id (systable.TableID), as Table does.
func (s *Snapshot) TableByID(id string) (*Table, bool) {
	t, ok := s.tables[id]
	return t, ok
}

// Tables returns the tables of a namespace ("" for all), sorted by id.
func (s *Snapshot) Tables(namespace string) []*Table {
	var out []*Table
	for _, t := range s.tables {
		if namespace == "" || t.Meta.NamespaceID == namespace {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.TableID < out[j].Meta.TableID })
	return out
}

// User returns the user with the given id (tokens, partitions, sessions).
func (s *Snapshot) User(id string) (*systable.User, bool) {
	u, ok := s.users[id]
	return u, ok
}

// UserByName returns the current user called name (what statements and
// logins name), in any case: 'Alice' is alice.
func (s *Snapshot) UserByName(name string) (*systable.User, bool) {
	same := s.userByName[FoldUserName(name)]
	if len(same) == 1 {
		return same[0], true
	}
	// Names an older version let differ only in case: only the exact
	// spelling reaches either, no other picks one of them.
	for _, u := range same {
		if u.Username == name {
			return u, true
		}
	}
	return nil, false
}

// FoldUserName is the form in which user names are compared, and in which
// CREATE USER stores them: lower case, as identifiers are. ('Alice' and
// 'alice' would otherwise be two accounts a person cannot tell apart.)
// Only ASCII letters fold: names are ASCII (ValidateUserName), and Unicode
// folding would make look-alikes such as the Kelvin sign K in "\u212aim"
// another spelling of "kim" on every lookup path (logins, EXECUTE AS,
// ALTER and DROP USER), while the name shown would not be the account's.
func FoldUserName(name string) string { return dialect.ASCIILower(name) }

// Username returns the name of the user with the given id, or the id
// itself when no such user exists (a dropped user, or a caller the
// catalog does not know, such as a test's).
func (s *Snapshot) Username(id string) string {
	if u, ok := s.users[id]; ok {
		return u.Username
	}
	return id
}

// addUser indexes a stored row; a row without a name (none is written
// that way, but the field is older than the check) is named by its id.
func (s *Snapshot) addUser(u *systable.User) error {
	if u.Username == "" {
		cp := *u
		cp.Username = cp.UserID
		u = &cp
	}
	for _, other := range s.userByName[FoldUserName(u.Username)] {
		if other.Username == u.Username && other.UserID != u.UserID {
			return fmt.Errorf("users %s and %s are both named %q", other.UserID, u.UserID, u.Username)
		}
	}
	s.putUser(u)
	return nil
}

// putUser publishes u (a new or changed row) in both indexes.
func (s *Snapshot) putUser(u *systable.User) {
	if old, ok := s.users[u.UserID]; ok {
		s.unindexName(old)
	}
	s.users[u.UserID] = u
	key := FoldUserName(u.Username)
	s.userByName[key] = append(slices.Clip(s.userByName[key]), u)
}

// deleteUser removes u from both indexes.
func (s *Snapshot) deleteUser(u *systable.User) {
	delete(s.users, u.UserID)
	s.unindexName(u)
}

// unindexName removes u's row from the name index. The slices are shared
// with older snapshots, so they are replaced, never changed.
func (s *Snapshot) unindexName(u *systable.User) {
	key := FoldUserName(u.Username)
	rest := slices.DeleteFunc(slices.Clone(s.userByName[key]), func(o *systable.User) bool { return o.UserID == u.UserID })
	if len(rest) == 0 {
		delete(s.userByName, key)
		return
	}
	s.userByName[key] = rest
}

// Users returns every user sorted by id.
func (s *Snapshot) Users() []*systable.User {
	out := make([]*systable.User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// Storage returns the storage with the given id.
func (s *Snapshot) Storage(id string) (*systable.Storage, bool) {
	st, ok := s.storages[id]
	return st, ok
}

// StorageGeneration changes whenever a storage is created, altered or
// dropped: two snapshots of one catalog with the same generation have the
// same storages, whatever changed in between and was undone (a storage
// created and dropped again), which comparing the storages would miss.
func (s *Snapshot) StorageGeneration() uint64 { return s.storageGen }

// Storages returns every storage sorted by id.
func (s *Snapshot) Storages() []*systable.Storage {
	out := make([]*systable.Storage, 0, len(s.storages))
	for _, st := range s.storages {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StorageID < out[j].StorageID })
	return out
}
