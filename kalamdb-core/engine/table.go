package engine

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// tableShape is everything about a table that does not depend on who reads
// it: the engine schema, the column family, the primary key and the row
// decoders. It is built once per table and schema version and shared by
// every session.
type tableShape struct {
	t     *catalog.Table
	cf    *kv.ColumnFamily
	sch   sql.Schema
	nUser int
	// pk is the index of the primary key column, or -1 for the hidden
	// identity (the _seq of the row's first version).
	pk     int
	pkType dialect.DataType
	index  *pkIndex

	// defaults are the values rows written before a column existed read
	// for it: its constant DEFAULT, or NULL (a generated DEFAULT such as
	// NOW() has no value for the past).
	defaults []any

	mu       sync.Mutex
	versions map[int]*systable.TableSchema
	projs    map[projKey]*row.Projection
}

// fillMissing puts the defaults of columns a stored version lacks into
// vals (values of the wanted columns).
func (s *tableShape) fillMissing(vals []any, wanted []int, missing func(i int) bool) {
	for i, c := range wanted {
		if missing(i) {
			vals[i] = s.defaults[c]
		}
	}
}

type projKey struct {
	version int
	wanted  string // the wanted column indices, joined
}

// seqIndex and deletedIndex are the positions of the system columns.
func (s *tableShape) seqIndex() int     { return s.nUser }
func (s *tableShape) deletedIndex() int { return s.nUser + 1 }

func (s *tableShape) isStream() bool { return s.t.Meta.TableType == dialect.TableTypeStream }
func (s *tableShape) isUser() bool   { return s.t.Meta.TableType == dialect.TableTypeUser }

// perUser reports whether the table has one partition per user (USER and
// STREAM tables), rather than one for everyone (SHARED).
func (s *tableShape) perUser() bool { return PerUser(s.t) }

// PerUser reports whether table t has one partition per user: USER and
// STREAM tables do, so a session reads, writes and is notified of its
// effective user's rows or events only; a SHARED table is one partition.
func PerUser(t *catalog.Table) bool {
	return t.Meta.TableType == dialect.TableTypeUser || t.Meta.TableType == dialect.TableTypeStream
}

// tableFactory builds and caches table shapes and opens per-session tables.
type tableFactory struct {
	e      *Engine
	mu     sync.Mutex
	shapes map[string]*tableShape // by table id
}

func newTableFactory(e *Engine) *tableFactory {
	return &tableFactory{e: e, shapes: make(map[string]*tableShape)}
}

func (f *tableFactory) forget(t *catalog.Table) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.shapes, t.Meta.TableID)
}

// shape returns the cached shape of t, rebuilding it when the catalog holds
// a newer version of the table (an ALTER or a drop and re-create).
func (f *tableFactory) shape(t *catalog.Table) (*tableShape, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.shapes[t.Meta.TableID]; ok && s.t == t {
		return s, nil
	}
	s, err := buildShape(f.e.cat.DB(), t)
	if err != nil {
		return nil, err
	}
	f.shapes[t.Meta.TableID] = s
	return s, nil
}

func buildShape(db *kv.DB, t *catalog.Table) (*tableShape, error) {
	cf, ok := db.LookupColumnFamily(t.Family)
	if !ok {
		return nil, fmt.Errorf("table %s: column family %s is missing", t.Meta.TableID, t.Family)
	}
	s := &tableShape{t: t, cf: cf, pk: -1, nUser: len(t.Schema.Columns),
		versions: map[int]*systable.TableSchema{t.Schema.Version: t.Schema},
		projs:    make(map[projKey]*row.Projection)}
	ns, name := t.Meta.NamespaceID, t.Meta.TableName
	for i, c := range t.Schema.Columns {
		col := &sql.Column{Name: c.Name, Type: schema.MustEngineType(c.Type), Nullable: c.Nullable,
			Source: name, DatabaseSource: ns, PrimaryKey: c.PrimaryKey}
		if c.Default != nil {
			col.Default = sql.NewUnresolvedColumnDefaultValue(defaultSQL(c.Type, c.Default))
		}
		if c.PrimaryKey {
			s.pk, s.pkType = i, c.Type
		}
		s.sch = append(s.sch, col)
		s.defaults = append(s.defaults, constantDefault(col.Type, c))
	}
	// System columns are nullable in the engine schema only so that an
	// INSERT need not (and may not) supply them; every stored row has them.
	s.sch = append(s.sch, &sql.Column{Name: schema.SeqColumn, Type: types.Int64, Nullable: true, Source: name, DatabaseSource: ns})
	if !s.isStream() {
		s.sch = append(s.sch, &sql.Column{Name: schema.DeletedColumn, Type: types.Boolean, Nullable: true, Source: name, DatabaseSource: ns})
	}
	// A stream's keys are ordered by event time, not by its declared
	// primary key, so the key cannot serve lookups; its filter does.
	if s.pk >= 0 && !s.isStream() {
		s.index = &pkIndex{db: ns, table: name, col: t.Schema.Columns[s.pk].Name, typ: s.sch[s.pk].Type}
	}
	return s, nil
}

// constantDefault is a column's constant DEFAULT as a stored value, or nil.
func constantDefault(t sql.Type, c systable.ColumnSchema) any {
	if c.Default == nil || c.Default.Kind != dialect.DefaultLiteral || c.Default.Literal == nil {
		return nil
	}
	lit := c.Default.Literal
	if b, ok := lit.(bool); ok {
		lit = boolValue(b)
	}
	conv, _, err := t.Convert(sql.NewEmptyContext(), lit)
	if err != nil {
		return nil
	}
	v, err := row.Normalize(c.Type, conv)
	if err != nil {
		return nil
	}
	return v
}

// defaultSQL renders a DEFAULT as an engine expression. Function defaults
// are parenthesised, as the engine's MySQL grammar requires; NOW() becomes
// NOW(6): TIMESTAMP keeps microseconds, and MySQL's NOW() has none.
func defaultSQL(dt dialect.DataType, d *dialect.DefaultExpr) string {
	if d.Kind == dialect.DefaultFunction {
		switch d.Function {
		case "NOW":
			if dt.Name == dialect.TypeDate {
				return "(CURRENT_DATE())"
			}
			return "(NOW(6))"
		default:
			return "(" + d.Function + "())"
		}
	}
	switch v := d.Literal.(type) {
	case nil:
		return "NULL"
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return "NULL"
}

// schemaVersion returns a written schema version of the table, loading
// old versions from the catalog on first use.
func (s *tableShape) schemaVersion(cat *catalog.Catalog, v int) (*systable.TableSchema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.versions[v]; ok {
		return sch, nil
	}
	history, err := cat.SchemaHistory(s.t.Meta.TableID)
	if err != nil {
		return nil, err
	}
	for _, h := range history {
		s.versions[h.Version] = h
	}
	if sch, ok := s.versions[v]; ok {
		return sch, nil
	}
	return nil, fmt.Errorf("table %s: row written with unknown schema version %d", s.t.Meta.TableID, v)
}

// projection returns the decoder from rows of a written schema version to
// the wanted current user columns.
func (s *tableShape) projection(cat *catalog.Catalog, version int, wanted []int) (*row.Projection, error) {
	key := projKey{version: version, wanted: fmt.Sprint(wanted)}
	s.mu.Lock()
	p, ok := s.projs[key]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	written, err := s.schemaVersion(cat, version)
	if err != nil {
		return nil, err
	}
	p, err = row.NewProjection(written, s.t.Schema, wanted)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", s.t.Meta.TableID, err)
	}
	s.mu.Lock()
	s.projs[key] = p
	s.mu.Unlock()
	return p, nil
}

// partitionPrefix is the key prefix of a session's partition of the table:
// the user id for USER and STREAM tables, nothing for SHARED ones.
func (s *tableShape) partitionPrefix(userID string) []byte {
	if s.perUser() {
		return keyenc.AppendUserPrefix(nil, userID)
	}
	return nil
}

// open builds the table a session sees.
func (f *tableFactory) open(sess *Session, t *catalog.Table) (sql.Table, error) {
	if err := authz.ReadTable(sess.Role, t.Meta); err != nil {
		return nil, err
	}
	s, err := f.shape(t)
	if err != nil {
		return nil, err
	}
	dt := &dataTable{e: f.e, shape: s, sess: sess}
	if s.perUser() {
		if err := keyenc.ValidateUserID(sess.UserID); err != nil {
			return nil, fmt.Errorf("partition of %q: %w", sess.UserID, err)
		}
		dt.prefix = s.partitionPrefix(sess.UserID)
		dt.owner = sess.UserID
	}
	return dt, nil
}
