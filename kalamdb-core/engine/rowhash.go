package engine

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"

	"github.com/dolthub/go-mysql-server/sql"
)

// rowHasher hashes rows for the operators KalamDB builds that tell rows
// apart by a hash of their values (DISTINCT, UNION, INTERSECT, EXCEPT, the
// groups a GROUP BY charges). The engine's sql.HashOf prints every value
// with fmt into a buffer of its own before hashing it: a copy of each text
// and four bytes a byte of each bytes value, for every row (SELECT
// DISTINCT of an 8 MB parameter over 3 rows allocated 70 MB). A text and
// a bytes value are hashed where they are, each behind its kind and its
// length, so that no two rows of different values write the same bytes
// (the engine's separators could be part of a text); other values are
// printed as the engine prints them, into a buffer kept from row to row.
//
// Its seed is its own (maphash.MakeSeed): rows that hash alike for one
// statement cannot be worked out beforehand to make it drop a row. It is
// used by one iterator at a time.
type rowHasher struct {
	h   maphash.Hash
	buf []byte
}

func newRowHasher() *rowHasher {
	r := &rowHasher{}
	r.h.SetSeed(maphash.MakeSeed())
	return r
}

// sum is the hash of row's values.
func (r *rowHasher) sum(ctx *sql.Context, row sql.Row) (uint64, error) {
	r.h.Reset()
	for _, x := range row {
		x, err := sql.UnwrapAny(ctx, x)
		if err != nil {
			return 0, err
		}
		if b, ok := x.(bool); ok {
			// A boolean is carried as bool or as the engine's TINYINT 1
			// or 0 (boolValue): hashed as the latter either way.
			x = boolValue(b)
		}
		switch v := x.(type) {
		case nil:
			_ = r.h.WriteByte('n')
		case string:
			r.kindAndLength('s', len(v))
			_, _ = r.h.WriteString(v)
		case []byte:
			r.kindAndLength('b', len(v))
			_, _ = r.h.Write(v)
		default:
			r.buf = fmt.Appendf(r.buf[:0], "%v", v)
			r.kindAndLength('v', len(r.buf))
			_, _ = r.h.Write(r.buf)
			if cap(r.buf) > 64<<10 {
				r.buf = nil // not kept for every later row
			}
		}
	}
	return r.h.Sum64(), nil
}

func (r *rowHasher) kindAndLength(kind byte, n int) {
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = kind
	k := binary.PutUvarint(head[1:], uint64(n))
	_, _ = r.h.Write(head[:1+k])
}
