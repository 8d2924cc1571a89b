package cold

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/shopspring/decimal"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
)

// openIndependent opens a file with parquet-go, a Parquet implementation
// that shares no code with arrow-go: what it reads is what standard tools
// (DuckDB, Spark, pyarrow) see.
func openIndependent(t *testing.T, st *FS, p string) *pq.File {
	t.Helper()
	fh, err := os.Open(filepath.Join(st.Base(), filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pq.OpenFile(fh, fi.Size())
	if err != nil {
		t.Fatalf("parquet-go cannot open the file: %v", err)
	}
	return pf
}

func TestIndependentReaderSeesStandardParquet(t *testing.T) {
	st := newFS(t)
	sch := allTypesSchema()
	rows := allTypesRows(t)
	info := writeRows(t, st, "ns/all/u1/batch-7.parquet", sch, rows, WriteOptions{RowGroupRows: 4})
	pf := openIndependent(t, st, "ns/all/u1/batch-7.parquet")

	if pf.NumRows() != int64(len(rows)) || len(pf.RowGroups()) != 2 {
		t.Fatalf("parquet-go sees %d rows in %d row groups", pf.NumRows(), len(pf.RowGroups()))
	}

	// Column names, repetition, physical and logical types, field ids.
	type colWant struct {
		name     string
		phys     format.Type
		logical  string
		required bool
		fieldID  int32
	}
	want := []colWant{
		{"_key", format.ByteArray, "", true, 0},
		{"_seq", format.Int64, "INT(64,true)", true, 0},
		{"_deleted", format.Boolean, "", true, 0},
		{"id", format.Int64, "INT(64,true)", false, 1},
		{"b", format.Boolean, "", false, 2},
		{"si", format.Int32, "INT(16,true)", false, 3},
		{"i", format.Int32, "INT(32,true)", false, 4},
		{"bi", format.Int64, "INT(64,true)", false, 5},
		{"f", format.Float, "", false, 6},
		{"d", format.Double, "", false, 7},
		{"dec38_10", format.FixedLenByteArray, "DECIMAL(38,10)", false, 8},
		{"dec38_0", format.FixedLenByteArray, "DECIMAL(38,0)", false, 9},
		{"dec5_2", format.FixedLenByteArray, "DECIMAL(5,2)", false, 10},
		{"vc", format.ByteArray, "STRING", false, 11},
		{"t", format.ByteArray, "STRING", false, 12},
		{"by", format.ByteArray, "", false, 13},
		{"j", format.ByteArray, "JSON", false, 14},
		{"ts", format.Int64, "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", false, 15},
		{"dt", format.Int64, "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", false, 16},
		{"day", format.Int32, "DATE", false, 17},
		{"tm", format.Int64, "TIME(isAdjustedToUTC=false,unit=MICROS)", false, 18},
		{"u", format.FixedLenByteArray, "UUID", false, 19},
		{"dec18_4", format.FixedLenByteArray, "DECIMAL(18,4)", false, 20},
	}
	elems := pf.Metadata().Schema[1:] // [0] is the root
	if len(elems) != len(want) {
		t.Fatalf("%d columns, want %d", len(elems), len(want))
	}
	for i, w := range want {
		e := elems[i]
		rep, _ := e.RepetitionType.Get()
		phys, _ := e.Type.Get()
		if e.Name != w.name || phys != w.phys || e.LogicalType.String() != w.logical ||
			(rep == format.Required) != w.required || e.FieldID != w.fieldID {
			t.Errorf("column %d: %s %s %q %s field_id %d; want %+v", i, e.Name, phys, e.LogicalType.String(), rep, e.FieldID, w)
		}
	}
	if got, _ := pf.Metadata().Schema[elemIndex(elems, "u")+1].TypeLength.Get(); got != 16 {
		t.Errorf("UUID length %v", got)
	}

	// Zstd and statistics on every column chunk; bloom filters and page
	// indexes where expected.
	for r, rg := range pf.Metadata().RowGroups {
		for c, cc := range rg.Columns {
			md := cc.MetaData
			// A chunk holding a value over arrow-go's 4 KiB statistics
			// limit (the 1.5 MB JSON document, the 100 KB text) gets no
			// min/max and no page index: arrow-go drops rather than
			// truncates them. Readers then just cannot prune that chunk.
			if (r == 0 && want[c].name == "j") || (r == 1 && want[c].name == "t") {
				if len(md.Statistics.MaxValue) != 0 {
					t.Errorf("row group %d column %s: statistics for a value over 4 KiB", r, want[c].name)
				}
				continue
			}
			if md.Codec != format.Zstd {
				t.Errorf("row group %d column %s: codec %s", r, want[c].name, md.Codec)
			}
			if md.Statistics.NullCount == 0 && want[c].name == "dec38_10" && r == 1 {
				t.Errorf("row group 1 has a NULL row and a tombstone; dec38_10 null count is 0")
			}
			// (Minimums may legitimately be empty strings; no maximum is.)
			if len(md.Statistics.MaxValue) == 0 {
				t.Errorf("row group %d column %s: no max statistic", r, want[c].name)
			}
			hasBloom := md.BloomFilterOffset > 0
			if wantBloom := want[c].name == "_key" || want[c].name == "id"; hasBloom != wantBloom {
				t.Errorf("row group %d column %s: bloom filter %v, want %v", r, want[c].name, hasBloom, wantBloom)
			}
			if cc.ColumnIndexOffset == 0 || cc.OffsetIndexOffset == 0 {
				t.Errorf("row group %d column %s: no page index", r, want[c].name)
			}
		}
	}

	// Self-describing footer.
	for k, v := range map[string]string{
		MetaFormat: "1", MetaTableID: "ns:all", MetaSchemaVersion: "3",
		MetaRows: strconv.Itoa(len(rows)), MetaMinSeq: "50", MetaMaxSeq: "200",
		MetaMinKey: info.ManifestFile().MinPK, MetaMaxKey: info.ManifestFile().MaxPK,
	} {
		if got, ok := pf.Lookup(k); !ok || got != v {
			t.Errorf("footer %s = %q, %v; want %q", k, got, ok, v)
		}
	}
	if s, ok := pf.Lookup(MetaSchema); !ok || !json.Valid([]byte(s)) {
		t.Errorf("footer %s = %q", MetaSchema, s)
	}

	// Values, decoded by hand from parquet-go's physical values.
	var got [][]pq.Value
	for _, rg := range pf.RowGroups() {
		rr := rg.Rows()
		buf := make([]pq.Row, 8)
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				got = append(got, r.Clone())
			}
			if err != nil {
				break
			}
		}
		rr.Close()
	}
	if len(got) != len(rows) {
		t.Fatalf("parquet-go read %d rows, want %d", len(got), len(rows))
	}
	byCol := func(r []pq.Value, c int) pq.Value {
		for _, v := range r {
			if v.Column() == c {
				return v
			}
		}
		t.Fatalf("row has no column %d", c)
		return pq.Value{}
	}
	for i, r := range rows {
		g := got[i]
		if string(byCol(g, 0).ByteArray()) != string(r.Key) || byCol(g, 1).Int64() != r.Seq || byCol(g, 2).Boolean() != r.Deleted {
			t.Fatalf("row %d system columns: %v", i, g[:3])
		}
		if r.Values == nil {
			for c := numSystemCols; c < len(want); c++ {
				if !byCol(g, c).IsNull() {
					t.Fatalf("tombstone row %d column %s is not NULL", i, want[c].name)
				}
			}
			continue
		}
		for j, v := range r.Values {
			pv := byCol(g, numSystemCols+j)
			if v == nil {
				if !pv.IsNull() {
					t.Fatalf("row %d column %s: want NULL, got %v", i, want[numSystemCols+j].name, pv)
				}
				continue
			}
			var back any
			switch sch.Columns[j].Name {
			case "id", "bi":
				back = pv.Int64()
			case "b":
				back = int8(0)
				if pv.Boolean() {
					back = int8(1)
				}
			case "si":
				back = int16(pv.Int32())
			case "i":
				back = pv.Int32()
			case "f":
				back = pv.Float()
			case "d":
				back = pv.Double()
			case "dec38_10", "dec38_0", "dec5_2", "dec18_4":
				// Big-endian two's complement, the Parquet DECIMAL encoding.
				b := pv.ByteArray()
				n := new(big.Int).SetBytes(b)
				if len(b) > 0 && b[0]&0x80 != 0 {
					n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
				}
				_, s := decimalParams(sch.Columns[j].Type)
				back = decimal.NewFromBigInt(n, -s)
			case "vc", "t":
				back = string(pv.ByteArray())
			case "by":
				back = append([]byte{}, pv.ByteArray()...)
			case "j":
				var x any
				if err := json.Unmarshal(pv.ByteArray(), &x); err != nil {
					t.Fatalf("row %d: JSON column is not JSON text: %v", i, err)
				}
				back = types.JSONDocument{Val: x}
			case "ts", "dt":
				back = time.UnixMicro(pv.Int64()).UTC()
			case "day":
				back = time.Unix(int64(pv.Int32())*86400, 0).UTC()
			case "tm":
				back = types.Timespan(pv.Int64())
			case "u":
				back = string(ids.AppendUUID(nil, pv.ByteArray()))
			}
			if !valueEqual(back, v) {
				t.Fatalf("row %d column %s: parquet-go gives %#v, want %#v", i, sch.Columns[j].Name, back, v)
			}
		}
	}
}

func elemIndex(elems []format.SchemaElement, name string) int {
	for i, e := range elems {
		if e.Name == name {
			return i
		}
	}
	return -1
}

func TestIndependentReaderBloomFilters(t *testing.T) {
	st := newFS(t)
	const n = 5000
	if _, err := WriteFile(context.Background(), st, "c.parquet", chatSchema(), chatSource(t, n), WriteOptions{RowGroupRows: 1000, ExpectedRows: n}); err != nil {
		t.Fatal(err)
	}
	pf := openIndependent(t, st, "c.parquet")
	if len(pf.RowGroups()) != 5 {
		t.Fatalf("%d row groups", len(pf.RowGroups()))
	}
	falsePos := 0
	for r, rg := range pf.RowGroups() {
		keyBloom := rg.ColumnChunks()[0].BloomFilter()
		idBloom := rg.ColumnChunks()[numSystemCols].BloomFilter()
		if keyBloom == nil || idBloom == nil {
			t.Fatalf("row group %d: parquet-go finds no bloom filter", r)
		}
		for i := r * 1000; i < (r+1)*1000; i++ {
			id := int64(2 * i)
			if ok, err := keyBloom.Check(pq.ValueOf(bigintKey(t, id))); err != nil || !ok {
				t.Fatalf("row group %d: _key bloom filter misses id %d (%v)", r, id, err)
			}
			if ok, err := idBloom.Check(pq.ValueOf(id)); err != nil || !ok {
				t.Fatalf("row group %d: id bloom filter misses %d (%v)", r, id, err)
			}
			if ok, _ := keyBloom.Check(pq.ValueOf(bigintKey(t, id+1))); ok {
				falsePos++
			}
		}
	}
	if falsePos > n/20 {
		t.Fatalf("%d false positives in %d absent keys", falsePos, n)
	}
	// Row group statistics on _key are the group's first and last keys,
	// compared as unsigned bytes.
	for r, rg := range pf.Metadata().RowGroups {
		s := rg.Columns[0].MetaData.Statistics
		if string(s.MinValue) != string(bigintKey(t, int64(2*r*1000))) || string(s.MaxValue) != string(bigintKey(t, int64(2*((r+1)*1000-1)))) {
			t.Fatalf("row group %d _key statistics %x..%x", r, s.MinValue, s.MaxValue)
		}
	}
}
