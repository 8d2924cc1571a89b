package cold

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// allTypesSchema has one column of every type, and some twice with
// different parameters.
func allTypesSchema() *systable.TableSchema {
	varchar := col(11, "vc", dialect.TypeText)
	varchar.Type.MaxLength = 20
	return &systable.TableSchema{TableID: "ns:all", Version: 3, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt),
		col(2, "b", dialect.TypeBoolean),
		col(3, "si", dialect.TypeSmallInt),
		col(4, "i", dialect.TypeInt),
		col(5, "bi", dialect.TypeBigInt),
		col(6, "f", dialect.TypeFloat),
		col(7, "d", dialect.TypeDouble),
		decCol(8, "dec38_10", 38, 10),
		decCol(9, "dec38_0", 38, 0),
		decCol(10, "dec5_2", 5, 2),
		varchar,
		col(12, "t", dialect.TypeText),
		col(13, "by", dialect.TypeBytes),
		col(14, "j", dialect.TypeJSON),
		col(15, "ts", dialect.TypeTimestamp),
		col(16, "dt", dialect.TypeDateTime),
		col(17, "day", dialect.TypeDate),
		col(18, "tm", dialect.TypeTime),
		col(19, "u", dialect.TypeUUID),
		decCol(20, "dec18_4", 18, 4),
	}}
}

func utc(y int, mo time.Month, d, h, mi, s, us int) time.Time {
	return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
}

func allTypesRows(t *testing.T) []Row {
	bigJSON := func() types.JSONDocument {
		var b strings.Builder
		b.WriteString(`{"items":[`)
		for i := range 20000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"n":%d,"s":"élément %d ✓","nested":{"ok":true,"v":null,"f":1.5}}`, i, i)
		}
		b.WriteString(`],"emoji":"😀"}`)
		return mustJSON(t, b.String())
	}()
	vals := [][]any{
		{ // typical values
			int64(1), int8(1), int16(12), int32(1234), int64(123456789), float32(1.5), float64(2.25),
			mustDec(t, "12345.6789012345", 10), mustDec(t, "42", 0), mustDec(t, "123.45", 2),
			"short", "plain text", []byte{0, 1, 2, 0xff}, mustJSON(t, `{"a":1,"b":[true,null,"x"]}`),
			utc(2024, 2, 29, 12, 30, 45, 123456), utc(2000, 1, 1, 0, 0, 0, 1), utc(2024, 2, 29, 0, 0, 0, 0),
			types.Timespan(12*3600e6 + 34*60e6 + 56e6 + 789), "0190f8d2-7b3c-7def-8abc-0123456789ab",
			mustDec(t, "-1.0001", 4),
		},
		{ // maxima
			int64(2), int8(0), int16(math.MaxInt16), int32(math.MaxInt32), int64(math.MaxInt64),
			float32(math.MaxFloat32), math.MaxFloat64,
			mustDec(t, "9999999999999999999999999999.9999999999", 10),
			mustDec(t, "99999999999999999999999999999999999999", 0),
			mustDec(t, "999.99", 2),
			strings.Repeat("é", 20), strings.Repeat("long text ", 10000), make([]byte, 0),
			bigJSON,
			utc(9999, 12, 31, 23, 59, 59, 999999), utc(9999, 12, 31, 23, 59, 59, 999999), utc(9999, 12, 31, 0, 0, 0, 0),
			types.Timespan(838*3600e6 + 59*60e6 + 59e6 + 999999), "ffffffff-ffff-ffff-ffff-ffffffffffff",
			mustDec(t, "99999999999999.9999", 4),
		},
		{ // minima, before 1970
			int64(3), int8(0), int16(math.MinInt16), int32(math.MinInt32), int64(math.MinInt64),
			float32(-math.MaxFloat32), -math.MaxFloat64,
			mustDec(t, "-9999999999999999999999999999.9999999999", 10),
			mustDec(t, "-99999999999999999999999999999999999999", 0),
			mustDec(t, "-999.99", 2),
			"", "", []byte{},
			mustJSON(t, `[]`),
			utc(1, 1, 1, 0, 0, 0, 0), utc(1969, 12, 31, 23, 59, 59, 999999), utc(1, 1, 1, 0, 0, 0, 0),
			types.Timespan(-(838*3600e6 + 59*60e6 + 59e6 + 999999)), "00000000-0000-0000-0000-000000000000",
			mustDec(t, "-99999999999999.9999", 4),
		},
		{ // special floats, unicode, small values around zero
			int64(4), int8(1), int16(-1), int32(-1), int64(-1),
			float32(math.Inf(-1)), math.NaN(),
			mustDec(t, "0.0000000001", 10), mustDec(t, "0", 0), mustDec(t, "-0.01", 2),
			"日本語テキスト", "emoji 😀 and combining é and NUL \x00 inside", []byte("\x00\x00"),
			mustJSON(t, `"just a string with \"quotes\" and \\ and \u00e9"`),
			utc(1900, 6, 15, 8, 0, 0, 5), utc(1969, 1, 1, 0, 0, 0, 0), utc(1969, 12, 31, 0, 0, 0, 0),
			types.Timespan(0), "01234567-89ab-cdef-0123-456789abcdef",
			mustDec(t, "0.0001", 4),
		},
		{ // negative zero and +Inf
			int64(5), int8(0), int16(0), int32(0), int64(0),
			float32(math.Copysign(0, -1)), math.Inf(1),
			mustDec(t, "-0.0000000001", 10), mustDec(t, "1", 0), mustDec(t, "0.5", 2),
			"x", strings.Repeat("ü", 3000), []byte("bytes"),
			mustJSON(t, `{"deep":{"er":{"est":[1,2,3,{"k":"v"}]}},"num":12345678901234567890}`),
			utc(1970, 1, 1, 0, 0, 0, 0), utc(1970, 1, 1, 0, 0, 0, 1), utc(1970, 1, 1, 0, 0, 0, 0),
			types.Timespan(-1), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
			mustDec(t, "-0.0001", 4),
		},
	}
	nullRow := make([]any, len(vals[0]))
	nullRow[0] = int64(6)
	vals = append(vals, nullRow)

	var rows []Row
	for i, v := range vals {
		rows = append(rows, Row{Key: bigintKey(t, v[0].(int64)), Seq: int64(100 + i), Values: v})
	}
	// A tombstone stored without values, and one with them.
	rows = append(rows, Row{Key: bigintKey(t, 7), Seq: 200, Deleted: true})
	tomb := append([]any(nil), vals[0]...)
	tomb[0] = int64(8)
	rows = append(rows, Row{Key: bigintKey(t, 8), Seq: 50, Deleted: true, Values: tomb})
	return rows
}

func TestRoundTripEveryType(t *testing.T) {
	st := newFS(t)
	sch := allTypesSchema()
	rows := allTypesRows(t)
	info := writeRows(t, st, "ns/all/u1/batch-1.parquet", sch, rows, WriteOptions{RowGroupRows: 3})

	if info.Rows != int64(len(rows)) || info.MinSeq != 50 || info.MaxSeq != 200 || info.SchemaVersion != 3 ||
		info.TableID != "ns:all" || info.RowGroups != 3 {
		t.Fatalf("info = %+v", info)
	}
	if string(info.MinKey) != string(rows[0].Key) || string(info.MaxKey) != string(rows[len(rows)-1].Key) {
		t.Fatalf("key range %x..%x", info.MinKey, info.MaxKey)
	}
	ent, err := st.Stat(context.Background(), "ns/all/u1/batch-1.parquet")
	if err != nil || ent.Size != info.Bytes {
		t.Fatalf("stat = %+v, %v; info.Bytes = %d", ent, err, info.Bytes)
	}
	mf := info.ManifestFile()
	if mf.Rows != info.Rows || mf.MinPK != fmt.Sprintf("%x", info.MinKey) || mf.SchemaVersion != 3 {
		t.Fatalf("manifest file = %+v", mf)
	}

	f := openFile(t, st, "ns/all/u1/batch-1.parquet")
	got := f.Info()
	// The footer cannot hold its own checksum: only the write knows it.
	got.Path, info.Path, info.Meta = "", "", MetaChecksum{}
	if fmt.Sprint(got) != fmt.Sprint(info) {
		t.Fatalf("Info() = %+v, want %+v", got, info)
	}

	want := make([]Row, len(rows))
	copy(want, rows)
	want[6].Values = make([]any, len(sch.Columns)) // tombstone without values reads as NULLs
	rowsEqual(t, scanAll(t, f, sch, nil), want)

	// The values are exactly what the hot tier's row format gives back
	// for the same input: one canonical representation across tiers.
	proj, err := row.NewProjection(sch, sch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows[:6] {
		enc, err := row.Encode(nil, row.Header{Seq: r.Seq}, sch, r.Values)
		if err != nil {
			t.Fatal(err)
		}
		hot := make([]any, proj.Len())
		if _, err := proj.Decode(enc, hot); err != nil {
			t.Fatal(err)
		}
		cold, found, err := f.Lookup(context.Background(), sch, nil, r.Key)
		if err != nil || !found {
			t.Fatalf("lookup row %d: %v %v", i, found, err)
		}
		rowEqual(t, fmt.Sprintf("hot vs cold row %d", i), cold, Row{Key: r.Key, Seq: r.Seq, Values: hot})
	}

	// Projection of a subset, in another order.
	sub := scanAll(t, f, sch, []int{19, 0, 13})
	for i, r := range sub {
		w := []any{want[i].Values[19], want[i].Values[0], want[i].Values[13]}
		rowEqual(t, fmt.Sprintf("subset row %d", i), r, Row{Key: want[i].Key, Seq: want[i].Seq, Deleted: want[i].Deleted, Values: w})
	}
}

func TestWriteRejectsBadValues(t *testing.T) {
	st := newFS(t)
	sch := allTypesSchema()
	good := allTypesRows(t)[0].Values
	cases := []struct {
		col int
		v   any
	}{
		{1, true},                               // BOOLEAN must be int8
		{1, int8(2)},                            // not 0/1
		{2, int32(1)},                           // SMALLINT must be int16
		{4, int(1)},                             // BIGINT must be int64
		{9, mustDec(t, "1000", 2)},              // too many digits for DECIMAL(5,2)
		{9, decimal.RequireFromString("1.234")}, // more fractional digits than the scale
		{12, "text"},                            // BYTES must be []byte
		{13, `{"a":1}`},                         // JSON must be a JSONDocument
		{14, utc(10000, 1, 1, 0, 0, 0, 0)},      // beyond 9999
		{18, "not-a-uuid"},
	}
	for i, c := range cases {
		vals := append([]any(nil), good...)
		vals[c.col] = c.v
		p := fmt.Sprintf("bad/%d.parquet", i)
		_, err := WriteFile(context.Background(), st, p, sch, SliceSource([]Row{{Key: []byte{1}, Seq: 1, Values: vals}}), WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), sch.Columns[c.col].Name) {
			t.Errorf("case %d (%T %v): err = %v, want an error naming column %q", i, c.v, c.v, err, sch.Columns[c.col].Name)
		}
	}
	ents, err := st.List(context.Background(), "bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("failed writes left %v", ents)
	}
	if n, err := st.CleanupTemp(context.Background(), "bad", time.Time{}, nil); err != nil || n != 0 {
		t.Fatalf("failed writes left %d temp files (%v)", n, err)
	}

	// Wrong value count, unknown type, system column name.
	_, err = WriteFile(context.Background(), st, "bad/n.parquet", sch, SliceSource([]Row{{Key: []byte{1}, Values: good[:3]}}), WriteOptions{})
	if err == nil {
		t.Fatal("short row accepted")
	}
	bad := &systable.TableSchema{TableID: "x", Columns: []systable.ColumnSchema{col(1, "_seq", dialect.TypeInt)}}
	if _, err := WriteFile(context.Background(), st, "bad/s.parquet", bad, SliceSource(nil), WriteOptions{}); err == nil {
		t.Fatal("column named _seq accepted")
	}
	bad = &systable.TableSchema{TableID: "x", Columns: []systable.ColumnSchema{col(1, "a", "GEOMETRY")}}
	if _, err := WriteFile(context.Background(), st, "bad/s.parquet", bad, SliceSource(nil), WriteOptions{}); err == nil {
		t.Fatal("unknown type accepted")
	}
	bad = &systable.TableSchema{TableID: "x", Columns: []systable.ColumnSchema{col(1, "a", dialect.TypeInt), col(1, "b", dialect.TypeInt)}}
	if _, err := WriteFile(context.Background(), st, "bad/s.parquet", bad, SliceSource(nil), WriteOptions{}); err == nil {
		t.Fatal("duplicate column id accepted")
	}
	if _, err := WriteFile(context.Background(), st, "bad/e.parquet", sch, SliceSource(nil), WriteOptions{}); !errors.Is(err, ErrNoRows) {
		t.Fatalf("empty source: %v", err)
	}
}

func TestKeyOrderEnforced(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	mk := func(ids ...int64) []Row {
		var rows []Row
		for _, id := range ids {
			rows = append(rows, Row{Key: bigintKey(t, id), Seq: id, Values: []any{id, nil, nil, nil, nil, nil}})
		}
		return rows
	}
	for name, rows := range map[string][]Row{
		"descending": mk(1, 3, 2),
		"duplicate":  mk(1, 2, 2),
		"late":       append(mk(10, 20), mk(30, 40, 5)...),
	} {
		_, err := WriteFile(context.Background(), st, "o/"+name+".parquet", sch, SliceSource(rows), WriteOptions{BatchRows: 2, RowGroupRows: 2})
		if !errors.Is(err, ErrKeyOrder) {
			t.Errorf("%s: err = %v, want ErrKeyOrder", name, err)
		}
		if !strings.Contains(fmt.Sprint(err), "o/"+name+".parquet") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	rows := mk(1)
	rows[0].Key = nil
	if _, err := WriteFile(context.Background(), st, "o/empty.parquet", sch, SliceSource(rows), WriteOptions{}); err == nil {
		t.Error("empty key accepted")
	}
	if ents, _ := st.List(context.Background(), "o"); len(ents) != 0 {
		t.Fatalf("refused writes left files: %v", ents)
	}
	if n, _ := st.CleanupTemp(context.Background(), "o", time.Time{}, nil); n != 0 {
		t.Fatalf("refused writes left %d temp files", n)
	}
	// Keys compare as unsigned bytes: 0x7f < 0x80 < 0xff.
	ok := []Row{{Key: []byte{0x7f}}, {Key: []byte{0x80}}, {Key: []byte{0x80, 0}}, {Key: []byte{0xff}}}
	for i := range ok {
		ok[i].Values = make([]any, 6)
		ok[i].Seq = int64(i)
	}
	writeRows(t, st, "o/unsigned.parquet", sch, ok, WriteOptions{RowGroupRows: 1})
	f := openFile(t, st, "o/unsigned.parquet")
	rowsEqual(t, scanAll(t, f, sch, nil), ok)
	for _, r := range ok {
		if _, found, err := f.Lookup(context.Background(), sch, nil, r.Key); err != nil || !found {
			t.Fatalf("lookup %x: %v %v", r.Key, found, err)
		}
	}
	var got [][]byte
	if err := f.ScanRange(context.Background(), sch, []int{}, []byte{0x80}, []byte{0xff}, func(r Row) error {
		got = append(got, r.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%x", got) != "[80 8000]" {
		t.Fatalf("range [80, ff) = %x", got)
	}
}

func TestProjectionOntoNewerSchema(t *testing.T) {
	st := newFS(t)
	v1 := &systable.TableSchema{TableID: "app:people", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt),
		col(2, "name", dialect.TypeText),
		col(3, "age", dialect.TypeInt),
		decCol(4, "score", 10, 2),
		col(5, "note", dialect.TypeText),
	}}
	var rows []Row
	for i := range 10 {
		var note any
		if i%3 == 0 {
			note = fmt.Sprintf("note %d", i)
		}
		rows = append(rows, Row{Key: bigintKey(t, int64(i)), Seq: int64(i + 1), Values: []any{
			int64(i), fmt.Sprintf("name %d", i), int32(20 + i), mustDec(t, fmt.Sprintf("%d.5", i), 2), note}})
	}
	writeRows(t, st, "p.parquet", v1, rows, WriteOptions{RowGroupRows: 4})
	f := openFile(t, st, "p.parquet")

	// v2: name dropped, email added, columns reordered, age widened to
	// BIGINT, score rescaled to DECIMAL(12,3), note renamed to memo (same
	// ColumnID, so the same column).
	v2 := &systable.TableSchema{TableID: "app:people", Version: 2, Columns: []systable.ColumnSchema{
		col(3, "age", dialect.TypeBigInt),
		col(6, "email", dialect.TypeText),
		pkCol(1, "id", dialect.TypeBigInt),
		decCol(4, "score", 12, 3),
		col(5, "memo", dialect.TypeText),
	}}
	missing, err := f.Missing(v2, nil)
	if err != nil || fmt.Sprint(missing) != "[false true false false false]" {
		t.Fatalf("Missing = %v, %v", missing, err)
	}
	got := scanAll(t, f, v2, nil)
	for i, r := range got {
		want := []any{int64(20 + i), nil, int64(i), mustDec(t, fmt.Sprintf("%d.5", i), 3), rows[i].Values[4]}
		rowEqual(t, fmt.Sprintf("row %d", i), r, Row{Key: rows[i].Key, Seq: rows[i].Seq, Values: want})
	}

	// Only some columns, and only the file's columns that are wanted are
	// read: a scan wanting just the new column reads no user column.
	before := f.Stats().BytesRead
	got = scanAll(t, f, v2, []int{1})
	for i, r := range got {
		if len(r.Values) != 1 || r.Values[0] != nil || r.Seq != rows[i].Seq {
			t.Fatalf("row %d = %+v", i, r)
		}
	}
	onlySystem := f.Stats().BytesRead - before
	before = f.Stats().BytesRead
	scanAll(t, f, v2, nil)
	if all := f.Stats().BytesRead - before; onlySystem >= all {
		t.Fatalf("reading no user column read %d bytes, all columns %d", onlySystem, all)
	}

	r, found, err := f.Lookup(context.Background(), v2, []int{4, 0}, bigintKey(t, 6))
	if err != nil || !found {
		t.Fatal(found, err)
	}
	rowEqual(t, "lookup", r, Row{Key: bigintKey(t, 6), Seq: 7, Values: []any{"note 6", int64(26)}})

	// A re-typed column whose old values no longer fit is an error, not a
	// silent change.
	v3 := &systable.TableSchema{TableID: "app:people", Version: 3, Columns: []systable.ColumnSchema{decCol(4, "score", 1, 0)}}
	if err := f.Scan(context.Background(), v3, nil, func(Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "score") {
		t.Fatalf("score 9.5 read as DECIMAL(1,0): %v, want an error", err)
	}

	// Bad requests.
	if _, err := f.Missing(v2, []int{7}); err == nil {
		t.Fatal("out-of-range wanted column accepted")
	}
	if _, err := f.Missing(v2, []int{1, 1}); err == nil {
		t.Fatal("column wanted twice accepted")
	}
	other := *v2
	other.TableID = "app:other"
	if err := f.Scan(context.Background(), &other, nil, func(Row) error { return nil }); err == nil {
		t.Fatal("file read as another table")
	}
}

// Panics in the caller's code (the row source, the scan callback) are
// not mistaken for damaged files: they propagate.
func TestCallerPanicsPropagate(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if v := recover(); v != "caller bug" {
				t.Fatalf("%s: recovered %v, want the caller's panic", what, v)
			}
		}()
		f()
	}
	mustPanic("row source", func() {
		WriteFile(context.Background(), st, "p/x.parquet", sch, SourceFunc(func() (Row, bool, error) { panic("caller bug") }), WriteOptions{})
	})
	// The deferred abort still ran while the panic unwound.
	if n, _ := st.CleanupTemp(context.Background(), "p", time.Time{}, nil); n != 0 {
		t.Fatalf("the panicking write left %d temp files", n)
	}
	writeRows(t, st, "p/y.parquet", sch, []Row{{Key: []byte{1}, Values: make([]any, 6)}}, WriteOptions{})
	f := openFile(t, st, "p/y.parquet")
	mustPanic("scan callback", func() {
		f.Scan(context.Background(), sch, nil, func(Row) error { panic("caller bug") })
	})
}
