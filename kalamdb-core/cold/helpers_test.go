package cold

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

func newFS(t testing.TB) *FS {
	t.Helper()
	fs, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.Close() })
	return fs
}

func col(id int, name string, tn dialect.TypeName) systable.ColumnSchema {
	return systable.ColumnSchema{ColumnID: id, Name: name, Type: dialect.DataType{Name: tn}, Nullable: true}
}

func decCol(id int, name string, p, s int) systable.ColumnSchema {
	c := col(id, name, dialect.TypeDecimal)
	c.Type.Precision, c.Type.Scale = p, s
	return c
}

func pkCol(id int, name string, tn dialect.TypeName) systable.ColumnSchema {
	c := col(id, name, tn)
	c.PrimaryKey, c.Nullable = true, false
	return c
}

// bigintKey is the key of a BIGINT primary key.
func bigintKey(t testing.TB, v int64) []byte {
	t.Helper()
	k, err := row.AppendKey(nil, dialect.DataType{Name: dialect.TypeBigInt}, v)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeRows(t testing.TB, st Storage, p string, sch *systable.TableSchema, rows []Row, opts WriteOptions) FileInfo {
	t.Helper()
	info, err := WriteFile(context.Background(), st, p, sch, SliceSource(rows), opts)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func openFile(t testing.TB, st Storage, p string) *File {
	t.Helper()
	f, err := OpenFile(context.Background(), st, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// scanText opens file name of st with the metadata checksum sum and
// scans it under chatSchema, a line per row: what a test of damage
// compares with the scan of the intact file.
func scanText(st Storage, name string, sum MetaChecksum) (string, error) {
	f, err := OpenFileWith(context.Background(), st, name, OpenOptions{Checksum: sum})
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	err = f.Scan(context.Background(), chatSchema(), nil, func(r Row) error {
		fmt.Fprintf(&b, "%x %d %v %v\n", r.Key, r.Seq, r.Deleted, r.Values)
		return nil
	})
	return b.String(), err
}

func scanAll(t testing.TB, f *File, sch *systable.TableSchema, want []int) []Row {
	t.Helper()
	var out []Row
	if err := f.Scan(context.Background(), sch, want, func(r Row) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// valueEqual compares canonical values exactly: same Go type, floats by
// bits (NaN and -0 included), decimals by value and exponent, times by
// instant and UTC location, JSON by its text.
func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case decimal.Decimal:
		y, ok := b.(decimal.Decimal)
		return ok && x.Equal(y) && x.Exponent() == y.Exponent()
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && x.Location() == time.UTC && y.Location() == time.UTC
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case types.JSONDocument:
		y, ok := b.(types.JSONDocument)
		if !ok {
			return false
		}
		jx, err1 := types.MarshallJsonValue(x.Val)
		jy, err2 := types.MarshallJsonValue(y.Val)
		return err1 == nil && err2 == nil && bytes.Equal(jx, jy)
	}
	return a == b
}

func rowsEqual(t testing.TB, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		rowEqual(t, fmt.Sprintf("row %d", i), got[i], want[i])
	}
}

func rowEqual(t testing.TB, what string, got, want Row) {
	t.Helper()
	if !bytes.Equal(got.Key, want.Key) || got.Seq != want.Seq || got.Deleted != want.Deleted {
		t.Fatalf("%s: got key %x seq %d deleted %v, want key %x seq %d deleted %v",
			what, got.Key, got.Seq, got.Deleted, want.Key, want.Seq, want.Deleted)
	}
	if len(got.Values) != len(want.Values) {
		t.Fatalf("%s: got %d values, want %d", what, len(got.Values), len(want.Values))
	}
	for j := range want.Values {
		if !valueEqual(got.Values[j], want.Values[j]) {
			t.Fatalf("%s column %d: got %#v (%T), want %#v (%T)", what, j, got.Values[j], got.Values[j], want.Values[j], want.Values[j])
		}
	}
}

func mustJSON(t testing.TB, s string) types.JSONDocument {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return types.JSONDocument{Val: v}
}

func mustDec(t testing.TB, s string, scale int32) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	// The canonical form has exponent -scale (row.Normalize).
	return d.Round(scale)
}

// chatSchema is the benchmark's 6-column chat message table.
func chatSchema() *systable.TableSchema {
	return &systable.TableSchema{TableID: "app:messages", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt),
		col(2, "conversation_id", dialect.TypeBigInt),
		col(3, "sender", dialect.TypeText),
		col(4, "content", dialect.TypeText),
		col(5, "created_at", dialect.TypeTimestamp),
		col(6, "is_read", dialect.TypeBoolean),
	}}
}

var chatWords = []string{"hello", "there", "how", "are", "you", "today", "the", "meeting", "is", "at",
	"noon", "see", "you", "soon", "thanks", "great", "news", "about", "project", "deadline"}

// chatSource generates n chat rows with ids 0, 2, 4, ... (so odd ids are
// absent keys), reusing one Row and its buffers as a RocksDB iterator
// would. Contents are ~100-character word salads, distinct per row, as
// chat messages are; senders repeat.
func chatSource(t testing.TB, n int) RowSource {
	i := 0
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	var r Row
	r.Values = make([]any, 6)
	senders := make([]string, 50)
	for j := range senders {
		senders[j] = fmt.Sprintf("user_%02d", j)
	}
	rng := uint64(0x9e3779b97f4a7c15)
	var content []byte
	return SourceFunc(func() (Row, bool, error) {
		if i >= n {
			return Row{}, false, nil
		}
		content = content[:0]
		for len(content) < 100 {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			content = append(content, chatWords[rng%uint64(len(chatWords))]...)
			content = append(content, ' ')
			if rng>>40%5 == 0 {
				content = strconv.AppendUint(content, rng>>48, 10)
				content = append(content, ' ')
			}
		}
		id := int64(2 * i)
		r.Key = keyenc.AppendInt64(r.Key[:0], id)
		r.Seq = int64(1_000_000 + i)
		r.Deleted = false
		r.Values[0] = id
		r.Values[1] = int64(i % 97)
		r.Values[2] = senders[(i*13)%len(senders)]
		r.Values[3] = string(content[:100])
		r.Values[4] = time.UnixMicro(base + int64(i)*1_000_003).UTC()
		r.Values[5] = int8(i % 2)
		i++
		return r, true, nil
	})
}
