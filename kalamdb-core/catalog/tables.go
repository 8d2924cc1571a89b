package catalog

import (
	"errors"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// CreateTable creates a table from a parsed CREATE TABLE whose namespace is
// resolved. The data column family is created before the metadata commits,
// so a committed table always has its family; a crash in between leaves an
// orphan family that the next Open drops. work, when set, adds its rows to
// the batch that creates the table.
func (c *Catalog) CreateTable(st *dialect.CreateTable, work CreateWork) (bool, error) {
	ns, name := st.Table.Namespace, st.Table.Name
	if c.cur.Load().SystemSchema(ns) {
		return false, apierror.New(apierror.PermissionDenied, "tables cannot be created in the %s namespace", ns)
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
	if _, ok := snap.views[meta.TableID]; ok {
		if st.IfNotExists {
			return false, nil
		}
		return false, apierror.New(apierror.AlreadyExists, "%s.%s is a view; a table cannot have its name", ns, name)
	}
	if meta.StorageID != "" {
		if _, ok := snap.storages[meta.StorageID]; !ok {
			return false, apierror.New(apierror.NotFound, "storage %s does not exist", meta.StorageID)
		}
	}
	t := newTable(meta, sch)
	// The families are named after the table, so a family of these names
	// can only be a dropped table's: one whose drop committed but failed
	// to remove them (DropTableData), or a crash before its removal. Opened
	// as is, the table would read the dropped table's hot rows, and its
	// first index (index ids start at 1 again) the dropped one's entries.
	if err := c.DropTableData(t); err != nil {
		return false, fmt.Errorf("create table %s: remove a dropped table's data left under its name: %w", meta.TableID, err)
	}
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
	if work != nil {
		work(&b, t)
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
		CurrentSchemaVersion: 1, CreatedAt: now, UpdatedAt: now, Incarnation: NewIncarnation(),
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
	if err := checkColumnCount(len(st.Columns)); err != nil {
		return nil, nil, err
	}
	meta.NextColumnID = len(st.Columns) + 1
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
		// DEFAULT NULL gives a key no value, as no DEFAULT does: PostgreSQL
		// accepts it, and an INSERT without the key fails as NOT NULL.
		if isPK && cd.Default != nil && cd.Default.Kind == dialect.DefaultLiteral && cd.Default.Literal != nil {
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
// dropping the hot data then failed). When the batch fails, work's steps
// have run, told so, before it returns. wantType, when set, must match.
func (c *Catalog) DropTable(ns, name string, wantType dialect.TableType, ifExists bool, work DropWork) (*Table, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if snap.SystemSchema(ns) {
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
		if err := notAView(snap, ns, name, "DROP TABLE", "use DROP VIEW"); err != nil {
			return nil, nil, err
		}
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
		runAll([]func(bool){after}, false)
		return nil, nil, err
	}
	return t, func() { runAll([]func(bool){after}, true) }, c.DropTableData(t)
}

// DropTableData removes a dropped table's hot data and index entries. It
// is idempotent. Each family is tried even when the other fails: what it
// fails to remove stays until a restart drops it as an orphan, or a table
// created under the name removes it first (CreateTable).
func (c *Catalog) DropTableData(t *Table) error {
	drop := c.db.DropColumnFamily
	if c.seams.dropFamily != nil {
		drop = c.seams.dropFamily
	}
	var errs []error
	for _, f := range []string{t.Family, t.IndexFamily()} {
		if err := drop(f); err != nil {
			errs = append(errs, fmt.Errorf("drop data of %s: %w", t.Meta.TableID, err))
		}
	}
	return errors.Join(errs...)
}

// deleteTableRows records the removal of a table's metadata into b, with
// what work adds, and returns what work wants run after the commit (or
// its failure).
func (c *Catalog) deleteTableRows(b *kv.Batch, t *Table, work DropWork) (func(bool), error) {
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

// runAll runs every non-nil after-function of a drop's works in order,
// telling each whether the drop's batch committed.
func runAll(fs []func(bool), committed bool) {
	for _, f := range fs {
		if f != nil {
			f(committed)
		}
	}
}

// DurationProblem is a table whose stored durations are past what CREATE
// and ALTER accept: Values names each, as systable.TableMeta.OutOfRange.
type DurationProblem struct {
	TableID string
	Values  []string
}

// DurationProblems lists the tables whose stored durations are past what
// CREATE and ALTER accept, which only a version without the bounds
// could store. The tables keep working, each such duration read as the
// bound (a century: nothing they hold expires because of it), and the
// server says so at start: an ALTER TABLE brings them in range.
func (c *Catalog) DurationProblems() []DurationProblem {
	var out []DurationProblem
	for _, t := range c.cur.Load().Tables("") {
		if vals := t.Meta.OutOfRange(); vals != nil {
			out = append(out, DurationProblem{TableID: t.Meta.TableID, Values: vals})
		}
	}
	return out
}

// checkColumnCount refuses a table of more than systable.MaxTableColumns
// columns, with PostgreSQL's message: every statement over a table that
// wide works out, plans and sends per column, and a row's width grows
// with it.
func checkColumnCount(n int) error {
	if n > systable.MaxTableColumns {
		return apierror.New(apierror.ResourceLimitExceeded, "tables can have at most %d columns (limit: max_table_columns)", systable.MaxTableColumns)
	}
	return nil
}
