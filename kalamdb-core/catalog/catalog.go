package catalog

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
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
	// Now is the clock; nil means time.Now.
	Now func() time.Time
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

	mu  sync.Mutex // serialises changes
	cur atomic.Pointer[Snapshot]
}

// DropWork adds a caller's own changes for a table being dropped (the
// tiers: its manifests and the job that deletes its files) to the batch
// that drops it, so they commit together, and returns what to do once that
// batch has committed (nil: nothing).
type DropWork func(b *kv.Batch, t *Table) (after func(), err error)

// NamespaceDropWork is DropWork for a namespace being dropped, called after
// the DropWork of its tables.
type NamespaceDropWork func(b *kv.Batch, namespace string) (after func(), err error)

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
	c := &Catalog{db: db, opts: o}
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
	snap, err := c.load()
	if err != nil {
		return nil, err
	}
	c.cur.Store(snap)
	if err := c.bootstrap(); err != nil {
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
		userByName: map[string]*systable.User{},
		storages:   map[string]*systable.Storage{},
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
			SharedTablesTemplate: defaultSharedTablesTemplate, CreatedAt: now, UpdatedAt: now}
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

// dropOrphanFamilies removes table data families without a table.
func (c *Catalog) dropOrphanFamilies() error {
	snap := c.cur.Load()
	owned := make(map[string]bool, len(snap.tables))
	for _, t := range snap.tables {
		owned[t.Family] = true
	}
	for _, name := range c.db.ColumnFamilyNames() {
		isData := strings.HasPrefix(name, "user_table:") || strings.HasPrefix(name, "shared_table:") ||
			strings.HasPrefix(name, "stream_table:")
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
	return []systable.SQLTable{c.namespaces, c.tables, c.schemas, c.users, c.storages}
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
	if err := c.db.Write(b); err != nil {
		return fmt.Errorf("commit catalog change: %w", err)
	}
	c.cur.Store(next)
	return nil
}

// CreateNamespace creates a namespace. It reports whether it was created
// (false with IF NOT EXISTS on an existing one).
func (c *Catalog) CreateNamespace(name string, ifNotExists bool) (bool, error) {
	if name == SystemNamespace || name == "information_schema" {
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

// DropNamespace drops a namespace; with cascade also its tables, whose
// metadata goes in the same batch, with what tableWork adds for each and
// what nsWork adds for the namespace. It returns the dropped tables so the
// caller can forget them, whether the namespace existed, and the work's
// steps to run now that the batch has committed (also when dropping the
// tables' hot data then failed).
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
	if len(tables) > 0 && !cascade {
		return nil, true, nil, apierror.New(apierror.SQLExecutionError,
			"namespace %s is not empty (%d tables); use DROP NAMESPACE %s CASCADE", name, len(tables), name)
	}
	var b kv.Batch
	next := snap.clone()
	var after []func()
	for _, t := range tables {
		a, err := c.deleteTableRows(&b, t, tableWork)
		if err != nil {
			return nil, true, nil, err
		}
		after = append(after, a)
		delete(next.tables, t.Meta.TableID)
	}
	c.namespaces.DeleteInBatch(&b, name)
	delete(next.namespaces, name)
	if nsWork != nil {
		a, err := nsWork(&b, name)
		if err != nil {
			return nil, true, nil, err
		}
		after = append(after, a)
	}
	if err := c.commit(&b, next); err != nil {
		return nil, true, nil, err
	}
	for _, t := range tables {
		if err := c.DropTableData(t); err != nil {
			return tables, true, runAll(after), err
		}
	}
	return tables, true, runAll(after), nil
}

// deleteTableRows records the removal of a table's metadata into b, with
// what work adds, and returns what work wants run after the commit.
func (c *Catalog) deleteTableRows(b *kv.Batch, t *Table, work DropWork) (func(), error) {
	history, err := c.SchemaHistory(t.Meta.TableID)
	if err != nil {
		return nil, err
	}
	for _, s := range history {
		c.schemas.DeleteInBatch(b, systable.SchemaID(s.TableID, s.Version))
	}
	c.tables.DeleteInBatch(b, t.Meta.TableID)
	if work == nil {
		return nil, nil
	}
	return work(b, t)
}

// runAll is one function that runs every non-nil f in order.
func runAll(fs []func()) func() {
	return func() {
		for _, f := range fs {
			if f != nil {
				f()
			}
		}
	}
}

// CreateTable creates a table from a parsed CREATE TABLE whose namespace is
// resolved. The data column family is created before the metadata commits,
// so a committed table always has its family; a crash in between leaves an
// orphan family that the next Open drops.
func (c *Catalog) CreateTable(st *dialect.CreateTable) (bool, error) {
	ns, name := st.Table.Namespace, st.Table.Name
	if ns == SystemNamespace {
		return false, apierror.New(apierror.PermissionDenied, "tables cannot be created in the system namespace")
	}
	meta, sch, err := c.buildTable(st)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.namespaces[ns]; !ok {
		return false, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	if _, ok := snap.tables[meta.TableID]; ok {
		if st.IfNotExists {
			return false, nil
		}
		return false, apierror.New(apierror.AlreadyExists, "table %s.%s already exists", ns, name)
	}
	if meta.StorageID != "" {
		if _, ok := snap.storages[meta.StorageID]; !ok {
			return false, apierror.New(apierror.NotFound, "storage %s does not exist", meta.StorageID)
		}
	}
	t := newTable(meta, sch)
	if _, err := c.db.ColumnFamily(t.Family); err != nil {
		return false, fmt.Errorf("create table %s: %w", meta.TableID, err)
	}
	var b kv.Batch
	if err := c.tables.PutInBatch(&b, meta); err != nil {
		return false, err
	}
	if err := c.schemas.PutInBatch(&b, sch); err != nil {
		return false, err
	}
	next := snap.clone()
	next.tables[meta.TableID] = t
	return true, c.commit(&b, next)
}

// buildTable validates a CREATE TABLE against the data model and builds its
// metadata and schema version 1.
func (c *Catalog) buildTable(st *dialect.CreateTable) (*systable.TableMeta, *systable.TableSchema, error) {
	now := c.opts.Now().UTC()
	tt := st.TableType
	if tt == "" {
		tt = dialect.TableTypeUser
	}
	meta := &systable.TableMeta{
		TableID: systable.TableID(st.Table.Namespace, st.Table.Name), NamespaceID: st.Table.Namespace,
		TableName: st.Table.Name, TableType: tt, PrimaryKey: st.PrimaryKey,
		CurrentSchemaVersion: 1, CreatedAt: now, UpdatedAt: now,
	}
	o := st.Options
	switch tt {
	case dialect.TableTypeStream:
		if o.StorageID != "" {
			return nil, nil, apierror.New(apierror.InvalidSQL, "STREAM tables are never flushed: STORAGE_ID does not apply")
		}
		meta.TTLSeconds = defaultStreamTTLSeconds
	case dialect.TableTypeShared:
		meta.AccessLevel = "PRIVATE"
	}
	if tt != dialect.TableTypeStream {
		meta.StorageID = LocalStorage
		if o.StorageID != "" {
			meta.StorageID = o.StorageID
		}
	}
	if err := applyOptions(meta, o); err != nil {
		return nil, nil, err
	}
	if len(st.Columns) == 0 {
		return nil, nil, apierror.New(apierror.InvalidSQL, "table %s must have at least one column", meta.TableID)
	}
	sch := &systable.TableSchema{TableID: meta.TableID, Version: 1, Change: "CREATE TABLE", CreatedAt: now}
	for i, cd := range st.Columns {
		if _, err := schema.EngineType(cd.Type); err != nil {
			return nil, nil, err
		}
		isPK := cd.Name == st.PrimaryKey
		if isPK {
			if err := schema.ValidatePrimaryKeyType(cd.Name, cd.Type); err != nil {
				return nil, nil, err
			}
		}
		if err := row.ValidateDefault(cd.Name, cd.Type, cd.Default); err != nil {
			return nil, nil, err
		}
		if isPK && cd.Default != nil && cd.Default.Kind == dialect.DefaultLiteral {
			return nil, nil, apierror.New(apierror.InvalidSQL, "primary key column %s cannot have a constant DEFAULT", cd.Name)
		}
		sch.Columns = append(sch.Columns, systable.ColumnSchema{
			ColumnID: i + 1, Name: cd.Name, Type: cd.Type, Nullable: !cd.NotNull && !isPK,
			Default: cd.Default, PrimaryKey: isPK,
		})
	}
	return meta, sch, nil
}

// DropTable drops a table's metadata at once, with whatever work adds to
// the batch (the tiers: its manifests and the job that deletes its cold
// files), then its column family, so the name is free again when it
// returns. It returns the dropped table (nil when it did not exist) and
// work's steps to run now that the batch has committed (also when
// dropping the hot data then failed). wantType, when set, must match.
func (c *Catalog) DropTable(ns, name string, wantType dialect.TableType, ifExists bool, work DropWork) (*Table, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if ns == SystemNamespace {
		return nil, nil, apierror.New(apierror.PermissionDenied, "system tables cannot be dropped")
	}
	if _, ok := snap.namespaces[ns]; !ok {
		if ifExists {
			return nil, nil, nil
		}
		return nil, nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	t, ok := snap.Table(ns, name)
	if !ok {
		if ifExists {
			return nil, nil, nil
		}
		return nil, nil, apierror.New(apierror.TableNotFound, "table %s.%s does not exist", ns, name)
	}
	if wantType != "" && wantType != t.Meta.TableType {
		return nil, nil, apierror.New(apierror.InvalidSQL, "table %s.%s is a %s table, not %s", ns, name, t.Meta.TableType, wantType)
	}
	var b kv.Batch
	after, err := c.deleteTableRows(&b, t, work)
	if err != nil {
		return nil, nil, err
	}
	next := snap.clone()
	delete(next.tables, t.Meta.TableID)
	if err := c.commit(&b, next); err != nil {
		return nil, nil, err
	}
	return t, runAll([]func(){after}), c.DropTableData(t)
}

// DropTableData removes a dropped table's hot data. It is idempotent.
func (c *Catalog) DropTableData(t *Table) error {
	if err := c.db.DropColumnFamily(t.Family); err != nil {
		return fmt.Errorf("drop data of %s: %w", t.Meta.TableID, err)
	}
	return nil
}
