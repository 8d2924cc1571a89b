package executor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// coldDelta is what the cold reads did between two ColdReadStats.
func coldDelta(a, b cold.Stats) cold.Stats {
	return cold.Stats{
		RowGroupsRead: b.RowGroupsRead - a.RowGroupsRead, RowGroupsPruned: b.RowGroupsPruned - a.RowGroupsPruned,
		BloomChecks: b.BloomChecks - a.BloomChecks, BloomNegatives: b.BloomNegatives - a.BloomNegatives,
		PagesFiltered: b.PagesFiltered - a.PagesFiltered, PagesDecoded: b.PagesDecoded - a.PagesDecoded,
		RowsDecoded: b.RowsDecoded - a.RowsDecoded, ScansPruned: b.ScansPruned - a.ScansPruned,
	}
}

// Cold files are pruned by each value of an IN list (not by the range
// from its smallest to its largest), and by comparisons of TEXT columns
// with constants: a statement reads only the files that can hold a row
// it returns. Two files: ids, n and tags 1000..2000 and 5000..6000.
func TestColdPruneByEachSpanAndByText(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, tag TEXT, body TEXT)")
	alice := e.as("alice", systable.RoleUser)
	insert := func(from, to int) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.t (id, n, tag, body) VALUES ")
		for i := from; i <= to; i++ {
			if i > from {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 't%05d', 'body of %d')", i, i, i, i)
		}
		alice.must(sb.String())
	}
	insert(1000, 2000)
	flushTable(t, e, "c.t")
	insert(5000, 6000)
	flushTable(t, e, "c.t")
	read := func(q, want string) cold.Stats {
		t.Helper()
		before := e.db.Tier.ColdReadStats()
		got := alice.rows(q)
		d := coldDelta(before, e.db.Tier.ColdReadStats())
		if got != want {
			t.Fatalf("%s: %s, want %s", q, got, want)
		}
		return d
	}
	cases := []struct {
		q, want     string
		read, files int64 // row groups read (one a file here), files pruned
	}{
		// The hull [1, 1000000] covers both files; neither holds 1 or 1000000.
		{"SELECT id FROM c.t WHERE n IN (1, 1000000)", `[]`, 0, 2},
		{"SELECT id FROM c.t WHERE n IN (1, 1500, 1000000)", `[[1500]]`, 1, 1},
		{"SELECT id FROM c.t WHERE n = 3 OR n > 5999", `[[6000]]`, 1, 1},
		{"SELECT id FROM c.t WHERE n < 999 OR n BETWEEN 2001 AND 4999 OR n > 6000", `[]`, 0, 2},
		{"SELECT id FROM c.t WHERE tag = 't01500'", `[[1500]]`, 1, 1},
		{"SELECT id FROM c.t WHERE tag IN ('a', 't05001', 'zzz')", `[[5001]]`, 1, 1},
		{"SELECT id FROM c.t WHERE tag IN ('a', 't03000', 'zzz')", `[]`, 0, 2},
		{"SELECT id FROM c.t WHERE tag >= 't05999' ORDER BY id", `[[5999],[6000]]`, 1, 1},
		{"SELECT id FROM c.t WHERE tag < 't01000' OR tag > 't06000'", `[]`, 0, 2},
		{"SELECT id FROM c.t WHERE tag LIKE 't0600%'", `[[6000]]`, 1, 1},
		{"SELECT count(*) FROM c.t WHERE tag BETWEEN 't01990' AND 't01999'", `[[10]]`, 1, 1},
	}
	for _, c := range cases {
		d := read(c.q, c.want)
		if d.RowGroupsRead != c.read || d.ScansPruned != c.files {
			t.Errorf("%s: read %d row groups and pruned %d files, want %d and %d (%+v)", c.q, d.RowGroupsRead, d.ScansPruned, c.read, c.files, d)
		}
	}
	// The primary key: each value is looked up, and no row group holds 1
	// or 1000000.
	if d := read("SELECT n FROM c.t WHERE id IN (1, 1000000)", `[]`); d.RowGroupsRead != 0 || d.RowsDecoded != 0 {
		t.Errorf("id IN (1, 1000000): %+v", d)
	}
	// A text equality decodes the rows of the page that can hold it, not
	// the file.
	if d := read("SELECT body FROM c.t WHERE tag = 't05500'", `[["body of 5500"]]`); d.RowsDecoded > 300 {
		t.Errorf("tag = 't05500' decoded %d rows", d.RowsDecoded)
	}

	// An update of a flushed row, flushed again: the new file overlaps the
	// first one. Its rows that fail must still come back to hide the first
	// file's older versions, but the first file's own rows can be dropped
	// (every version of the new file is newer) and it is pruned still.
	alice.must("UPDATE c.t SET n = 7000, tag = 'moved' WHERE id = 1500")
	flushTable(t, e, "c.t")
	d := read("SELECT id FROM c.t WHERE n IN (7000, 5500) ORDER BY id", `[[1500],[5500]]`)
	if d.ScansPruned != 1 || d.RowGroupsRead != 2 {
		t.Errorf("after an update flushed: %+v (want the first file pruned, the others read)", d)
	}
	read("SELECT id FROM c.t WHERE n IN (1500, 5500)", `[[5500]]`)
	read("SELECT id FROM c.t WHERE tag = 't01500'", `[]`)
	read("SELECT id, n FROM c.t WHERE tag IN ('moved', 't01501') ORDER BY id", `[[1500,7000],[1501,1501]]`)
}

// TestColdPruneNeverChangesAnswers: random writes, updates, deletes,
// flushes and compactions; after each round, random queries whose WHERE
// the scans push to cold files (IN lists, ORs of ranges and points on an
// integer column; equalities, IN lists, ranges, LIKE prefixes and ORs on
// TEXT and VARCHAR columns) answer exactly as the same query written so
// that nothing is pushed (n + 0, tag || ”).
//
// KALAMDB_COLDPRUNE_ROUNDS is the number of rounds (4, the fewest that
// compact twice; make soak runs more); two of them compact, whatever the
// count.
func TestColdPruneNeverChangesAnswers(t *testing.T) {
	slowParallel(t)
	rounds := propertyRounds(t, "KALAMDB_COLDPRUNE_ROUNDS", 4)
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.p (id BIGINT PRIMARY KEY, n INT, tag TEXT, v VARCHAR(12))")
	alice := e.as("alice", systable.RoleUser)
	rng := rand.New(rand.NewPCG(21, 2026))
	words := []string{"", "a", "a ", "ab", "abc", "b", "bz", "é", "éa", "日本", "日本語", "z", "zz", "😀", "m", "mn", "abcdefghijkl"}
	long := strings.Repeat("x", 5000) // no statistics for a chunk that holds it
	text := func() string {
		switch rng.IntN(12) {
		case 0:
			return "NULL"
		case 1:
			return "'" + long + "'"
		}
		return "'" + words[rng.IntN(len(words))] + words[rng.IntN(4)] + "'"
	}
	num := func() string {
		if rng.IntN(10) == 0 {
			return "NULL"
		}
		return fmt.Sprint(rng.IntN(200) - 20)
	}
	short := func() string {
		if rng.IntN(10) == 0 {
			return "NULL"
		}
		return "'" + words[rng.IntN(len(words))] + "'"
	}
	nextID := 1
	insert := func(k int) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.p (id, n, tag, v) VALUES ")
		for i := range k {
			if i > 0 {
				sb.WriteString(", ")
			}
			// Ids grow, and so, loosely, does n: files and row groups
			// then have statistics worth pruning by.
			n := num()
			if n != "NULL" && rng.IntN(2) == 0 {
				n = fmt.Sprint(nextID/10 + rng.IntN(5))
			}
			fmt.Fprintf(&sb, "(%d, %s, %s, %s)", nextID, n, text(), short())
			nextID += 1 + rng.IntN(3)
		}
		alice.must(sb.String())
	}
	change := func(k int) {
		for range k {
			id := rng.IntN(nextID) + 1
			switch rng.IntN(4) {
			case 0:
				alice.must(fmt.Sprintf("DELETE FROM c.p WHERE id = %d", id))
			case 1:
				alice.must(fmt.Sprintf("UPDATE c.p SET n = %s WHERE id = %d", num(), id))
			case 2:
				alice.must(fmt.Sprintf("UPDATE c.p SET tag = %s, v = %s WHERE id = %d", text(), short(), id))
			default:
				alice.must(fmt.Sprintf("INSERT INTO c.p (id, n, tag, v) VALUES (%d, %s, %s, %s)", nextID, num(), text(), short()))
				nextID++
			}
		}
	}
	lit := func() string { return "'" + words[rng.IntN(len(words))] + "'" }
	nums := func(k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = fmt.Sprint(rng.IntN(240) - 30)
		}
		return strings.Join(out, ", ")
	}
	// Each query is written with %[1]s for n, %[2]s for tag and %[3]s for v.
	// An IN list longer than the index planner takes (over 1,000 values),
	// and than the cold files are handed (over 1,024 spans).
	many := func(k, lo, hi int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = fmt.Sprint(lo + rng.IntN(hi-lo))
		}
		return strings.Join(out, ", ")
	}
	query := func() string {
		switch rng.IntN(18) {
		case 15:
			return "SELECT id, n FROM c.p WHERE %[1]s IN (" + many(1100+rng.IntN(2000), -30, 8000) + ") ORDER BY id DESC"
		case 16:
			return "SELECT count(*) FROM c.p WHERE %[1]s NOT IN (" + many(1500, 0, 600) + ") OR %[1]s < " + fmt.Sprint(rng.IntN(50))
		case 17:
			items := make([]string, 1100)
			for i := range items {
				items[i] = fmt.Sprintf("'%s%d'", words[rng.IntN(len(words))], rng.IntN(3000))
			}
			return "SELECT id FROM c.p WHERE %[2]s IN (" + lit() + ", " + strings.Join(items, ", ") + ", " + lit() + ") ORDER BY id"
		case 0:
			return "SELECT id, n FROM c.p WHERE %[1]s IN (" + nums(1+rng.IntN(6)) + ") ORDER BY id"
		case 1:
			return fmt.Sprintf("SELECT id FROM c.p WHERE %%[1]s IN (%s) OR %%[1]s > %d ORDER BY id DESC", nums(3), 150+rng.IntN(40))
		case 2:
			return fmt.Sprintf("SELECT count(*) FROM c.p WHERE %%[1]s = %d OR %%[1]s BETWEEN %d AND %d", rng.IntN(100), rng.IntN(100), rng.IntN(200))
		case 3:
			return "SELECT id FROM c.p WHERE %[1]s NOT IN (" + nums(4) + ") AND %[1]s < 40 ORDER BY id"
		case 4:
			return "SELECT id, tag FROM c.p WHERE %[2]s = " + lit() + " ORDER BY id"
		case 5:
			return "SELECT id FROM c.p WHERE %[2]s IN (" + lit() + ", " + lit() + ", NULL, " + lit() + ") ORDER BY id"
		case 6:
			return "SELECT id FROM c.p WHERE %[2]s > " + lit() + " AND %[2]s <= " + lit() + " ORDER BY id"
		case 7:
			return "SELECT id FROM c.p WHERE %[2]s LIKE '" + words[rng.IntN(len(words))] + "%%' ORDER BY id"
		case 8:
			return "SELECT id FROM c.p WHERE %[2]s = " + lit() + " OR %[2]s = " + lit() + " OR %[2]s >= 'z' ORDER BY id DESC LIMIT 9"
		case 9:
			return "SELECT count(*), min(id) FROM c.p WHERE %[2]s < " + lit() + " OR %[2]s = '" + long + "'"
		case 10:
			return "SELECT id, v FROM c.p WHERE %[3]s IN (" + lit() + ", " + lit() + ") AND %[1]s > " + fmt.Sprint(rng.IntN(100)) + " ORDER BY id"
		case 11:
			return "SELECT id FROM c.p WHERE %[3]s >= " + lit() + " AND %[2]s <> " + lit() + " ORDER BY id"
		case 12:
			return "SELECT id FROM c.p WHERE id IN (" + nums(5) + ") AND %[2]s IS NOT NULL ORDER BY id"
		case 13:
			// Longer than the column: compared whole, never cut to 12.
			return "SELECT id FROM c.p WHERE %[3]s = 'abcdefghijklm' OR %[3]s IN ('abcdefghijkl ', 'abcdefghijklmn') ORDER BY id"
		default:
			return "SELECT id FROM c.p WHERE %[1]s IN (" + nums(2) + ") AND %[2]s IN (" + lit() + ", " + lit() + ") ORDER BY id"
		}
	}
	check := func(stage string) {
		t.Helper()
		for range 25 {
			q := query()
			pushed := fmt.Sprintf(q, "n", "tag", "v")
			ref := fmt.Sprintf(q, "(n + 0)", "(tag || '')", "(v || '')")
			if got, want := alice.rows(pushed), alice.rows(ref); got != want {
				t.Errorf("%s: %s\n pushed:     %s\n not pushed: %s", stage, pushed, got, want)
			}
		}
	}
	pruneRounds(t, e, "c.p", rounds, func() { insert(150 + rng.IntN(150)) }, func(flushed bool) {
		if flushed {
			change(rng.IntN(20))
		} else {
			change(20 + rng.IntN(40))
		}
	}, check)
}

// pruneRounds drives a test that pruning never changes answers: each of
// rounds inserts, changes rows (after the first), checks, flushes table,
// changes a few rows and checks again, and in two of them (compactRound)
// compacts the table and checks once more.
func pruneRounds(t *testing.T, e *env, table string, rounds int, insert func(), change func(flushed bool), check func(stage string)) {
	t.Helper()
	for round := range rounds {
		insert()
		if round > 0 {
			change(false)
		}
		check(fmt.Sprintf("round %d, hot", round))
		flushTable(t, e, table)
		change(true)
		check(fmt.Sprintf("round %d, flushed", round))
		if compactRound(round, rounds) {
			runJob(t, e, "STORAGE COMPACT TABLE "+table)
			check(fmt.Sprintf("round %d, compacted", round))
		}
	}
}
