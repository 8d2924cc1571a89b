package row

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// noDecimals wants every column of allTypes but the DECIMAL ones.
var noDecimals = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 16}

// storedField is what DecodeFields must give for a value Decode gave.
func storedField(t *testing.T, kind schema.Kind, v any) Field {
	t.Helper()
	if v == nil {
		return Field{Null: true}
	}
	switch x := v.(type) {
	case int8:
		return Field{I: int64(x)}
	case int16:
		return Field{I: int64(x)}
	case int32:
		return Field{I: int64(x)}
	case int64:
		return Field{I: x}
	case float32:
		return Field{F: float64(x)}
	case float64:
		return Field{F: x}
	case string:
		if kind == schema.KindUUID {
			u, ok := ids.ParseUUID(x)
			if !ok {
				t.Fatalf("bad UUID %q", x)
			}
			return Field{B: u[:]}
		}
		return Field{B: []byte(x)}
	case []byte:
		return Field{B: x}
	case types.JSONDocument:
		return Field{B: nil} // compared as JSON below
	case time.Time:
		if kind == schema.KindDate {
			return Field{I: EpochDays(x)}
		}
		return Field{I: x.UnixMicro()}
	case types.Timespan:
		return Field{I: int64(x)}
	}
	t.Fatalf("unexpected %T", v)
	return Field{}
}

// TestDecodeFieldsAgreesWithDecode: every value DecodeFields gives is the
// stored form of what Decode gives, and corrupt rows fail both alike.
func TestDecodeFieldsAgreesWithDecode(t *testing.T) {
	p, err := NewProjection(allTypes, allTypes, noDecimals)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Fieldable() {
		t.Fatal("a projection without DECIMAL columns is not fieldable")
	}
	boxed := make([]any, p.Len())
	fields := make([]Field, p.Len())
	for ri, values := range sampleRows() {
		b := encodeOrFail(t, Header{SchemaVersion: 3, Seq: int64(ri) + 1, Deleted: ri == 2}, values)
		h1, err1 := p.Decode(b, boxed)
		h2, err2 := p.DecodeFields(b, fields)
		if err1 != nil || err2 != nil || h1 != h2 {
			t.Fatalf("row %d: %v / %v, headers %+v %+v", ri, err1, err2, h1, h2)
		}
		for i, ci := range noDecimals {
			kind := schema.KindOf(allTypes.Columns[ci].Type.Name)
			want := storedField(t, kind, boxed[i])
			got := fields[i]
			if kind == schema.KindJSON && !got.Null {
				if !sameValue(jsonDoc(string(got.B)), boxed[i]) {
					t.Errorf("row %d %s: JSON %s, want %v", ri, allTypes.Columns[ci].Name, got.B, boxed[i])
				}
				continue
			}
			if got.Null != want.Null || got.I != want.I || math.Float64bits(got.F) != math.Float64bits(want.F) || !bytes.Equal(got.B, want.B) {
				t.Errorf("row %d %s: %+v, want %+v (from %#v)", ri, allTypes.Columns[ci].Name, got, want, boxed[i])
			}
		}
		for n := 0; n < len(b); n++ {
			if _, err := p.DecodeFields(b[:n], fields); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("row %d truncated to %d: %v", ri, n, err)
			}
		}
		if _, err := p.DecodeFields(append(bytes.Clone(b), 0), fields); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("row %d with a trailing byte: %v", ri, err)
		}
	}
	// DECIMAL, and columns re-typed since, need Decode.
	full, _ := NewProjection(allTypes, allTypes, nil)
	if _, err := full.DecodeFields(chatRowBytes(t), make([]Field, full.Len())); !errors.Is(err, ErrNotFieldable) {
		t.Fatalf("DECIMAL: %v", err)
	}
}

// TestDecodeFieldsAcrossVersions: a column added since the row was
// written is Null, a dropped one is skipped.
func TestDecodeFieldsAcrossVersions(t *testing.T) {
	v1 := tableSchema(1, col(1, "a", dtype(dialect.TypeBigInt)), col(2, "gone", dtype(dialect.TypeText)), col(3, "s", dtype(dialect.TypeText)))
	v2 := tableSchema(2, col(1, "a", dtype(dialect.TypeBigInt)), col(3, "s", dtype(dialect.TypeText)), col(4, "added", dtype(dialect.TypeInt)))
	b, err := Encode(nil, Header{SchemaVersion: 1, Seq: 5}, v1, []any{int64(-7), "x", "hello"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProjection(v1, v2, []int{2, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	f := make([]Field, 3)
	if _, err := p.DecodeFields(b, f); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%v %s %d", f[0].Null, f[1].B, f[2].I); got != "true hello -7" {
		t.Fatalf("fields: %s", got)
	}
}

func TestDecodeFieldsDoesNotAllocate(t *testing.T) {
	b := chatRowBytes(t)
	p, _ := NewProjection(chatSchema, chatSchema, nil)
	dst := make([]Field, p.Len())
	if n := testing.AllocsPerRun(200, func() {
		if _, err := p.DecodeFields(b, dst); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("DecodeFields allocates %.1f times per row", n)
	}
}
