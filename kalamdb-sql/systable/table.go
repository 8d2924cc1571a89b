package systable

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// ErrNotFound is returned by Get for a missing id.
var ErrNotFound = errors.New("system row not found")

// Column describes one column a system table shows to SQL.
type Column[T any] struct {
	Name string
	Type dialect.TypeName
	// Get returns the column's value for a row: nil, bool, int64, float64,
	// string, time.Time or json.RawMessage.
	Get func(*T) any
}

// Def describes a system table once; Table[T] and SQLTable are derived
// from it.
type Def[T any] struct {
	// Name is the table's name in the system namespace, e.g. "users".
	Name string
	// Family is the column family holding the rows, e.g. "system_users".
	Family string
	// Key returns a row's id. Ids sort as bytes, so a prefix of an id
	// (a table id inside a schema id, say) is a prefix scan.
	Key     func(*T) string
	Columns []Column[T]
	// KeyColumns name the columns that identify a row, as Key does (nil:
	// the first column), for readers that compare results row by row.
	KeyColumns []string
}

func (d *Def[T]) keyColumns() []string {
	if len(d.KeyColumns) > 0 {
		return d.KeyColumns
	}
	return []string{d.Columns[0].Name}
}

// Persisted names a persisted system table: its SQL name and the column
// family its rows live in.
type Persisted struct {
	Name   string
	Family string
}

func (d *Def[T]) persisted() Persisted { return Persisted{Name: d.Name, Family: d.Family} }

// All lists every persisted system table (a new slice on each call).
func All() []Persisted {
	return []Persisted{Namespaces.persisted(), Tables.persisted(), TableSchemas.persisted(), Users.persisted(),
		Storages.persisted(), LiveQueries.persisted(), Jobs.persisted(), Manifests.persisted(), Views.persisted()}
}

// ColumnInfo is a column of a system table without its accessor, for the
// query engine's schema.
type ColumnInfo struct {
	Name string
	Type dialect.TypeName
}

// SQLTable is a system table seen by the query engine, whatever its model.
type SQLTable interface {
	Name() string
	Columns() []ColumnInfo
	// Rows returns every row as values in Columns order.
	Rows() ([][]any, error)
	// KeyColumns name the columns that identify a row.
	KeyColumns() []string
}

// Table is the generic persisted system table.
type Table[T any] struct {
	def *Def[T]
	cf  *kv.ColumnFamily
}

// Open opens (creating on first use) the column family of def.
func Open[T any](db *kv.DB, def *Def[T]) (*Table[T], error) {
	cf, err := db.ColumnFamily(def.Family)
	if err != nil {
		return nil, fmt.Errorf("open system.%s: %w", def.Name, err)
	}
	return &Table[T]{def: def, cf: cf}, nil
}

// Def returns the table's description.
func (t *Table[T]) Def() *Def[T] { return t.def }

// Get returns the row with the given id, or ErrNotFound.
func (t *Table[T]) Get(id string) (*T, error) {
	return t.GetAt(nil, id)
}

// GetAt returns the row with the given id as of a snapshot (nil: the
// latest), or ErrNotFound.
func (t *Table[T]) GetAt(snap *kv.Snapshot, id string) (*T, error) {
	raw, err := t.GetRawAt(snap, id)
	if err != nil {
		return nil, err
	}
	return t.Decode(id, raw)
}

// GetRawAt returns the stored encoding of the row with the given id, as
// of snap (nil: the latest), or ErrNotFound; Decode reads it. A caller
// that keeps decoded rows can tell from the bytes whether its copy is
// still the row.
func (t *Table[T]) GetRawAt(snap *kv.Snapshot, id string) ([]byte, error) {
	var raw []byte
	var err error
	if snap != nil {
		raw, err = snap.Get(t.cf, []byte(id))
	} else {
		raw, err = t.cf.Get([]byte(id))
	}
	if errors.Is(err, kv.ErrNotFound) {
		return nil, &notFoundError{table: t.def.Name, id: id}
	}
	if err != nil {
		return nil, fmt.Errorf("get system.%s %q: %w", t.def.Name, id, err)
	}
	return raw, nil
}

// notFoundError is ErrNotFound for one row, its message formatted only
// if it is printed: a miss is an expected answer on hot paths (every read
// of a partition that was never flushed asks for its manifest), where
// formatting it cost about a microsecond.
type notFoundError struct{ table, id string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("system.%s %q: %v", e.table, e.id, ErrNotFound)
}

func (e *notFoundError) Unwrap() error { return ErrNotFound }

// Decode decodes a row's stored encoding (GetRawAt).
func (t *Table[T]) Decode(id string, raw []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decode system.%s %q: %w", t.def.Name, id, err)
	}
	return v, nil
}

// Put writes v under its id, replacing any row with that id.
func (t *Table[T]) Put(v *T) error {
	var b kv.Batch
	if err := t.PutInBatch(&b, v); err != nil {
		return err
	}
	return t.cf.DB().Write(&b)
}

// PutInBatch records writing v into b, so a caller can change several
// system rows (or system rows and data) atomically.
func (t *Table[T]) PutInBatch(b *kv.Batch, v *T) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode system.%s: %w", t.def.Name, err)
	}
	b.Put(t.cf, []byte(t.def.Key(v)), raw)
	return nil
}

// Delete removes the row with the given id; a missing id is not an error.
func (t *Table[T]) Delete(id string) error {
	var b kv.Batch
	t.DeleteInBatch(&b, id)
	return t.cf.DB().Write(&b)
}

// DeleteInBatch records removing the row with the given id into b.
func (t *Table[T]) DeleteInBatch(b *kv.Batch, id string) {
	b.Delete(t.cf, []byte(id))
}

// ScanAll returns every row in id order.
func (t *Table[T]) ScanAll() ([]*T, error) { return t.ScanPrefix("") }

// ScanPrefix returns the rows whose id starts with prefix, in id order.
func (t *Table[T]) ScanPrefix(prefix string) ([]*T, error) {
	opts := kv.IterOptions{}
	if prefix != "" {
		opts = kv.PrefixOptions([]byte(prefix))
	}
	it, err := t.cf.NewIter(opts)
	if err != nil {
		return nil, fmt.Errorf("scan system.%s: %w", t.def.Name, err)
	}
	defer it.Close()
	var out []*T
	for ok := it.First(); ok; ok = it.Next() {
		v := new(T)
		if err := json.Unmarshal(it.Value(), v); err != nil {
			return nil, fmt.Errorf("decode system.%s %q: %w", t.def.Name, it.Key(), err)
		}
		out = append(out, v)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("scan system.%s: %w", t.def.Name, err)
	}
	return out, nil
}

// Name implements SQLTable.
func (t *Table[T]) Name() string { return t.def.Name }

// Columns implements SQLTable.
func (t *Table[T]) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(t.def.Columns))
	for i, c := range t.def.Columns {
		out[i] = ColumnInfo{Name: c.Name, Type: c.Type}
	}
	return out
}

// KeyColumns implements SQLTable.
func (t *Table[T]) KeyColumns() []string { return t.def.keyColumns() }

// Rows implements SQLTable.
func (t *Table[T]) Rows() ([][]any, error) {
	all, err := t.ScanAll()
	if err != nil {
		return nil, err
	}
	return t.def.RowsOf(all), nil
}

// RowsOf projects models onto the def's columns, for callers that hold rows
// in memory (the catalog cache) rather than in the column family.
func (d *Def[T]) RowsOf(rows []*T) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		vals := make([]any, len(d.Columns))
		for j, c := range d.Columns {
			vals[j] = c.Get(r)
		}
		out[i] = vals
	}
	return out
}

// optTime returns nil for the zero time so unset timestamps read as NULL.
func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// optString returns nil for "" so unset strings read as NULL.
func optString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// optJSON returns nil for an empty document so unset JSON reads as NULL.
func optJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return raw
}

// Write applies a batch built with PutInBatch/DeleteInBatch.
func (t *Table[T]) Write(b *kv.Batch) error { return t.cf.DB().Write(b) }
