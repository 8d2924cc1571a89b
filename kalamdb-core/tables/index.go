package tables

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Secondary index entries live in one column family per table
// (catalog.Table.IndexFamily), one entry per live row and index:
//
//	key    index id (4 bytes, big-endian) | partition prefix (USER: user
//	       id 0x00; SHARED: none) | one tagged value per index column
//	       (row.AppendIndexValue) | the row's partition-local key
//	value  the _seq of the row version the entry was written for (8 bytes,
//	       big-endian)
//
// An entry names a row by its logical identity, not by where its version
// lives: a flush moves the version to a Parquet file unchanged (same key,
// same _seq) and compaction keeps the newest version of each key, so the
// entries cover both tiers and only commits change them. One user's
// entries of one index are a contiguous prefix (id | user 0x00), so a scan
// bounded to it cannot reach another partition.

// Index is a secondary index of one table version.
type Index struct {
	Def systable.IndexDef
	// Cols are the positions of the indexed columns in the table version's
	// columns, in index order; Types their types.
	Cols  []int
	Types []dialect.DataType
	// Nullable marks the index columns that may hold NULL.
	Nullable []bool

	id [4]byte
}

// ID is the index id as it starts every entry key.
func (ix *Index) ID() []byte { return ix.id[:] }

// buildIndexes resolves the table's index definitions against its current
// schema; DROP COLUMN refuses indexed columns, so each one is there.
func (s *Table) buildIndexes(db *kv.DB) error {
	for _, d := range s.Meta.Indexes {
		ix := &Index{Def: d}
		binary.BigEndian.PutUint32(ix.id[:], d.IndexID)
		for _, id := range d.ColumnIDs {
			pos := slices.IndexFunc(s.Schema.Columns, func(c systable.ColumnSchema) bool { return c.ColumnID == id })
			if pos < 0 {
				return fmt.Errorf("table %s: index %s names column id %d, which the table does not have", s.Meta.TableID, d.Name, id)
			}
			c := s.Schema.Columns[pos]
			ix.Cols, ix.Types, ix.Nullable = append(ix.Cols, pos), append(ix.Types, c.Type), append(ix.Nullable, c.Nullable)
		}
		s.Indexes = append(s.Indexes, ix)
	}
	if len(s.Indexes) == 0 {
		return nil
	}
	cf, ok := db.LookupColumnFamily(s.IndexFamily())
	if !ok {
		return fmt.Errorf("table %s: index column family %s is missing", s.Meta.TableID, s.IndexFamily())
	}
	s.IndexCF = cf
	return nil
}

// ReadyIndexes lists the indexes queries may use.
func (s *Table) ReadyIndexes() []*Index {
	var out []*Index
	for _, ix := range s.Indexes {
		if ix.Def.Ready() {
			out = append(out, ix)
		}
	}
	return out
}

// IndexPrefix appends the start of every entry of ix in the partition
// with the given key prefix: what a scan of that partition is bounded to.
func (ix *Index) IndexPrefix(dst, partition []byte) []byte {
	return append(append(dst, ix.id[:]...), partition...)
}

// AppendIndexValues appends the tagged encoding of vals, one value per
// index column in index order.
func (ix *Index) AppendIndexValues(dst []byte, vals []any) ([]byte, error) {
	var err error
	for i, v := range vals {
		if dst, err = row.AppendIndexValue(dst, ix.Types[i], v); err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.Def.Name, err)
		}
	}
	return dst, nil
}

// EntryKey is the key of the entry of ix for the row at hot key key of
// owner's partition whose index column values are vals.
func (s *Table) EntryKey(ix *Index, owner string, key []byte, vals []any) ([]byte, error) {
	partition := key[:len(key)-len(s.LocalKey(owner, key))]
	k := ix.IndexPrefix(make([]byte, 0, 4+len(key)+16*len(vals)), partition)
	k, err := ix.AppendIndexValues(k, vals)
	if err != nil {
		return nil, err
	}
	return append(k, key[len(partition):]...), nil
}

// EntryLocalKey returns the row's partition-local key from an entry key
// of ix whose partition prefix is prefixLen bytes long.
func (ix *Index) EntryLocalKey(entry []byte, prefixLen int) ([]byte, error) {
	if len(entry) < 4+prefixLen {
		return nil, fmt.Errorf("index %s: entry key of %d bytes is too short", ix.Def.Name, len(entry))
	}
	rest := entry[4+prefixLen:]
	var err error
	for _, dt := range ix.Types {
		if rest, err = row.SkipIndexValue(rest, dt); err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.Def.Name, err)
		}
	}
	return rest, nil
}

// EntryValue is the value of an entry: the row version's _seq.
func EntryValue(seq int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(seq))
}

// EntrySeq decodes EntryValue.
func EntrySeq(v []byte) (int64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("index entry value of %d bytes", len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// StoredIndexValues are the values of ix's columns in a stored live
// version of the table, as a read of the row gives them: projected onto
// this table version by column id, with the DEFAULT of columns added
// since the version was written.
func (s *Table) StoredIndexValues(ix *Index, value []byte) ([]any, error) {
	h, err := row.DecodeHeader(value)
	if err != nil {
		return nil, err
	}
	proj, err := s.Projection(h.SchemaVersion, ix.Cols)
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(ix.Cols))
	if _, err := proj.Decode(value, vals); err != nil {
		return nil, err
	}
	if proj.AnyMissing() {
		s.FillMissing(vals, ix.Cols, proj.Missing)
	}
	return vals, nil
}

// IndexValuesOf are the values of ix's columns (ix of s, the current
// version of the table) in a row's user column values vals written in
// version src of the table, matched by column id; a column src lacks (it
// was added since) reads its DEFAULT, as the row would.
func (s *Table) IndexValuesOf(ix *Index, src *Table, vals []any) []any {
	out := make([]any, len(ix.Cols))
	for i, c := range ix.Cols {
		id := s.Schema.Columns[c].ColumnID
		j := slices.IndexFunc(src.Schema.Columns, func(sc systable.ColumnSchema) bool { return sc.ColumnID == id })
		if j >= 0 && j < len(vals) {
			out[i] = vals[j]
		} else {
			out[i] = s.defaults[c]
		}
	}
	return out
}
