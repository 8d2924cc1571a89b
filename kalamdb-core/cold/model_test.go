package cold

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The model tests check every read against a plain in-memory model of
// the same rows: random files (page and row group sizes, NULLs,
// tombstones), random reads (forward and reverse ranges stopped at random
// limits, point lookups of present and absent keys, batches, filters with
// and without KeepFiltered, random projections), through no cache, a
// large shared cache (hits) and a tiny one (constant evictions), from
// several goroutines at once.

func modelSchema() *systable.TableSchema {
	return &systable.TableSchema{TableID: "app:model", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt),
		col(2, "conv", dialect.TypeBigInt),
		col(3, "role", dialect.TypeText),
		col(4, "content", dialect.TypeText),
		col(5, "n", dialect.TypeInt),
		col(6, "flag", dialect.TypeBoolean),
		col(7, "at", dialect.TypeTimestamp),
		col(8, "blob", dialect.TypeBytes),
		col(9, "small", dialect.TypeSmallInt),
	}}
}

var modelRoles = []string{"user", "assistant", "system", "tool"}

// modelRows makes n rows with distinct random ids in key order.
func modelRows(t testing.TB, rng *rand.Rand, n int) []Row {
	seen := map[int64]bool{}
	ids := make([]int64, 0, n)
	for len(ids) < n {
		id := rng.Int64N(4*int64(n)+10) - int64(n) // some negative
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]Row, n)
	for i, id := range ids {
		r := Row{Key: bigintKey(t, id), Seq: int64(100 + rng.IntN(1000000))}
		if rng.IntN(15) == 0 {
			r.Deleted = true // a tombstone: no values
			rows[i] = r
			continue
		}
		content := make([]byte, 1+rng.IntN(300))
		for j := range content {
			content[j] = byte('a' + rng.IntN(26))
		}
		r.Values = []any{id, int64(rng.IntN(7)), modelRoles[rng.IntN(len(modelRoles))], string(content),
			int32(rng.IntN(2000) - 1000), int8(rng.IntN(2)),
			base.Add(time.Duration(i)*time.Second + time.Duration(rng.IntN(1000))*time.Microsecond),
			[]byte{byte(i), byte(i >> 8)}, int16(rng.IntN(100))}
		// NULLs in every nullable column now and then.
		for c := 1; c < len(r.Values); c++ {
			if rng.IntN(11) == 0 {
				r.Values[c] = nil
			}
		}
		rows[i] = r
	}
	return rows
}

// modelFilter is a random filter and the model's predicate for it.
type modelFilter struct {
	f    Filter
	pass func(v any) bool
}

func randomFilter(rng *rand.Rand, rows []Row) modelFilter {
	pick := func(c int) any {
		for range 20 {
			r := rows[rng.IntN(len(rows))]
			if r.Values != nil && r.Values[c] != nil {
				return r.Values[c]
			}
		}
		return nil
	}
	switch rng.IntN(6) {
	case 0: // conv = x
		x := int64(rng.IntN(7))
		return modelFilter{Filter{Column: 1, Min: x, Max: x}, func(v any) bool { return v == x }}
	case 1: // n in a range, bounds maybe strict
		a, b := int32(rng.IntN(2000)-1000), int32(rng.IntN(2000)-1000)
		if a > b {
			a, b = b, a
		}
		ex1, ex2 := rng.IntN(2) == 0, rng.IntN(2) == 0
		return modelFilter{Filter{Column: 4, Min: a, Max: b, MinExclusive: ex1, MaxExclusive: ex2}, func(v any) bool {
			x, ok := v.(int32)
			return ok && (x > a || !ex1 && x == a) && (x < b || !ex2 && x == b)
		}}
	case 2: // role = s
		s := modelRoles[rng.IntN(len(modelRoles))]
		return modelFilter{Filter{Column: 2, Min: s, Max: s}, func(v any) bool { return v == s }}
	case 3: // at >= t (open above)
		t, _ := pick(6).(time.Time)
		if t.IsZero() {
			t = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return modelFilter{Filter{Column: 6, Min: t}, func(v any) bool {
			x, ok := v.(time.Time)
			return ok && !x.Before(t)
		}}
	case 4: // flag = true, or IS NOT NULL on small
		if rng.IntN(2) == 0 {
			return modelFilter{Filter{Column: 5, Min: int8(1), Max: true}, func(v any) bool { return v == int8(1) }}
		}
		return modelFilter{Filter{Column: 8}, func(v any) bool { return v != nil }}
	default: // content < prefix (bytewise)
		s := "m"
		return modelFilter{Filter{Column: 3, Max: s, MaxExclusive: true}, func(v any) bool {
			x, ok := v.(string)
			return ok && x < s
		}}
	}
}

// project is the model's row projected onto want (nil: all columns).
func project(r Row, want []int, ncols int) Row {
	if want == nil {
		want = make([]int, ncols)
		for i := range want {
			want[i] = i
		}
	}
	out := Row{Key: r.Key, Seq: r.Seq, Deleted: r.Deleted, Values: make([]any, len(want))}
	if r.Values != nil {
		for i, c := range want {
			out.Values[i] = r.Values[c]
		}
	}
	return out
}

func (m modelFilter) passes(r Row) bool {
	return r.Values != nil && m.pass(r.Values[m.f.Column])
}

type modelFile struct {
	f    *File
	rows []Row
	opts WriteOptions
}

// runModelOps runs random reads on mf and checks each against the model.
func runModelOps(t *testing.T, rng *rand.Rand, mf modelFile, sch *systable.TableSchema, ops int) error {
	ctx := context.Background()
	rows := mf.rows
	ncols := len(sch.Columns)
	randKey := func() []byte {
		if rng.IntN(4) == 0 {
			return nil
		}
		if rng.IntN(3) == 0 { // absent, or outside the file
			return bigintKey(t, rng.Int64N(6*int64(len(rows))+20)-2*int64(len(rows))-10)
		}
		return rows[rng.IntN(len(rows))].Key
	}
	randWant := func() []int {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return []int{}
		}
		w := rng.Perm(ncols)[:1+rng.IntN(ncols)]
		return w
	}
	// Half the lookups go through one memo for the whole run, so a
	// remembered page is reused across row groups, wants and misses.
	var memo PageMemo
	for op := range ops {
		want := randWant()
		switch rng.IntN(4) {
		case 0: // point lookup
			var key []byte
			idx := -1
			if rng.IntN(3) == 0 {
				key = bigintKey(t, rng.Int64N(6*int64(len(rows)))-2*int64(len(rows)))
			} else {
				idx = rng.IntN(len(rows))
				key = rows[idx].Key
			}
			if idx < 0 {
				if i, ok := slices.BinarySearchFunc(rows, key, func(r Row, k []byte) int { return bytes.Compare(r.Key, k) }); ok {
					idx = i
				}
			}
			lookup := mf.f.Lookup
			if rng.IntN(2) == 0 {
				lookup = func(ctx context.Context, sch *systable.TableSchema, want []int, key []byte) (Row, bool, error) {
					return mf.f.LookupWith(ctx, sch, want, key, &memo)
				}
			}
			got, found, err := lookup(ctx, sch, want, key)
			if err != nil {
				return fmt.Errorf("op %d lookup %x: %w", op, key, err)
			}
			if found != (idx >= 0) {
				return fmt.Errorf("op %d lookup %x: found %v, model says %v", op, key, found, idx >= 0)
			}
			if found {
				if err := sameRow(got, project(rows[idx], want, ncols)); err != nil {
					return fmt.Errorf("op %d lookup %x: %w", op, key, err)
				}
			}
		default: // a range: rows or batches, maybe filtered
			lo, hi := randKey(), randKey()
			if lo != nil && hi != nil && bytes.Compare(lo, hi) > 0 && rng.IntN(4) != 0 {
				lo, hi = hi, lo
			}
			rngSpec := Range{Lo: lo, Hi: hi, Reverse: rng.IntN(2) == 0}
			var filters []modelFilter
			for range rng.IntN(3) {
				mfl := randomFilter(rng, rows)
				filters = append(filters, mfl)
				rngSpec.Filters = append(rngSpec.Filters, mfl.f)
			}
			rngSpec.KeepFiltered = len(filters) > 0 && rng.IntN(3) == 0
			limit := -1
			if rng.IntN(2) == 0 {
				limit = rng.IntN(60)
			}
			// The model's answer.
			var exp []Row
			for i := range rows {
				j := i
				if rngSpec.Reverse {
					j = len(rows) - 1 - i
				}
				r := rows[j]
				if (lo != nil && bytes.Compare(r.Key, lo) < 0) || (hi != nil && bytes.Compare(r.Key, hi) >= 0) {
					continue
				}
				pass := true
				for _, fl := range filters {
					pass = pass && fl.passes(r)
				}
				if !pass && !rngSpec.KeepFiltered {
					continue
				}
				w := project(r, want, ncols)
				if !pass {
					w = Row{Key: r.Key, Seq: r.Seq, Deleted: r.Deleted, Filtered: true}
				}
				exp = append(exp, w)
			}
			what := fmt.Sprintf("op %d range [%x, %x) reverse=%v filters=%+v keep=%v want=%v limit=%d",
				op, lo, hi, rngSpec.Reverse, rngSpec.Filters, rngSpec.KeepFiltered, want, limit)
			var got []Row
			if rng.IntN(3) == 0 {
				// Batches, flattened in reading order.
				err := mf.f.ScanBatches(ctx, sch, want, rngSpec, func(b *Batch) error {
					var part []Row
					sel := b.Sel
					if sel == nil {
						sel = make([]int32, b.Len)
						for j := range sel {
							sel[j] = int32(j)
						}
					}
					si := 0
					for j := 0; j < b.Len; j++ {
						pass := si < len(sel) && sel[si] == int32(j)
						if pass {
							si++
						} else if !rngSpec.KeepFiltered {
							continue
						}
						r := Row{Key: bytes.Clone(b.Key(j)), Seq: b.Seq[j], Deleted: b.Deleted[j], Filtered: !pass}
						if pass {
							r.Values = make([]any, len(b.Cols))
							for c := range b.Cols {
								v, err := b.Cols[c].Value(j)
								if err != nil {
									return err
								}
								r.Values[c] = v
							}
						}
						part = append(part, r)
					}
					if rngSpec.Reverse {
						slices.Reverse(part)
					}
					got = append(got, part...)
					return nil
				})
				if err != nil {
					return fmt.Errorf("%s: batches: %w", what, err)
				}
				limit = -1
			} else {
				c, err := mf.f.Rows(ctx, sch, want, rngSpec)
				if err != nil {
					return fmt.Errorf("%s: %w", what, err)
				}
				for limit < 0 || len(got) < limit {
					r, ok, err := c.Next()
					if err != nil {
						c.Close()
						return fmt.Errorf("%s: row %d: %w", what, len(got), err)
					}
					if !ok {
						break
					}
					got = append(got, r)
				}
				c.Close()
			}
			if limit >= 0 && len(exp) > limit {
				exp = exp[:limit]
			}
			if len(got) != len(exp) {
				return fmt.Errorf("%s: %d rows, model %d", what, len(got), len(exp))
			}
			for i := range exp {
				if err := sameRow(got[i], exp[i]); err != nil {
					return fmt.Errorf("%s: row %d: %w", what, i, err)
				}
			}
		}
	}
	return nil
}

// sameRow compares a row read with the model's, like rowEqual, as an
// error (model ops run on several goroutines).
func sameRow(got, want Row) error {
	if !bytes.Equal(got.Key, want.Key) || got.Seq != want.Seq || got.Deleted != want.Deleted || got.Filtered != want.Filtered {
		return fmt.Errorf("got key %x seq %d deleted %v filtered %v, want key %x seq %d deleted %v filtered %v",
			got.Key, got.Seq, got.Deleted, got.Filtered, want.Key, want.Seq, want.Deleted, want.Filtered)
	}
	if want.Filtered {
		if got.Values != nil {
			return fmt.Errorf("filtered row has values %v", got.Values)
		}
		return nil
	}
	if len(got.Values) != len(want.Values) {
		return fmt.Errorf("got %d values, want %d", len(got.Values), len(want.Values))
	}
	for j := range want.Values {
		if !valueEqual(got.Values[j], want.Values[j]) {
			return fmt.Errorf("column %d: got %#v, want %#v", j, got.Values[j], want.Values[j])
		}
	}
	return nil
}

func TestReadsMatchModel(t *testing.T) {
	sch := modelSchema()
	seed := modelSeed(t)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	st := newFS(t)
	big, err := NewCache(CacheOptions{Bytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	tiny, err := NewCache(CacheOptions{Bytes: 48 << 10})
	if err != nil {
		t.Fatal(err)
	}
	caches := []struct {
		name  string
		cache *Cache
	}{{"no cache", nil}, {"large cache", big}, {"tiny cache", tiny}}

	for fi := range 6 {
		n := 1 + rng.IntN(2500)
		if fi == 0 {
			n = 1
		}
		rows := modelRows(t, rng, n)
		opts := WriteOptions{
			RowGroupRows: []int{0, 97, 500, 1300}[rng.IntN(4)],
			PageBytes:    []int64{0, 512, 2 << 10, 5 << 10}[rng.IntN(4)],
			BatchRows:    1 + rng.IntN(900),
		}
		p := fmt.Sprintf("app/model/u1/batch-%d.parquet", fi+1)
		writeRows(t, st, p, sch, rows, opts)
		for _, c := range caches {
			f, err := OpenFileWith(context.Background(), st, p, OpenOptions{Cache: c.cache, StorageID: "s1"})
			if err != nil {
				t.Fatal(err)
			}
			mf := modelFile{f: f, rows: rows, opts: opts}
			// Several goroutines on the same file and cache.
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for g := range errs {
				grng := rand.New(rand.NewPCG(seed, uint64(100*fi+g)))
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[g] = runModelOps(t, grng, mf, sch, 50)
				}()
			}
			wg.Wait()
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			for _, err := range errs {
				if err != nil {
					t.Fatalf("file %d (%d rows, %+v), %s: %v", fi, n, opts, c.name, err)
				}
			}
		}
	}
	bs, ts := big.Stats(), tiny.Stats()
	t.Logf("large cache: %+v", bs)
	t.Logf("tiny cache: %+v", ts)
	if bs.Hits == 0 || bs.Evictions != 0 || bs.Bytes > bs.Budget {
		t.Fatalf("large cache: %+v", bs)
	}
	if ts.Evictions == 0 || ts.Bytes > ts.Budget {
		t.Fatalf("tiny cache: %+v", ts)
	}
}

// modelSeed is the model tests' random seed: fixed, so a failure
// reproduces; KALAMDB_MODEL_SEED runs another.
func modelSeed(t *testing.T) uint64 {
	if s := os.Getenv("KALAMDB_MODEL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KALAMDB_MODEL_SEED: %v", err)
		}
		return v
	}
	return 20251205
}
