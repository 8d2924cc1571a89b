package catalog

import (
	"fmt"
	"slices"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// MaxIndexesPerTable bounds a table's secondary indexes: every write of a
// row writes one entry per index.
const MaxIndexesPerTable = 16

// IndexFamily is the column family of the table's secondary index
// entries (it exists once the table had an index).
func (t *Table) IndexFamily() string {
	return schema.IndexFamilyName(t.Meta.NamespaceID, t.Meta.TableName)
}

// SameTable reports whether o is a version of the same table as t (an
// ALTER, an index added), not a table of the same name created, or
// restored, after t was dropped. It compares incarnations, not creation
// times: a table created again within the clock's resolution shares t's,
// and a restored table has the creation time of the table its backup was
// taken from, so a stale job of that dropped table (an index build) took
// the restored table for its own, publishing its index as ready without
// its entries.
func (t *Table) SameTable(o *Table) bool {
	return o != nil && o.Meta.TableID == t.Meta.TableID && o.Incarnation() == t.Incarnation()
}

// Index returns the index named name in namespace ns and its table.
// Index names are unique per namespace.
func (s *Snapshot) Index(ns, name string) (*Table, *systable.IndexDef, bool) {
	for _, t := range s.tables {
		if t.Meta.NamespaceID != ns {
			continue
		}
		if d, ok := t.Meta.Index(name); ok {
			return t, d, true
		}
	}
	return nil, nil, false
}

// CreateIndex adds a secondary index, in state building, to a table whose
// namespace is resolved, creating the table's index column family first
// (a crash before the commit leaves an empty family that is still the
// table's). It returns the new version of the table and the index;
// created is false when IF NOT EXISTS found the name taken. Nothing
// changes on an error.
func (c *Catalog) CreateIndex(st *dialect.CreateIndex) (t *Table, def systable.IndexDef, created bool, err error) {
	ns, name := st.Table.Namespace, st.Table.Name
	if c.cur.Load().SystemSchema(ns) {
		return nil, def, false, apierror.New(apierror.PermissionDenied, "system tables cannot be indexed")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.namespaces[ns]; !ok {
		return nil, def, false, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	old, ok := snap.Table(ns, name)
	if !ok {
		return nil, def, false, apierror.New(apierror.TableNotFound, "table %s.%s does not exist", ns, name)
	}
	if _, _, taken := snap.Index(ns, st.Name); taken {
		if st.IfNotExists {
			return old, def, false, nil
		}
		return nil, def, false, apierror.New(apierror.AlreadyExists, "index %s already exists in namespace %s", st.Name, ns)
	}
	if old.Meta.TableType == dialect.TableTypeStream {
		return nil, def, false, apierror.New(apierror.InvalidSQL, "STREAM table %s.%s cannot be indexed: its events are read by time and expire", ns, name)
	}
	if len(old.Meta.Indexes) >= MaxIndexesPerTable {
		return nil, def, false, apierror.New(apierror.InvalidSQL, "table %s.%s already has %d indexes, the most a table may have", ns, name, MaxIndexesPerTable)
	}
	if len(st.Columns) == 0 || len(st.Columns) > systable.MaxIndexColumns {
		return nil, def, false, apierror.New(apierror.InvalidSQL, "an index has 1 to %d columns, not %d", systable.MaxIndexColumns, len(st.Columns))
	}
	def = systable.IndexDef{Name: st.Name, State: systable.IndexBuilding, CreatedAt: c.opts.Now().UTC()}
	for _, cn := range st.Columns {
		col, ok := old.Column(cn)
		if !ok {
			return nil, def, false, apierror.New(apierror.InvalidSQL, "column %q does not exist", cn)
		}
		if slices.Contains(def.ColumnIDs, col.ColumnID) {
			// A column named again orders nothing more (the parser drops
			// repeats already; PostgreSQL accepts them).
			continue
		}
		if err := row.IndexableType(cn, col.Type); err != nil {
			return nil, def, false, err
		}
		def.ColumnIDs = append(def.ColumnIDs, col.ColumnID)
	}
	if _, err := c.db.ColumnFamily(old.IndexFamily()); err != nil {
		return nil, def, false, fmt.Errorf("create index %s: %w", st.Name, err)
	}
	meta := *old.Meta
	def.IndexID = max(meta.NextIndexID, 1)
	meta.NextIndexID = def.IndexID + 1
	meta.Indexes = append(slices.Clone(meta.Indexes), def)
	meta.UpdatedAt = def.CreatedAt
	t, err = c.putMeta(snap, old, &meta)
	if err != nil {
		return nil, def, false, err
	}
	return t, def, true, nil
}

// SetIndexState moves an index of t's table to state (building to ready).
// It fails with NOT_FOUND when the table or the index no longer exists.
func (c *Catalog) SetIndexState(t *Table, indexID uint32, state string) (*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	cur, ok := snap.tables[t.Meta.TableID]
	if !ok || !t.SameTable(cur) {
		return nil, apierror.New(apierror.NotFound, "table %s no longer exists", t.Meta.TableID)
	}
	if _, ok := cur.Meta.IndexByID(indexID); !ok {
		return nil, apierror.New(apierror.NotFound, "index %d of %s no longer exists", indexID, t.Meta.TableID)
	}
	meta := *cur.Meta
	meta.Indexes = slices.Clone(meta.Indexes)
	for i := range meta.Indexes {
		if meta.Indexes[i].IndexID == indexID {
			meta.Indexes[i].State = state
		}
	}
	meta.UpdatedAt = c.opts.Now().UTC()
	return c.putMeta(snap, cur, &meta)
}

// DropIndex removes an index from its table's metadata (the caller
// removes its entries). ns must be resolved. It returns the table's new
// version and the index, or a nil table when IF EXISTS found none.
func (c *Catalog) DropIndex(ns, name string, ifExists bool) (*Table, systable.IndexDef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if snap.SystemSchema(ns) {
		return nil, systable.IndexDef{}, apierror.New(apierror.PermissionDenied, "system tables have no indexes to drop")
	}
	if _, ok := snap.namespaces[ns]; !ok {
		if ifExists {
			return nil, systable.IndexDef{}, nil
		}
		return nil, systable.IndexDef{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	old, d, ok := snap.Index(ns, name)
	if !ok {
		if ifExists {
			return nil, systable.IndexDef{}, nil
		}
		return nil, systable.IndexDef{}, apierror.New(apierror.NotFound, "index %q does not exist", name)
	}
	def := *d
	meta := *old.Meta
	meta.Indexes = slices.DeleteFunc(slices.Clone(meta.Indexes), func(x systable.IndexDef) bool { return x.IndexID == def.IndexID })
	meta.UpdatedAt = c.opts.Now().UTC()
	t, err := c.putMeta(snap, old, &meta)
	if err != nil {
		return nil, def, err
	}
	return t, def, nil
}

// putMeta commits a table's changed metadata (same schema) and publishes
// the new version of the table; the caller holds c.mu.
func (c *Catalog) putMeta(snap *Snapshot, old *Table, meta *systable.TableMeta) (*Table, error) {
	var b kv.Batch
	if err := c.tables.PutInBatch(&b, meta); err != nil {
		return nil, err
	}
	next := snap.clone()
	t := newTable(meta, old.Schema)
	next.tables[meta.TableID] = t
	if err := c.commit(&b, next); err != nil {
		return nil, err
	}
	return t, nil
}

// refuseIndexedColumn refuses to drop a column that an index holds:
// the index would otherwise lose a column under its entries. Dropping
// the index first makes the intent explicit.
func refuseIndexedColumn(t *Table, column string) error {
	col, ok := t.Column(column)
	if !ok {
		return nil
	}
	for _, d := range t.Meta.Indexes {
		if slices.Contains(d.ColumnIDs, col.ColumnID) {
			return apierror.New(apierror.InvalidInput, "column %s is part of index %s; drop the index first (DROP INDEX %s.%s)",
				column, d.Name, t.Meta.NamespaceID, d.Name)
		}
	}
	return nil
}
