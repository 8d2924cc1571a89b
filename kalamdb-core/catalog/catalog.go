package catalog

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Well-known names.
const (
	// RootUser is the system user that exists from first start.
	RootUser = "root"
	// LocalStorage is the filesystem storage that exists from first start.
	LocalStorage = "local"
	// SystemNamespace holds the system tables; it is not a stored namespace.
	SystemNamespace = "system"
	// InformationSchema and PGCatalog are PostgreSQL's schemas describing
	// the catalog, which the engine answers; they are not stored either.
	InformationSchema = "information_schema"
	PGCatalog         = "pg_catalog"

	defaultUserTablesTemplate   = "{namespace}/{tableName}/{userId}"
	defaultSharedTablesTemplate = "{namespace}/{tableName}"
	// defaultStreamTTLSeconds applies to STREAM tables created without
	// TTL_SECONDS, so a forgotten option never means "keep forever" for
	// data that is meant to be ephemeral.
	defaultStreamTTLSeconds = 3600
	// maxPasswordBytes is bcrypt's input limit; longer passwords would be
	// silently truncated by bcrypt, so they are refused instead.
	maxPasswordBytes = 72
)

// Options configure a Catalog.
type Options struct {
	// RootPassword, when set, is root's password; it replaces root's stored
	// hash at start when they differ, so the config stays the source of
	// truth. Empty keeps the stored hash (none on first start: root may
	// then log in from loopback only).
	RootPassword string
	// BcryptCost is the cost of new password hashes; 0 means
	// bcrypt.DefaultCost.
	BcryptCost int
	// LocalStoragePath is the base directory of the 'local' storage.
	LocalStoragePath string
	// Storage limits where filesystem storages may live; the RocksDB
	// directory is always protected.
	Storage StorageRules
	// CredentialKey (32 bytes, from CredentialKey) seals the credentials
	// of storages at rest; nil stores them as given.
	CredentialKey []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MachineNames gives this machine's own names, which the s3
	// storages' overlap check takes for the loopback store; nil means
	// SystemMachineNames. Asked at each check.
	MachineNames func() MachineNames
	// ViewReads lists what a view's query names directly, each table or
	// view as a dependency with only its namespace and name (the query
	// engine's engine.ViewReads); nil leaves stored views as they are.
	// Older versions recorded too little of what a view reads (a table
	// read only in a WINDOW clause): the catalog adds what a stored view
	// lacks when it opens and when a namespace is restored
	// (completeDependencies).
	ViewReads func(v *systable.View) ([]systable.ViewDependency, error)
}

// Catalog is the run-time metadata of the database. See the package doc.
type Catalog struct {
	db   *kv.DB
	opts Options

	namespaces *systable.Table[systable.Namespace]
	tables     *systable.Table[systable.TableMeta]
	schemas    *systable.Table[systable.TableSchema]
	users      *systable.Table[systable.User]
	storages   *systable.Table[systable.Storage]
	views      *systable.Table[systable.View]

	mu  sync.Mutex // serialises changes
	cur atomic.Pointer[Snapshot]
	// seams are set by this package's tests only (zero: none).
	seams testSeams
	// restoring are the namespaces a restore has reserved (under mu):
	// nothing else may create them until it commits or gives up.
	restoring map[string]bool
}

// CreateWork adds a caller's own rows for a table being created (the
// transactions' record that its keys are clean) to the batch that creates
// it, so they exist exactly when the table does.
type CreateWork func(b *kv.Batch, t *Table)

// DropWork adds a caller's own changes for a table being dropped (the
// tiers: its manifests and the job that deletes its files) to the batch
// that drops it, so they commit together, and returns what to do once the
// drop is over (nil: nothing). The catalog calls after exactly once,
// told whether the batch committed: false when the batch failed or was
// never written (a later work failed), so a work that began something in
// memory (the tiers count a write of the table's manifests in progress)
// ends it on every path. A work that returns an error has begun nothing.
type DropWork func(b *kv.Batch, t *Table) (after func(committed bool), err error)

// NamespaceDropWork is DropWork for a namespace being dropped, called after
// the DropWork of its tables.
type NamespaceDropWork func(b *kv.Batch, namespace string) (after func(committed bool), err error)

// testSeams let this package's tests step into a Catalog's work.
type testSeams struct {
	// write replaces the DB's Write for the batches that commit a catalog
	// change (a failing disk).
	write func(b *kv.Batch) error
	// dropFamily replaces the DB's DropColumnFamily for the families of
	// dropped tables (a drop that fails and leaves the family).
	dropFamily func(name string) error
}

// Open loads the catalog from db, creating the root user and the local
// storage on first start and removing column families that no table owns
// (left by a crash between creating a family and committing its table, or
// between dropping a table and its family).
func Open(db *kv.DB, o Options) (*Catalog, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	c := &Catalog{db: db, opts: o, restoring: map[string]bool{}}
	var err error
	if c.namespaces, err = systable.Open(db, systable.Namespaces); err != nil {
		return nil, err
	}
	if c.tables, err = systable.Open(db, systable.Tables); err != nil {
		return nil, err
	}
	if c.schemas, err = systable.Open(db, systable.TableSchemas); err != nil {
		return nil, err
	}
	if c.users, err = systable.Open(db, systable.Users); err != nil {
		return nil, err
	}
	if c.storages, err = systable.Open(db, systable.Storages); err != nil {
		return nil, err
	}
	if c.views, err = systable.Open(db, systable.Views); err != nil {
		return nil, err
	}
	snap, err := c.load()
	if err != nil {
		return nil, err
	}
	c.cur.Store(snap)
	if err := c.bootstrap(); err != nil {
		return nil, err
	}
	if err := c.completeViews(); err != nil {
		return nil, err
	}
	if err := c.dropOrphanFamilies(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) load() (*Snapshot, error) {
	s := &Snapshot{
		namespaces: map[string]*systable.Namespace{},
		tables:     map[string]*Table{},
		users:      map[string]*systable.User{},
		userByName: map[string][]*systable.User{},
		storages:   map[string]*systable.Storage{},
		views:      map[string]*systable.View{},
	}
	nss, err := c.namespaces.ScanAll()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	for _, n := range nss {
		s.namespaces[n.NamespaceID] = n
	}
	metas, err := c.tables.ScanAll()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	for _, m := range metas {
		sch, err := c.schemas.Get(systable.SchemaID(m.TableID, m.CurrentSchemaVersion))
		if err != nil {
			return nil, fmt.Errorf("load catalog: schema of %s: %w", m.TableID, err)
		}
		s.tables[m.TableID] = newTable(m, sch)
	}
	users, err := c.users.ScanAll()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	for _, u := range users {
		if err := s.addUser(u); err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
	}
	storages, err := c.storages.ScanAll()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	for _, st := range storages {
		s.storages[st.StorageID] = st
	}
	views, err := c.views.ScanAll()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	for _, v := range views {
		s.views[v.ViewID] = v
	}
	return s, nil
}

func newTable(m *systable.TableMeta, s *systable.TableSchema) *Table {
	return &Table{Meta: m, Schema: s, Family: schema.FamilyName(m.TableType, m.NamespaceID, m.TableName)}
}

func (c *Catalog) bootstrap() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	now := c.opts.Now().UTC()
	var b kv.Batch
	next := snap.clone()

	root, ok := snap.users[RootUser]
	switch {
	case !ok:
		root = &systable.User{UserID: RootUser, Username: RootUser, Role: systable.RoleSystem,
			AuthType: "password", CreatedAt: now, UpdatedAt: now}
		if c.opts.RootPassword != "" {
			h, err := c.hash(c.opts.RootPassword)
			if err != nil {
				return err
			}
			root.PasswordHash = h
		}
	case c.opts.RootPassword != "" && bcrypt.CompareHashAndPassword([]byte(root.PasswordHash), []byte(c.opts.RootPassword)) != nil:
		h, err := c.hash(c.opts.RootPassword)
		if err != nil {
			return err
		}
		cp := *root
		cp.PasswordHash, cp.UpdatedAt = h, now
		// A new root password revokes the tokens issued under the old one.
		cp.CredentialVersion++
		root = &cp
	default:
		root = nil
	}
	if root != nil {
		if err := c.users.PutInBatch(&b, root); err != nil {
			return err
		}
		next.putUser(root)
	}
	if st, ok := snap.storages[LocalStorage]; ok && c.opts.LocalStoragePath != "" && st.BaseDirectory != c.opts.LocalStoragePath {
		// The local storage lives under the data directory, wherever the
		// server was configured to put it this time.
		cp := *st
		cp.BaseDirectory, cp.UpdatedAt = c.opts.LocalStoragePath, now
		if err := c.storages.PutInBatch(&b, &cp); err != nil {
			return err
		}
		next.storages[LocalStorage] = &cp
	}
	if _, ok := snap.storages[LocalStorage]; !ok {
		st := &systable.Storage{StorageID: LocalStorage, StorageName: "Local filesystem",
			Description: "Parquet files under the server's data directory", StorageType: "filesystem",
			BaseDirectory: c.opts.LocalStoragePath, UserTablesTemplate: defaultUserTablesTemplate,
			SharedTablesTemplate: defaultSharedTablesTemplate, CreatedAt: now, UpdatedAt: now, PlacedBy: systable.PlacerSystem}
		if err := c.storages.PutInBatch(&b, st); err != nil {
			return err
		}
		next.storages[LocalStorage] = st
	}
	if err := c.db.Write(&b); err != nil {
		return fmt.Errorf("bootstrap catalog: %w", err)
	}
	c.cur.Store(next)
	return nil
}

// dropOrphanFamilies removes table data and index families without a
// table.
func (c *Catalog) dropOrphanFamilies() error {
	snap := c.cur.Load()
	owned := make(map[string]bool, 2*len(snap.tables))
	for _, t := range snap.tables {
		owned[t.Family] = true
		owned[t.IndexFamily()] = true
	}
	for _, name := range c.db.ColumnFamilyNames() {
		isData := strings.HasPrefix(name, "user_table:") || strings.HasPrefix(name, "shared_table:") ||
			strings.HasPrefix(name, "stream_table:") || strings.HasPrefix(name, schema.IndexFamilyPrefix)
		if isData && !owned[name] {
			if err := c.db.DropColumnFamily(name); err != nil {
				return fmt.Errorf("drop orphan column family %s: %w", name, err)
			}
		}
	}
	return nil
}

// Snapshot returns the current catalog snapshot.
func (c *Catalog) Snapshot() *Snapshot { return c.cur.Load() }

// SystemTables lists the persisted system tables for the query engine.
// Jobs, live queries and manifests are added by their owners.
func (c *Catalog) SystemTables() []systable.SQLTable {
	return []systable.SQLTable{c.namespaces, c.tables, c.schemas, c.users, c.storages, c.views}
}

// SchemaHistory returns every schema version of a table, oldest first.
func (c *Catalog) SchemaHistory(tableID string) ([]*systable.TableSchema, error) {
	return c.schemas.ScanPrefix(systable.SchemaPrefix(tableID))
}

func (c *Catalog) hash(password string) (string, error) {
	if password == "" {
		return "", apierror.New(apierror.InvalidInput, "password must not be empty")
	}
	if len(password) > maxPasswordBytes {
		return "", apierror.New(apierror.InvalidInput, "password is longer than %d bytes", maxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), c.opts.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// commit writes b and publishes next; the caller holds c.mu.
func (c *Catalog) commit(b *kv.Batch, next *Snapshot) error {
	write := c.db.Write
	if c.seams.write != nil {
		write = c.seams.write
	}
	if err := write(b); err != nil {
		return fmt.Errorf("commit catalog change: %w", err)
	}
	c.cur.Store(next)
	return nil
}

// SystemSchema reports the schemas whose tables the engine provides
// (system, information_schema, pg_catalog): read-only, never stored, so
// DDL naming them is refused as a system table's is, not answered with
// "namespace does not exist" while a SELECT of them works. A stored
// namespace named pg_catalog (LegacyPGCatalog) is a namespace, not the
// schema.
func (s *Snapshot) SystemSchema(ns string) bool {
	switch ns {
	case SystemNamespace, InformationSchema:
		return true
	case PGCatalog:
		return !s.LegacyPGCatalog()
	}
	return false
}

// LegacyPGCatalog reports a stored namespace named pg_catalog, which
// versions before the name was reserved let CREATE NAMESPACE create (the
// other reserved names were refused by every version). It keeps serving
// that name as it did, tables, DDL and all: the engine's pg_catalog
// (pg_tables, pg_views) is not there until the namespace is dropped. A
// rename would rewrite every key, column family and Parquet path of its
// tables, and refusing to start would leave no way to reach its data but
// the older version; a server reports it at start instead
// (docs/sql.md, "A namespace named pg_catalog (upgrading)").
func (s *Snapshot) LegacyPGCatalog() bool {
	_, ok := s.namespaces[PGCatalog]
	return ok
}
