package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Table is one catalog version of a table with its stored-row decoding.
type Table struct {
	*catalog.Table
	// CF is the column family of the table's hot rows.
	CF *kv.ColumnFamily
	// NUser is the number of user columns.
	NUser int
	// PK is the index of the primary key column, or -1 for the hidden
	// identity (the _seq of the row's first version).
	PK     int
	PKType dialect.DataType
	// Indexes are the table's secondary indexes (building and ready), and
	// IndexCF the family of their entries (nil when there are none).
	Indexes []*Index
	IndexCF *kv.ColumnFamily

	// defaults are the values rows written before a column existed read
	// for it: its constant DEFAULT, or NULL (a generated DEFAULT such as
	// NOW() has no value for the past).
	defaults []any

	history func(tableID string) ([]*systable.TableSchema, error)

	mu       sync.Mutex
	versions map[int]*systable.TableSchema
	// projs holds the decoders built so far, keyed by projectionKey. It
	// is read on every row a statement decodes, by every statement at
	// once, so it is never changed: a new decoder publishes a copy with
	// it added (under mu). At most maxProjections are kept; past that, a
	// decoder is built for each use (the number of column subsets a
	// caller can ask for is not bounded).
	projs atomic.Pointer[map[string]*row.Projection]
}

const maxProjections = 1024

// projectionKey appends the key of a projection (a written schema version
// and the wanted columns) to b.
func projectionKey(b []byte, version int, wanted []int) []byte {
	b = binary.AppendUvarint(b, uint64(version))
	for _, w := range wanted {
		b = binary.AppendVarint(b, int64(w))
	}
	return b
}

// build makes the Table of a catalog table whose family exists.
func build(db *kv.DB, cat *catalog.Catalog, t *catalog.Table) (*Table, error) {
	cf, ok := db.LookupColumnFamily(t.Family)
	if !ok {
		return nil, fmt.Errorf("table %s: column family %s is missing", t.Meta.TableID, t.Family)
	}
	s := &Table{Table: t, CF: cf, PK: -1, NUser: len(t.Schema.Columns), history: cat.SchemaHistory,
		versions: map[int]*systable.TableSchema{t.Schema.Version: t.Schema}}
	s.projs.Store(&map[string]*row.Projection{})
	for i, c := range t.Schema.Columns {
		if c.PrimaryKey {
			s.PK, s.PKType = i, c.Type
		}
		s.defaults = append(s.defaults, constantDefault(c))
	}
	if err := s.buildIndexes(db); err != nil {
		return nil, err
	}
	return s, nil
}

// constantDefault is a column's constant DEFAULT as a stored value, or nil.
// The literal goes through the engine type first, as an INSERT's value
// would.
func constantDefault(c systable.ColumnSchema) any {
	if c.Default == nil || c.Default.Kind != dialect.DefaultLiteral || c.Default.Literal == nil {
		return nil
	}
	lit := row.DefaultLiteral(c.Type, c.Default.Literal)
	conv, _, err := schema.MustEngineType(c.Type).Convert(sql.NewEmptyContext(), lit)
	if err != nil {
		return nil
	}
	v, err := row.Normalize(c.Type, conv)
	if err != nil {
		return nil
	}
	return v
}

// IsStream and IsUser report the table's type.
func (s *Table) IsStream() bool { return s.Meta.TableType == dialect.TableTypeStream }

// IsUser reports a USER table.
func (s *Table) IsUser() bool { return s.Meta.TableType == dialect.TableTypeUser }

// SeqIndex and DeletedIndex are the positions of the system columns after
// the user columns.
func (s *Table) SeqIndex() int { return s.NUser }

// DeletedIndex is the position of _deleted (STREAM tables have none).
func (s *Table) DeletedIndex() int { return s.NUser + 1 }

// PartitionPrefix is the key prefix of userID's partition of the table:
// the user id for USER and STREAM tables, nothing for SHARED ones.
func (s *Table) PartitionPrefix(userID string) []byte {
	if s.PerUser() {
		return keyenc.AppendUserPrefix(nil, userID)
	}
	return nil
}

// LocalKey is a hot key of owner's partition without the partition
// prefix: the key the cold tier stores (files are per partition). STREAM
// keys are never in the cold tier.
func (s *Table) LocalKey(owner string, key []byte) []byte {
	if s.IsUser() {
		return key[len(owner)+1:]
	}
	return key
}

// FillMissing puts the defaults of columns a stored version lacks into
// vals (values of the wanted columns).
func (s *Table) FillMissing(vals []any, wanted []int, missing func(i int) bool) {
	for i, c := range wanted {
		if missing(i) {
			vals[i] = s.defaults[c]
		}
	}
}

// schemaVersion returns a written schema version of the table, loading
// old versions from the catalog on first use.
func (s *Table) schemaVersion(v int) (*systable.TableSchema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.versions[v]; ok {
		return sch, nil
	}
	history, err := s.history(s.Meta.TableID)
	if err != nil {
		return nil, err
	}
	for _, h := range history {
		s.versions[h.Version] = h
	}
	if sch, ok := s.versions[v]; ok {
		return sch, nil
	}
	return nil, fmt.Errorf("table %s: row written with unknown schema version %d", s.Meta.TableID, v)
}

// Projection returns the decoder from rows of a written schema version to
// the wanted current user columns.
func (s *Table) Projection(version int, wanted []int) (*row.Projection, error) {
	var buf [64]byte
	key := projectionKey(buf[:0], version, wanted)
	if p, ok := (*s.projs.Load())[string(key)]; ok {
		return p, nil
	}
	written, err := s.schemaVersion(version)
	if err != nil {
		return nil, err
	}
	p, err := row.NewProjection(written, s.Schema, wanted)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", s.Meta.TableID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.projs.Load()
	if len(old) < maxProjections {
		next := make(map[string]*row.Projection, len(old)+1)
		maps.Copy(next, old)
		next[string(key)] = p
		s.projs.Store(&next)
	}
	return p, nil
}

// Error wraps a storage error with the table it happened on. A table
// dropped while a statement ran reads as not found.
func Error(t *catalog.Table, err error) error {
	if errors.Is(err, kv.ErrDropped) {
		return apierror.New(apierror.TableNotFound, "table %s.%s was dropped", t.Meta.NamespaceID, t.Meta.TableName)
	}
	return fmt.Errorf("table %s: %w", t.Meta.TableID, err)
}

// AllColumns lists column indices 0..n-1.
func AllColumns(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Registry builds and caches the Table of every catalog table.
type Registry struct {
	db  *kv.DB
	cat *catalog.Catalog

	mu     sync.Mutex
	tables map[string]*Table // by table id
}

// NewRegistry returns a registry over the store and catalog.
func NewRegistry(db *kv.DB, cat *catalog.Catalog) *Registry {
	return &Registry{db: db, cat: cat, tables: make(map[string]*Table)}
}

// Get returns the Table of t, rebuilding it when the catalog holds a newer
// version of the table (an ALTER, or a drop and re-create).
func (r *Registry) Get(t *catalog.Table) (*Table, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.tables[t.Meta.TableID]; ok && s.Table == t {
		return s, nil
	}
	s, err := build(r.db, r.cat, t)
	if err != nil {
		return nil, err
	}
	r.tables[t.Meta.TableID] = s
	return s, nil
}

// Indexed returns the Table of the catalog's current version of t's
// table if it has secondary indexes, else nil (also when the table was
// dropped, or dropped and created again: a different table of the same
// name). Commits call it under their partition locks, so that a commit
// either sees an index the catalog just published or finishes before
// whoever published it passes Locks.Barrier.
func (r *Registry) Indexed(t *catalog.Table) (*Table, error) {
	cur, ok := r.cat.Snapshot().Table(t.Meta.NamespaceID, t.Meta.TableName)
	if !ok || len(cur.Meta.Indexes) == 0 || !t.SameTable(cur) {
		return nil, nil
	}
	return r.Get(cur)
}

// Forget drops what is cached for a dropped table.
func (r *Registry) Forget(t *catalog.Table) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.tables, t.Meta.TableID)
}
