package row

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// SetSeq changes the _seq of an encoded version and nothing else; a value
// without a header is refused, not written into.
func TestSetSeq(t *testing.T) {
	sch := tableSchema(1, col(1, "id", dtype(dialect.TypeBigInt)))
	v, err := Encode(nil, Header{SchemaVersion: 1, Seq: 5, Deleted: true}, sch, []any{int64(9)})
	if err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), v...)
	if err := SetSeq(v, 7); err != nil {
		t.Fatal(err)
	}
	h, err := DecodeHeader(v)
	if err != nil || h.Seq != 7 || !h.Deleted || h.SchemaVersion != 1 {
		t.Fatalf("after SetSeq: %+v, %v", h, err)
	}
	if string(v[headerFixed:]) != string(before[headerFixed:]) {
		t.Fatal("SetSeq changed the columns")
	}
	if err := SetSeq([]byte{formatV1, 0}, 7); err == nil {
		t.Fatal("SetSeq of a 2-byte value succeeded")
	}
}
