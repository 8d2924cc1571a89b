package executor_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestAttackText18TextKeysOrderAcrossTiers: a text primary key and an
// index on a text column return rows in code point order (PostgreSQL's
// "C" collation) from hot rows, cold rows (after STORAGE FLUSH) and both
// mixed with updates and deletes, read forwards and backwards by a top-N
// the index serves without a sort; a sort the index cannot serve (its
// order mixes directions) answers the same through kdb_text_order.
func TestAttackText18TextKeysOrderAcrossTiers(t *testing.T) {
	e := newEnvWith(t, true)
	root := e.root()
	root.must(`CREATE NAMESPACE ns; CREATE SHARED TABLE ns.k (name TEXT PRIMARY KEY, tag TEXT, v BIGINT)`)
	createIndex(t, e, "CREATE INDEX k_tag ON ns.k (tag)")
	alphabet := []string{"", "a", "a ", "ab", "B", "b", "Z", "é", "\ufffd", "😀", "中", "\u007f", "\u0080", "a\u00e9", "ae"}
	names := map[string]string{} // name -> tag
	insert := func(lo, hi int) {
		var vals []string
		for i := lo; i < hi; i++ {
			name := alphabet[i%len(alphabet)] + fmt.Sprint(i/len(alphabet)) + alphabet[(i*7)%len(alphabet)]
			tag := alphabet[(i*11)%len(alphabet)] + alphabet[(i*5)%len(alphabet)]
			names[name] = tag
			vals = append(vals, fmt.Sprintf("('%s', '%s', %d)", name, tag, i))
		}
		root.must("INSERT INTO ns.k VALUES " + strings.Join(vals, ", "))
	}
	check := func(stage string) {
		t.Helper()
		var keys []string
		for n := range names {
			keys = append(keys, n)
		}
		slices.Sort(keys) // bytes: code points for UTF-8
		asJSON := func(v any) string { raw, _ := json.Marshal(v); return string(raw) }
		col := func(ks []string) [][]string {
			out := make([][]string, len(ks))
			for i, k := range ks {
				out[i] = []string{k}
			}
			return out
		}
		rev := slices.Clone(keys)
		slices.Reverse(rev)
		byTag := slices.Clone(keys)
		slices.SortStableFunc(byTag, func(a, b string) int {
			if c := strings.Compare(names[a], names[b]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		mixed := slices.Clone(keys)
		slices.SortStableFunc(mixed, func(a, b string) int {
			if c := strings.Compare(names[a], names[b]); c != 0 {
				return -c
			}
			return strings.Compare(a, b)
		})
		for q, want := range map[string]string{
			"SELECT name FROM ns.k ORDER BY name LIMIT 7":                     asJSON(col(keys[:7])),
			"SELECT name FROM ns.k ORDER BY name DESC LIMIT 7":                asJSON(col(rev[:7])),
			"SELECT name FROM ns.k ORDER BY name":                             asJSON(col(keys)),
			"SELECT name FROM ns.k WHERE name > 'a' ORDER BY name LIMIT 5":    asJSON(col(keys[slices.IndexFunc(keys, func(k string) bool { return k > "a" }):][:5])),
			"SELECT name FROM ns.k ORDER BY tag, name LIMIT 9":                asJSON(col(byTag[:9])),
			"SELECT name FROM ns.k ORDER BY tag DESC, name LIMIT 9":           asJSON(col(mixed[:9])),
			"SELECT name FROM ns.k ORDER BY tag || '', name LIMIT 9 OFFSET 3": asJSON(col(byTag[3:12])),
		} {
			if got := root.rows(q); got != want {
				t.Errorf("%s: %s:\n got %.400s\nwant %.400s", stage, q, got, want)
			}
		}
		for _, q := range []string{"SELECT name FROM ns.k ORDER BY name LIMIT 7", "SELECT name FROM ns.k ORDER BY name DESC LIMIT 7"} {
			if plan := explain(root, q); planSorts(plan) {
				t.Errorf("%s: %s sorts:\n%s", stage, q, plan)
			}
		}
	}
	insert(0, 120)
	check("hot")
	waitJob(t, e, root.must("STORAGE FLUSH TABLE ns.k"))
	check("cold")
	insert(120, 200)
	root.must("UPDATE ns.k SET tag = 'zz' WHERE name LIKE 'a%'")
	for n := range names {
		if strings.HasPrefix(n, "a") {
			names[n] = "zz"
		}
	}
	root.must("DELETE FROM ns.k WHERE name LIKE 'b%'")
	for n := range names {
		if strings.HasPrefix(n, "b") {
			delete(names, n)
		}
	}
	check("hot and cold")
	waitJob(t, e, root.must("STORAGE FLUSH TABLE ns.k"))
	check("cold again")
}
