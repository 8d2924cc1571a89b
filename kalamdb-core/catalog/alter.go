package catalog

import (
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// AlterTable applies an ALTER TABLE whose namespace is resolved. Every
// ALTER writes schema version n+1 and bumps the table's current version
// in one batch. Rows and files written under older versions
// are never rewritten: readers project them onto the current version by
// column id.
func (c *Catalog) AlterTable(st *dialect.AlterTable) (*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	ns, name := st.Table.Namespace, st.Table.Name
	if snap.SystemSchema(ns) {
		return nil, apierror.New(apierror.PermissionDenied, "system tables cannot be altered")
	}
	if _, ok := snap.namespaces[ns]; !ok {
		return nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	t, ok := snap.Table(ns, name)
	if !ok {
		if err := notAView(snap, ns, name, "ALTER TABLE", "use CREATE OR REPLACE VIEW"); err != nil {
			return nil, err
		}
		return nil, apierror.New(apierror.TableNotFound, "table %s.%s does not exist", ns, name)
	}
	meta := *t.Meta
	sch := &systable.TableSchema{TableID: meta.TableID, Version: t.Schema.Version + 1,
		Columns: append([]systable.ColumnSchema(nil), t.Schema.Columns...), CreatedAt: c.opts.Now().UTC()}
	var err error
	switch st.Op {
	case dialect.AlterAddColumn:
		id := meta.NextColumnID
		if id == 0 {
			var used int
			used, err = c.highestColumnID(t)
			id = used + 1
		}
		for _, col := range sch.Columns {
			// Metadata restored from elsewhere must still never give a
			// current column's id twice.
			id = max(id, col.ColumnID+1)
		}
		if err == nil {
			err = addColumn(sch, st.Column, id)
			meta.NextColumnID = id + 1
		}
	case dialect.AlterDropColumn:
		if err = refuseIndexedColumn(t, st.ColumnName); err == nil {
			err = dropColumn(sch, st.ColumnName)
		}
	case dialect.AlterModifyColumn:
		err = modifyColumn(sch, st.Column)
	case dialect.AlterSetProperties:
		if o := st.Options; o.StorageID != "" && o.StorageID != meta.StorageID {
			err = apierror.New(apierror.InvalidSQL, "STORAGE_ID cannot change: the table's files live in storage %s", meta.StorageID)
		} else {
			err = applyOptions(&meta, st.Options)
		}
		sch.Change = "SET TBLPROPERTIES"
	default:
		err = apierror.New(apierror.InvalidSQL, "unknown ALTER TABLE form")
	}
	if err != nil {
		return nil, err
	}
	meta.CurrentSchemaVersion = sch.Version
	meta.UpdatedAt = c.opts.Now().UTC()
	var b kv.Batch
	if err := c.tables.PutInBatch(&b, &meta); err != nil {
		return nil, err
	}
	if err := c.schemas.PutInBatch(&b, sch); err != nil {
		return nil, err
	}
	next := snap.clone()
	nt := newTable(&meta, sch)
	next.tables[meta.TableID] = nt
	if err := c.commit(&b, next); err != nil {
		return nil, err
	}
	return nt, nil
}

func columnIndex(sch *systable.TableSchema, name string) int {
	for i, col := range sch.Columns {
		if col.Name == name {
			return i
		}
	}
	return -1
}

// highestColumnID is the highest column id any version of t ever used,
// for metadata stored before TableMeta.NextColumnID was kept. Column ids
// are never reused: stored rows and Parquet files are projected by id, so
// a column added under a dropped column's id would read the dropped
// column's old values.
func (c *Catalog) highestColumnID(t *Table) (int, error) {
	history, err := c.schemas.ScanPrefix(systable.SchemaPrefix(t.Meta.TableID))
	if err != nil {
		return 0, fmt.Errorf("schema history of %s: %w", t.Meta.TableID, err)
	}
	highest := 0
	for _, v := range append(history, t.Schema) {
		for _, col := range v.Columns {
			highest = max(highest, col.ColumnID)
		}
	}
	return highest, nil
}

// addColumn appends a new column with id, one the table never had.
func addColumn(sch *systable.TableSchema, cd *dialect.ColumnDef, id int) error {
	if columnIndex(sch, cd.Name) >= 0 {
		return apierror.New(apierror.AlreadyExists, "column %s already exists", cd.Name)
	}
	if err := checkColumnCount(len(sch.Columns) + 1); err != nil {
		return err
	}
	if _, err := schema.EngineType(cd.Type); err != nil {
		return err
	}
	if err := row.ValidateDefault(cd.Name, cd.Type, cd.Default); err != nil {
		return err
	}
	if cd.NotNull && (cd.Default == nil || cd.Default.Kind != dialect.DefaultLiteral || cd.Default.Literal == nil) {
		// Rows written before the column existed read its DEFAULT; only a
		// constant gives every one of them a value.
		return apierror.New(apierror.InvalidSQL, "a NOT NULL column added to an existing table needs a constant DEFAULT for the rows it already has")
	}
	sch.Columns = append(sch.Columns, systable.ColumnSchema{ColumnID: id, Name: cd.Name, Type: cd.Type,
		Nullable: !cd.NotNull, Default: cd.Default})
	sch.Change = fmt.Sprintf("ADD COLUMN %s %s", cd.Name, schema.TypeString(cd.Type))
	return nil
}

func dropColumn(sch *systable.TableSchema, name string) error {
	i := columnIndex(sch, name)
	if i < 0 {
		return apierror.New(apierror.InvalidSQL, "column %s does not exist", name)
	}
	if sch.Columns[i].PrimaryKey {
		return apierror.New(apierror.InvalidSQL, "the primary key column %s cannot be dropped", name)
	}
	if len(sch.Columns) == 1 {
		return apierror.New(apierror.InvalidSQL, "a table keeps at least one column")
	}
	sch.Columns = append(sch.Columns[:i:i], sch.Columns[i+1:]...)
	sch.Change = "DROP COLUMN " + name
	return nil
}

// modifyColumn changes a column's type or nullability. Only widening is
// allowed: every stored value must still be valid, since old rows are
// converted on read, never rewritten.
func modifyColumn(sch *systable.TableSchema, cd *dialect.ColumnDef) error {
	i := columnIndex(sch, cd.Name)
	if i < 0 {
		return apierror.New(apierror.InvalidSQL, "column %s does not exist", cd.Name)
	}
	col := sch.Columns[i]
	if _, err := schema.EngineType(cd.Type); err != nil {
		return err
	}
	if !widens(col.Type, cd.Type) {
		return apierror.New(apierror.InvalidSQL, "column %s: %s to %s is not a widening change (allowed: SMALLINT->INT->BIGINT, FLOAT->DOUBLE, longer VARCHAR or TEXT, DECIMAL with more digits)",
			cd.Name, schema.TypeString(col.Type), schema.TypeString(cd.Type))
	}
	if col.PrimaryKey && !isInt(cd.Type.Name) && cd.Type != col.Type {
		return apierror.New(apierror.InvalidSQL, "the primary key column %s can only widen between integer types", cd.Name)
	}
	nullable := !cd.NotNull
	if col.Nullable && !nullable {
		return apierror.New(apierror.InvalidSQL, "column %s: existing rows may hold NULL, so it cannot become NOT NULL", cd.Name)
	}
	if col.PrimaryKey {
		nullable = false
	}
	col.Type, col.Nullable = cd.Type, nullable
	sch.Columns[i] = col
	sch.Change = fmt.Sprintf("MODIFY COLUMN %s %s", cd.Name, schema.TypeString(cd.Type))
	return nil
}

func isInt(n dialect.TypeName) bool {
	return n == dialect.TypeSmallInt || n == dialect.TypeInt || n == dialect.TypeBigInt
}

func intRank(n dialect.TypeName) int {
	switch n {
	case dialect.TypeSmallInt:
		return 1
	case dialect.TypeInt:
		return 2
	case dialect.TypeBigInt:
		return 3
	}
	return 0
}

// widens reports whether every value of type from is a value of type to.
func widens(from, to dialect.DataType) bool {
	switch {
	case from == to:
		return true
	case isInt(from.Name) && isInt(to.Name):
		return intRank(to.Name) >= intRank(from.Name)
	case from.Name == dialect.TypeFloat && to.Name == dialect.TypeDouble:
		return true
	case from.Name == dialect.TypeText && to.Name == dialect.TypeText:
		return to.MaxLength == 0 || (from.MaxLength > 0 && to.MaxLength >= from.MaxLength)
	case from.Name == dialect.TypeDecimal && to.Name == dialect.TypeDecimal:
		return to.Scale >= from.Scale && to.Precision-to.Scale >= from.Precision-from.Scale
	case from.Name == dialect.TypeDateTime && to.Name == dialect.TypeTimestamp,
		from.Name == dialect.TypeTimestamp && to.Name == dialect.TypeDateTime:
		return true
	}
	return false
}

// applyOptions applies the table options of CREATE TABLE ... WITH and
// ALTER TABLE ... SET TBLPROPERTIES (all but STORAGE_ID and TYPE, which
// their callers handle) to a table's metadata, refusing options that do
// not fit the table's type.
func applyOptions(meta *systable.TableMeta, o dialect.TableOptions) error {
	stream := meta.TableType == dialect.TableTypeStream
	if o.FlushPolicy != nil {
		if stream {
			return apierror.New(apierror.InvalidSQL, "STREAM tables are never flushed")
		}
		meta.FlushRows, meta.FlushIntervalSeconds = o.FlushPolicy.Rows, o.FlushPolicy.IntervalSeconds
	}
	if o.DeletedRetentionHours != nil {
		if stream {
			return apierror.New(apierror.InvalidSQL, "DELETED_RETENTION_HOURS does not apply to STREAM tables")
		}
		hours := *o.DeletedRetentionHours
		meta.DeletedRetentionHrs = &hours
	}
	if o.AccessLevel != "" {
		if meta.TableType != dialect.TableTypeShared {
			return apierror.New(apierror.InvalidSQL, "ACCESS_LEVEL applies to SHARED tables only")
		}
		meta.AccessLevel = o.AccessLevel
	}
	if o.TTLSeconds != nil || o.MaxBuffer != nil || o.Ephemeral != nil {
		if !stream {
			return apierror.New(apierror.InvalidSQL, "TTL_SECONDS, MAX_BUFFER and EPHEMERAL apply to STREAM tables only")
		}
		if o.TTLSeconds != nil {
			meta.TTLSeconds = *o.TTLSeconds
		}
		if o.MaxBuffer != nil {
			meta.MaxBuffer = *o.MaxBuffer
		}
		if o.Ephemeral != nil {
			meta.Ephemeral = *o.Ephemeral
		}
	}
	return nil
}
