package cold

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The workload benchmarks reproduce, at the file layer, the reads of the
// issue "Reads at index speed" on one user's 10,000 chat rows, all
// flushed: a point lookup by id, the 50 newest messages of a conversation
// (WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50, 20
// conversations), and a GROUP BY conversation_id counting rows and
// summing content lengths. Each runs on one file and on four files of
// 2,500 rows (four flushes), newest file first as the table provider
// reads them.

const (
	workloadRows  = 10_000
	workloadConvs = 20
)

// workloadSchema is the chat table.
func workloadSchema() *systable.TableSchema {
	return &systable.TableSchema{TableID: "app:chat", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt),
		col(2, "conversation_id", dialect.TypeBigInt),
		col(3, "role", dialect.TypeText),
		col(4, "content", dialect.TypeText),
		col(5, "created_at", dialect.TypeTimestamp),
	}}
}

// Column positions in workloadSchema.
const (
	wID = iota
	wConv
	wRole
	wContent
	wCreated
)

// workloadRowsOf generates n chat rows with snowflake ids (ms << 22 |
// sequence), in id order: a random conversation each, a role, 40-400
// characters of content.
func workloadRowsOf(t testing.TB, n int) []Row {
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := uint64(0x2545f4914f6cdd1d)
	next := func() uint64 {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return rng
	}
	roles := []string{"user", "assistant", "system"}
	rows := make([]Row, n)
	var content []byte
	for i := range rows {
		at := base.Add(time.Duration(i) * 1700 * time.Millisecond)
		id := at.UnixMilli()<<22 | int64(i%4096)
		want := 40 + int(next()%361)
		content = content[:0]
		for len(content) < want {
			content = append(content, chatWords[next()%uint64(len(chatWords))]...)
			content = append(content, ' ')
		}
		key, err := row.AppendKey(nil, dialect.DataType{Name: dialect.TypeBigInt}, id)
		if err != nil {
			t.Fatal(err)
		}
		rows[i] = Row{Key: key, Seq: int64(1_000_000 + i), Values: []any{
			id, int64(1 + next()%workloadConvs), roles[next()%3], string(content[:want]), at.UTC().Truncate(time.Microsecond),
		}}
	}
	return rows
}

// workloadFiles writes rows as nfiles files of consecutive keys and opens
// them with cache (nil: none), newest (highest keys) first.
func workloadFiles(t testing.TB, rows []Row, nfiles int, cache *Cache) []*File {
	st := newFS(t)
	sch := workloadSchema()
	per := (len(rows) + nfiles - 1) / nfiles
	var files []*File
	for i := 0; i < nfiles; i++ {
		part := rows[i*per : min(len(rows), (i+1)*per)]
		p := fmt.Sprintf("app/chat/u1/batch-%d.parquet", i+1)
		writeRows(t, st, p, sch, part, WriteOptions{ExpectedRows: int64(len(part))})
		f, err := OpenFileWith(context.Background(), st, p, OpenOptions{Cache: cache, StorageID: "local"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		files = append([]*File{f}, files...)
	}
	return files
}

// pointLookup is the table provider's cold point lookup: files newest
// first, the first that holds the key answers.
func pointLookup(ctx context.Context, files []*File, sch *systable.TableSchema, key []byte) (Row, bool, error) {
	for _, f := range files {
		r, found, err := f.Lookup(ctx, sch, nil, key)
		if err != nil || found {
			return r, found, err
		}
	}
	return Row{}, false, nil
}

// recentMessages returns the ids of the newest limit rows of
// conversation conv, newest first: a reverse cursor per file (newest file
// first; the files' key ranges do not overlap, so the filter may drop
// rows), stopped at the limit.
func recentMessages(ctx context.Context, files []*File, sch *systable.TableSchema, conv int64, limit int) ([]int64, error) {
	out := make([]int64, 0, limit)
	for _, f := range files {
		c, err := f.Rows(ctx, sch, nil, Range{Reverse: true, Filters: []Filter{{Column: wConv, Min: conv, Max: conv}}})
		if err != nil {
			return nil, err
		}
		for len(out) < limit {
			r, ok, err := c.Next()
			if err != nil {
				c.Close()
				return nil, err
			}
			if !ok {
				break
			}
			if !r.Deleted && r.Values[wConv] == conv {
				out = append(out, r.Values[wID].(int64))
			}
		}
		c.Close()
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// aggregateRows is aggregate through the row API (ScanRange), which
// boxes every value: what batches save.
func aggregateRows(ctx context.Context, files []*File, sch *systable.TableSchema, aggs []convAgg) error {
	for _, f := range files {
		if err := f.Scan(ctx, sch, []int{wConv, wContent}, func(r Row) error {
			if r.Deleted || r.Values[0] == nil {
				return nil
			}
			a := &aggs[r.Values[0].(int64)]
			a.count++
			if s, ok := r.Values[1].(string); ok {
				a.contentLen += int64(len(s))
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

type convAgg struct {
	count, contentLen int64
}

// aggregate computes, per conversation, COUNT(*) and SUM(LENGTH(content))
// from column batches.
func aggregate(ctx context.Context, files []*File, sch *systable.TableSchema, aggs []convAgg) error {
	for _, f := range files {
		if err := f.ScanBatches(ctx, sch, []int{wConv, wContent}, Range{}, func(b *Batch) error {
			conv, content := &b.Cols[0], &b.Cols[1]
			ids := conv.Int64s(b.Len)
			for j := 0; j < b.Len; j++ {
				if b.Deleted[j] || conv.IsNull(j) {
					continue
				}
				a := &aggs[ids[j]]
				a.count++
				if !content.IsNull(j) {
					a.contentLen += int64(len(content.Str(j)))
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkWorkload reads through a shared cache, as the table provider
// is meant to: after the first run every page is decoded already.
func BenchmarkWorkload(b *testing.B) {
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchWorkload(b, cache)
	b.Logf("cache: %+v", cache.Stats())
}

// BenchmarkWorkloadNoCache reads files opened without a cache: every
// read decodes the pages it needs, the cost of a read that misses.
func BenchmarkWorkloadNoCache(b *testing.B) { benchWorkload(b, nil) }

func benchWorkload(b *testing.B, cache *Cache) {
	rows := workloadRowsOf(b, workloadRows)
	sch := workloadSchema()
	ctx := context.Background()
	// The model answers, to check every run.
	wantRecent := func(conv int64) []int64 {
		var out []int64
		for i := len(rows) - 1; i >= 0 && len(out) < 50; i-- {
			if rows[i].Values[wConv] == conv {
				out = append(out, rows[i].Values[wID].(int64))
			}
		}
		return out
	}
	wantAgg := make([]convAgg, workloadConvs+1)
	for _, r := range rows {
		a := &wantAgg[r.Values[wConv].(int64)]
		a.count++
		a.contentLen += int64(len(r.Values[wContent].(string)))
	}
	for _, nfiles := range []int{1, 4} {
		files := workloadFiles(b, rows, nfiles, cache)
		b.Run(fmt.Sprintf("point_lookup/files=%d", nfiles), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w := &rows[(i*7919)%len(rows)]
				r, found, err := pointLookup(ctx, files, sch, w.Key)
				if err != nil || !found || !bytes.Equal(r.Key, w.Key) || r.Values[wContent] != w.Values[wContent] {
					b.Fatal(found, err)
				}
			}
		})
		b.Run(fmt.Sprintf("recent_messages/files=%d", nfiles), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				conv := int64(1 + i%workloadConvs)
				got, err := recentMessages(ctx, files, sch, conv, 50)
				if err != nil {
					b.Fatal(err)
				}
				if want := wantRecent(conv); len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
					b.Fatalf("conversation %d: got %d ids", conv, len(got))
				}
			}
		})
		for _, ag := range []struct {
			name string
			fn   func(context.Context, []*File, *systable.TableSchema, []convAgg) error
		}{{"aggregate", aggregate}, {"aggregate_rows", aggregateRows}} {
			b.Run(fmt.Sprintf("%s/files=%d", ag.name, nfiles), func(b *testing.B) {
				b.ReportAllocs()
				aggs := make([]convAgg, workloadConvs+1)
				for i := 0; i < b.N; i++ {
					clear(aggs)
					if err := ag.fn(ctx, files, sch, aggs); err != nil {
						b.Fatal(err)
					}
					if aggs[3] != wantAgg[3] {
						b.Fatalf("conversation 3: %+v, want %+v", aggs[3], wantAgg[3])
					}
				}
			})
		}
	}
}
