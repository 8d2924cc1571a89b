package row

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func encodeOrFail(t testing.TB, h Header, values []any) []byte {
	t.Helper()
	b, err := Encode(nil, h, allTypes, values)
	if err != nil {
		t.Fatalf("encode %v: %v", values, err)
	}
	return b
}

func TestRoundTripAllTypes(t *testing.T) {
	p, err := NewProjection(allTypes, allTypes, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ri, values := range sampleRows() {
		h := Header{SchemaVersion: 3, Seq: int64(ri)*1e15 + 7, Deleted: ri%2 == 1}
		b := encodeOrFail(t, h, values)
		got := make([]any, p.Len())
		gh, err := p.Decode(b, got)
		if err != nil {
			t.Fatalf("row %d: decode: %v", ri, err)
		}
		if gh != h {
			t.Fatalf("row %d: header %+v, want %+v", ri, gh, h)
		}
		if dh, err := DecodeHeader(b); err != nil || dh != h {
			t.Fatalf("row %d: DecodeHeader %+v %v", ri, dh, err)
		}
		for i := range values {
			want := values[i]
			if bs, ok := want.([]byte); ok && bs == nil {
				want = []byte{} // a nil []byte is a non-NULL empty value
			}
			if !sameValue(got[i], want) {
				t.Errorf("row %d column %s: got %#v (%T), want %#v (%T)", ri, allTypes.Columns[i].Name, got[i], got[i], want, want)
			}
		}
		if p.AnyMissing() {
			t.Fatal("same-schema projection reports missing columns")
		}
	}
}

// Decoded values have exactly the engine's Go types.
func TestDecodedGoTypes(t *testing.T) {
	want := map[string]reflect.Type{
		"b": reflect.TypeOf(int8(0)), "s": reflect.TypeOf(int16(0)), "i": reflect.TypeOf(int32(0)),
		"bi": reflect.TypeOf(int64(0)), "f": reflect.TypeOf(float32(0)), "d": reflect.TypeOf(float64(0)),
		"dec": reflect.TypeOf(decimal.Decimal{}), "t": reflect.TypeOf(""), "by": reflect.TypeOf([]byte(nil)),
		"j": reflect.TypeOf(types.JSONDocument{}), "ts": reflect.TypeOf(time.Time{}), "dt": reflect.TypeOf(time.Time{}),
		"dtt": reflect.TypeOf(time.Time{}), "tm": reflect.TypeOf(types.Timespan(0)), "u": reflect.TypeOf(""),
		"money": reflect.TypeOf(decimal.Decimal{}), "vc": reflect.TypeOf(""),
	}
	p, _ := NewProjection(allTypes, allTypes, nil)
	got := make([]any, p.Len())
	if _, err := p.Decode(encodeOrFail(t, Header{}, sampleRows()[1]), got); err != nil {
		t.Fatal(err)
	}
	for i, c := range allTypes.Columns {
		if reflect.TypeOf(got[i]) != want[c.Name] {
			t.Errorf("%s: %T, want %s", c.Name, got[i], want[c.Name])
		}
		if tm, ok := got[i].(time.Time); ok && tm.Location() != time.UTC {
			t.Errorf("%s: location %s", c.Name, tm.Location())
		}
	}
	// Type switches and assertions work on slab-boxed values.
	switch v := got[3].(type) {
	case int64:
		if v != 1234567890123 {
			t.Fatal(v)
		}
	default:
		t.Fatalf("type switch: %T", v)
	}
	if got[7].(string) != "hello" || got[14] != any("0189f7e4-3a2b-7c1d-8e5f-0123456789ab") {
		t.Fatal("string values")
	}
}

func TestSlabTypesAreIndirect(t *testing.T) {
	// A pointer-shaped type is stored in the interface word itself, not
	// behind a pointer; boxing one via put would be wrong.
	var pointerShaped func(reflect.Type) bool
	pointerShaped = func(t reflect.Type) bool {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return true
		case reflect.Struct:
			return t.NumField() == 1 && pointerShaped(t.Field(0).Type)
		case reflect.Array:
			return t.Len() == 1 && pointerShaped(t.Elem())
		}
		return false
	}
	for k := schema.KindBool; k < schema.NumKinds; k++ {
		if pointerShaped(slabTypes[k]) {
			t.Errorf("kind %d: %s is pointer-shaped", k, slabTypes[k])
		}
		if slabTypes[k].Name() == "" && slabTypes[k].Kind() != reflect.Slice {
			t.Errorf("kind %d has no type", k)
		}
	}
}

// Decoded values must not alias the input and must survive the input
// being overwritten and garbage collections.
func TestDecodedValuesAreIndependent(t *testing.T) {
	p, _ := NewProjection(allTypes, allTypes, nil)
	rows := sampleRows()
	var decoded [][]any
	for round := 0; round < 50; round++ {
		for _, values := range rows {
			b := encodeOrFail(t, Header{}, values)
			got := make([]any, p.Len())
			if _, err := p.Decode(b, got); err != nil {
				t.Fatal(err)
			}
			for i := range b {
				b[i] = 0xAA
			}
			decoded = append(decoded, got)
		}
		runtime.GC()
	}
	for i, got := range decoded {
		want := rows[i%len(rows)]
		for c := range want {
			w := want[c]
			if bs, ok := w.([]byte); ok && bs == nil {
				w = []byte{}
			}
			if !sameValue(got[c], w) {
				t.Fatalf("decoded row %d column %d changed: %#v", i, c, got[c])
			}
		}
	}
}

func TestTombstone(t *testing.T) {
	h := Header{SchemaVersion: 3, Seq: 99, Deleted: true}
	b, err := Encode(nil, h, allTypes, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewProjection(allTypes, allTypes, []int{0, 7})
	dst := []any{"junk", "junk"}
	gh, err := p.Decode(b, dst)
	if err != nil || gh != h || dst[0] != nil || dst[1] != nil {
		t.Fatalf("tombstone: %+v %v %v", gh, dst, err)
	}
	// Without the deleted flag, no values is an error.
	if _, err := Encode(nil, Header{}, allTypes, nil); err == nil {
		t.Fatal("nil values accepted for a live row")
	}
	// A tombstone may also keep its values.
	b = encodeOrFail(t, h, sampleRows()[1])
	if _, err := p.Decode(b, dst); err != nil || dst[1] != "hello" {
		t.Fatalf("tombstone with values: %v %v", dst, err)
	}
}

func TestEncodeAppendsAndKeepsBufferOnError(t *testing.T) {
	prefix := []byte("prefix")
	b, err := Encode(prefix, Header{}, allTypes, sampleRows()[1])
	if err != nil || !bytes.HasPrefix(b, prefix) {
		t.Fatal(err)
	}
	p, _ := NewProjection(allTypes, allTypes, nil)
	if _, err := p.Decode(b[len(prefix):], make([]any, p.Len())); err != nil {
		t.Fatal(err)
	}
	bad := sampleRows()[1]
	bad[16] = 5
	out, err := Encode(prefix, Header{}, allTypes, bad)
	if err == nil || string(out) != "prefix" {
		t.Fatalf("on error: %q %v", out, err)
	}
}

func TestEncodeRejectsWrongGoTypes(t *testing.T) {
	cases := []struct {
		col int
		v   any
	}{
		{0, true}, {0, int8(2)}, {0, int64(1)},
		{1, int32(1)}, {1, int64(1)},
		{2, int64(1)}, {2, 1},
		{3, int32(1)}, {3, uint64(1)},
		{4, 1.5}, {5, float32(1.5)},
		{6, "1.5"}, {6, 1.5},
		{7, []byte("x")}, {8, "x"},
		{9, `{"a":1}`}, {9, map[string]any{}},
		{10, "2024-01-01"}, {10, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, {10, time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)},
		{11, time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)},
		{13, time.Duration(5)}, {13, types.Timespan(maxTimespan + 1)}, {13, int64(5)},
		{14, "not-a-uuid"}, {14, []byte("0189f7e4-3a2b-7c1d-8e5f-0123456789ab")}, {14, "0189f7e43a2b7c1d8e5f0123456789ab"},
		{9, types.JSONDocument{Val: math.NaN()}},
	}
	for _, c := range cases {
		values := make([]any, len(allTypes.Columns))
		values[c.col] = c.v
		_, err := Encode(nil, Header{}, allTypes, values)
		if err == nil {
			t.Errorf("column %s accepted %T %v", allTypes.Columns[c.col].Name, c.v, c.v)
		} else if !strings.Contains(err.Error(), allTypes.Columns[c.col].Name) {
			t.Errorf("error does not name the column: %v", err)
		}
	}
	if _, err := Encode(nil, Header{}, allTypes, make([]any, 3)); err == nil {
		t.Error("wrong value count accepted")
	}
	if _, err := Encode(nil, Header{SchemaVersion: 2}, allTypes, make([]any, 17)); err == nil {
		t.Error("header/schema version mismatch accepted")
	}
	unknown := tableSchema(1, col(1, "x", dtype("GEOMETRY")))
	if _, err := Encode(nil, Header{}, unknown, []any{"x"}); err == nil {
		t.Error("unknown type accepted")
	}
	// Upper-case UUIDs are accepted and read back lower-case.
	values := make([]any, 17)
	values[14] = "0189F7E4-3A2B-7C1D-8E5F-0123456789AB"
	b, err := Encode(nil, Header{}, allTypes, values)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewProjection(allTypes, allTypes, []int{14})
	got := make([]any, 1)
	if _, err := p.Decode(b, got); err != nil || got[0] != "0189f7e4-3a2b-7c1d-8e5f-0123456789ab" {
		t.Fatalf("%v %v", got, err)
	}
}

func TestProjectionAcrossVersions(t *testing.T) {
	v1 := tableSchema(1,
		col(1, "id", dtype(dialect.TypeBigInt)),
		col(2, "body", dtype(dialect.TypeText)),
		col(3, "n", dtype(dialect.TypeInt)),
		col(4, "price", dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 3}),
		col(5, "flag", dtype(dialect.TypeBoolean)),
	)
	// v2: body dropped, n widened to BIGINT, price rescaled, a new column
	// added, and the columns reordered.
	v2 := tableSchema(2,
		col(6, "added", dtype(dialect.TypeText)),
		col(3, "n", dtype(dialect.TypeBigInt)),
		col(1, "id", dtype(dialect.TypeBigInt)),
		col(4, "price", dialect.DataType{Name: dialect.TypeDecimal, Precision: 12, Scale: 2}),
		col(5, "flag", dtype(dialect.TypeBoolean)),
	)
	row := []any{int64(42), "dropped text", int32(-5), mustDec("1.235"), int8(1)}
	b, err := Encode(nil, Header{Seq: 9}, v1, row)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProjection(v1, v2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version() != 1 || p.Len() != 5 || !p.Missing(0) || p.Missing(1) || p.Missing(2) || !p.AnyMissing() {
		t.Fatalf("projection: version %d len %d missing %v", p.Version(), p.Len(), p.missing)
	}
	got := make([]any, 5)
	h, err := p.Decode(b, got)
	if err != nil || h.Seq != 9 || h.SchemaVersion != 1 {
		t.Fatal(h, err)
	}
	want := []any{nil, int64(-5), int64(42), mustDec("1.24"), int8(1)}
	for i := range want {
		if !sameValue(got[i], want[i]) {
			t.Errorf("column %s: %#v, want %#v", v2.Columns[i].Name, got[i], want[i])
		}
	}
	if got[3].(decimal.Decimal).Exponent() != -2 {
		t.Errorf("converted decimal exponent %d", got[3].(decimal.Decimal).Exponent())
	}

	// Projection pushdown: only id and added.
	p2, err := NewProjection(v1, v2, []int{2, 0})
	if err != nil {
		t.Fatal(err)
	}
	got = make([]any, 2)
	if _, err := p2.Decode(b, got); err != nil || got[0] != int64(42) || got[1] != nil || !p2.Missing(1) || p2.Missing(0) {
		t.Fatalf("pushdown: %v %v", got, err)
	}

	// Rows of the current version through the same cache of projections.
	row2 := []any{"new", int64(1 << 40), int64(43), mustDec("9.99"), nil}
	b2, err := Encode(nil, Header{}, v2, row2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Decode(b2, make([]any, 5)); !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("wrong projection: %v", err)
	}
	pc, _ := NewProjection(v2, v2, nil)
	got = make([]any, 5)
	if _, err := pc.Decode(b2, got); err != nil {
		t.Fatal(err)
	}
	for i := range row2 {
		if !sameValue(got[i], row2[i]) {
			t.Errorf("v2 column %d: %#v", i, got[i])
		}
	}

	// A conversion that does not fit is an error, not a silent NULL.
	v3 := tableSchema(3, col(3, "n", dtype(dialect.TypeSmallInt)))
	b3, _ := Encode(nil, Header{}, v1, []any{int64(1), "x", int32(100000), nil, nil})
	p3, _ := NewProjection(v1, v3, nil)
	if _, err := p3.Decode(b3, make([]any, 1)); err == nil || !strings.Contains(err.Error(), "out of range for SMALLINT") {
		t.Fatalf("narrowing conversion: %v", err)
	}
	// Type change across kinds: INT read as TEXT.
	v4 := tableSchema(4, col(3, "n", dtype(dialect.TypeText)))
	p4, _ := NewProjection(v1, v4, nil)
	got = make([]any, 1)
	if _, err := p4.Decode(b, got); err != nil || got[0] != "-5" {
		t.Fatalf("INT as TEXT: %#v %v", got, err)
	}
}

func TestProjectionErrors(t *testing.T) {
	s := tableSchema(1, col(1, "a", dtype(dialect.TypeInt)))
	for _, want := range [][]int{{1}, {-1}, {0, 0}} {
		if _, err := NewProjection(s, s, want); err == nil {
			t.Errorf("want %v accepted", want)
		}
	}
	dup := tableSchema(1, col(1, "a", dtype(dialect.TypeInt)), col(1, "b", dtype(dialect.TypeInt)))
	if _, err := NewProjection(dup, s, nil); err == nil {
		t.Error("duplicate column ids accepted")
	}
	if _, err := NewProjection(nil, s, nil); err == nil {
		t.Error("nil schema accepted")
	}
	p, _ := NewProjection(s, s, nil)
	if _, err := p.Decode([]byte{}, make([]any, 2)); err == nil {
		t.Error("wrong dst length accepted")
	}
	// Zero wanted columns: only the header and column count are read.
	p0, _ := NewProjection(s, s, []int{})
	b, _ := Encode(nil, Header{Seq: 5}, s, []any{int32(1)})
	if h, err := p0.Decode(b, nil); err != nil || h.Seq != 5 {
		t.Fatal(h, err)
	}
}

// Every strict prefix of an encoded row is an error wrapping ErrCorrupt.
func TestCorruptTruncations(t *testing.T) {
	p, _ := NewProjection(allTypes, allTypes, nil)
	dst := make([]any, p.Len())
	for ri, values := range sampleRows() {
		b := encodeOrFail(t, Header{Seq: 1, Deleted: ri == 2}, values)
		for n := 0; n < len(b); n++ {
			_, err := p.Decode(b[:n], dst)
			if err == nil {
				t.Fatalf("row %d truncated to %d of %d bytes decoded", ri, n, len(b))
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("row %d truncated to %d: error %v does not wrap ErrCorrupt", ri, n, err)
			}
			if n < headerFixed+1 {
				if _, err := DecodeHeader(b[:n]); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("DecodeHeader of %d bytes: %v", n, err)
				}
			}
		}
		// Trailing bytes are corrupt too.
		if _, err := p.Decode(append(b, 0), dst); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("trailing byte: %v", err)
		}
	}
}

// Flipped bytes never panic; the decoder either errors or decodes
// something of the right types.
func TestCorruptFlips(t *testing.T) {
	p, _ := NewProjection(allTypes, allTypes, nil)
	pp, _ := NewProjection(allTypes, allTypes, []int{14, 3, 9})
	dst := make([]any, p.Len())
	for ri, values := range sampleRows() {
		if ri == 3 {
			continue // the big row: covered by the fuzzer
		}
		b := encodeOrFail(t, Header{Seq: 1}, values)
		for i := range b {
			for _, mask := range []byte{0x01, 0x80, 0xff, 0x7f, 0x10} {
				c := bytes.Clone(b)
				c[i] ^= mask
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("row %d byte %d ^ %#x: panic %v", ri, i, mask, r)
						}
					}()
					_, _ = DecodeHeader(c)
					if _, err := p.Decode(c, dst); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersionMismatch) {
						t.Fatalf("row %d byte %d: unexpected error kind %v", ri, i, err)
					}
					_, _ = pp.Decode(c, dst[:3])
				}()
			}
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	b := chatRowBytes(t)
	p, _ := NewProjection(chatSchema, chatSchema, nil)
	dst := make([]any, p.Len())
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.Decode(b, dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Fatalf("chat row decode: %.1f allocations, want <= 2", allocs)
	}
	// Skipping unwanted columns costs nothing: BIGINT and BOOLEAN only.
	p2, _ := NewProjection(chatSchema, chatSchema, []int{0, 5})
	allocs = testing.AllocsPerRun(200, func() {
		if _, err := p2.Decode(b, dst[:2]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("projected decode: %.1f allocations", allocs)
	}
	values := chatRow()
	buf := make([]byte, 0, 256)
	allocs = testing.AllocsPerRun(200, func() {
		if _, err := Encode(buf[:0], Header{Seq: 1}, chatSchema, values); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("chat row encode: %.1f allocations", allocs)
	}
	if h, err := DecodeHeader(b); err != nil || h.Seq == 0 {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeHeader(b) }); n != 0 {
		t.Fatalf("DecodeHeader allocates %.1f", n)
	}
}

func TestDecimalEncodingEdges(t *testing.T) {
	s := tableSchema(1, col(1, "d", dialect.DataType{Name: dialect.TypeDecimal, Precision: 38, Scale: 10}))
	p, _ := NewProjection(s, s, nil)
	for _, str := range []string{"0", "-0.0000000001", "12345678901234567890123456789012345678", "-99999999999999999999999999999999999999",
		"72057594037927935", "72057594037927936", "-72057594037927936", "1e30", "1.5e-40", "255", "256"} {
		d := mustDec(str)
		b, err := Encode(nil, Header{}, s, []any{d})
		if err != nil {
			t.Fatal(str, err)
		}
		got := make([]any, 1)
		if _, err := p.Decode(b, got); err != nil || !got[0].(decimal.Decimal).Equal(d) {
			t.Fatalf("%s: %v %v", str, got[0], err)
		}
	}
	huge := decimal.NewFromBigInt(new(big.Int).Lsh(big.NewInt(1), 300), 0)
	if _, err := Encode(nil, Header{}, s, []any{huge}); err == nil {
		t.Fatal("300-bit coefficient accepted")
	}
}

func ExampleProjection_Decode() {
	v1 := tableSchema(1,
		col(1, "id", dtype(dialect.TypeBigInt)),
		col(2, "text", dtype(dialect.TypeText)))
	v2 := tableSchema(2,
		col(1, "id", dtype(dialect.TypeBigInt)),
		col(2, "text", dtype(dialect.TypeText)),
		col(3, "likes", dtype(dialect.TypeInt)))
	b, _ := Encode(nil, Header{Seq: 7}, v1, []any{int64(1), "hi"})

	h, _ := DecodeHeader(b)                    // which version wrote it?
	p, _ := NewProjection(v1, v2, []int{2, 1}) // cache this per (1, 2, columns)
	dst := make([]any, p.Len())
	_, _ = p.Decode(b, dst)
	fmt.Println(h.SchemaVersion, h.Seq, dst, p.Missing(0))
	// Output: 1 7 [<nil> hi] true
}

// One cached Projection serves concurrent readers.
func TestProjectionConcurrentUse(t *testing.T) {
	p, _ := NewProjection(allTypes, allTypes, nil)
	rows := sampleRows()
	enc := make([][]byte, len(rows))
	for i, values := range rows {
		enc[i] = encodeOrFail(t, Header{}, values)
	}
	done := make(chan error)
	for w := 0; w < 4; w++ {
		go func() {
			dst := make([]any, p.Len())
			for i := 0; i < 200; i++ {
				ri := (i + w) % len(rows)
				if _, err := p.Decode(enc[ri], dst); err != nil {
					done <- err
					return
				}
				if !sameValue(dst[7], rows[ri][7]) {
					done <- fmt.Errorf("row %d: %#v", ri, dst[7])
					return
				}
			}
			done <- nil
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// DecodeShared gives what Decode gives, for every type (TEXT as views of
// the buffer, everything else as Decode makes it), with the chat row's
// string allocation saved.
func TestDecodeSharedMatchesDecode(t *testing.T) {
	p, err := NewProjection(allTypes, allTypes, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ri, values := range sampleRows() {
		b := encodeOrFail(t, Header{SchemaVersion: 3, Seq: int64(ri) + 1}, values)
		want := make([]any, p.Len())
		wh, err := p.Decode(b, want)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]any, p.Len())
		gh, err := p.DecodeShared(b, got)
		if err != nil || gh != wh {
			t.Fatalf("row %d: header %+v %v, want %+v", ri, gh, err, wh)
		}
		for i := range want {
			if !sameValue(got[i], want[i]) || reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) {
				t.Errorf("row %d column %s: shared %#v (%T), copied %#v (%T)", ri, allTypes.Columns[i].Name, got[i], got[i], want[i], want[i])
			}
		}
	}
	b := chatRowBytes(t)
	chat, _ := NewProjection(chatSchema, chatSchema, nil)
	dst := make([]any, chat.Len())
	copied := testing.AllocsPerRun(100, func() { _, _ = chat.Decode(b, dst) })
	shared := testing.AllocsPerRun(100, func() { _, _ = chat.DecodeShared(b, dst) })
	if shared >= copied {
		t.Fatalf("DecodeShared makes %.1f allocations a chat row, Decode %.1f", shared, copied)
	}
	// The strings are views of b.
	for _, v := range dst {
		if s, ok := v.(string); ok && len(s) > 0 {
			at := uintptr(unsafe.Pointer(unsafe.StringData(s)))
			start := uintptr(unsafe.Pointer(&b[0]))
			if at < start || at >= start+uintptr(len(b)) {
				t.Fatalf("string %.20q is not a view of the row's bytes", s)
			}
		}
	}
}
