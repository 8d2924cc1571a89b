package executor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// coldNotEnv is a table c.t whose three files each hold one value per
// column: rows 1..100 tag 'a', 2024-01-01 10:00 (at and z) and
// 2024-01-01; rows 101..200 tag 'b', 2025-06-01 10:00 and 2025-06-01;
// rows 201..300 NULL in every column but the key.
func coldNotEnv(t *testing.T) (*env, *caller) {
	t.Helper()
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, tag TEXT, at TIMESTAMP, z DATETIME, d DATE)")
	alice := e.as("alice", systable.RoleUser)
	for i, vals := range []string{
		"'a', '2024-01-01 10:00:00', TIMESTAMPTZ '2024-01-01 10:00:00+00', '2024-01-01'",
		"'b', '2025-06-01 10:00:00', TIMESTAMPTZ '2025-06-01 10:00:00+00', '2025-06-01'",
		"NULL, NULL, NULL, NULL",
	} {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.t (id, tag, at, z, d) VALUES ")
		for id := i*100 + 1; id <= i*100+100; id++ {
			if id > i*100+1 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %s)", id, vals)
		}
		alice.must(sb.String())
		flushTable(t, e, "c.t")
	}
	return e, alice
}

// wordList is "'<prefix>0000', '<prefix>0001', ..." of k texts.
func wordList(prefix string, k int) string {
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprintf("'%s%04d'", prefix, i)
	}
	return strings.Join(out, ", ")
}

// NOT IN and <> on TEXT, TIMESTAMP, DATETIME and DATE columns prune the
// cold files (here one row group each) whose only value they exclude, and
// those whose column is NULL in every row (NULL is never unequal); a NOT
// IN list holding NULL is true for no row, and reads no file. Before they
// were pushed, every file was read.
func TestColdPruneByNotInAndNotEqual(t *testing.T) {
	e, alice := coldNotEnv(t)
	cases := []struct {
		q, want     string
		read, files int64 // row groups read (one a file here), files pruned
	}{
		{"SELECT count(*), min(id) FROM c.t WHERE tag <> 'a'", `[[100,101]]`, 1, 2},
		{"SELECT count(*), min(id) FROM c.t WHERE tag != 'b'", `[[100,1]]`, 1, 2},
		{"SELECT count(*) FROM c.t WHERE tag <> 'c'", `[[200]]`, 2, 1},
		{"SELECT count(*) FROM c.t WHERE tag NOT IN ('a', 'b')", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE tag NOT IN ('b', 'a', 'b', 'zz')", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE tag NOT IN ('c', NULL)", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE NOT (tag IN ('a') OR tag = 'b')", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE tag <> 'a' OR tag = 'a'", `[[200]]`, 2, 1},
		{"SELECT count(*), min(id) FROM c.t WHERE at <> '2024-01-01 10:00:00'", `[[100,101]]`, 1, 2},
		{"SELECT count(*) FROM c.t WHERE at NOT IN ('2024-01-01 10:00:00', '2025-06-01 10:00:00')", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE at NOT IN ('2024-01-01 10:00:00.000001', NULL)", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE at <> '2024-01-01 10:00:00.000001'", `[[200]]`, 2, 1},
		{"SELECT count(*), min(id) FROM c.t WHERE z <> '2024-01-01 12:00:00+02'", `[[100,101]]`, 1, 2},
		{"SELECT count(*) FROM c.t WHERE z NOT IN (TIMESTAMPTZ '2025-06-01 05:30:00-04:30', '2024-01-01 10:00:00+00')", `[[0]]`, 0, 3},
		{"SELECT count(*), min(id) FROM c.t WHERE d <> '2025-06-01'", `[[100,1]]`, 1, 2},
		{"SELECT count(*) FROM c.t WHERE d NOT IN (DATE '2024-01-01', '2025-06-01')", `[[0]]`, 0, 3},
		{"SELECT count(*) FROM c.t WHERE d NOT IN ('2024-01-02', '2025-05-31')", `[[200]]`, 2, 1},
		// Part of a day: the DATE of it is 2024-01-01.
		{"SELECT count(*) FROM c.t WHERE d <> '2024-01-01 12:00'", `[[100]]`, 1, 2},
		{"SELECT count(*) FROM c.t WHERE NOT (tag < 'b')", `[[100]]`, 1, 2},
		// Past 1,023 values, the smallest are kept: 'a' and 'b' are.
		{"SELECT count(*) FROM c.t WHERE tag NOT IN ('a', 'b', " + wordList("x", 1500) + ")", `[[0]]`, 0, 3},
		// 'b' is not ('a' < 'a0000' < ... < 'b'), and its file is read.
		{"SELECT count(*) FROM c.t WHERE tag NOT IN ('a', " + wordList("a", 1500) + ", 'b')", `[[0]]`, 1, 2},
	}
	for _, c := range cases {
		before := e.db.Tier.ColdReadStats()
		got := alice.rows(c.q)
		d := coldDelta(before, e.db.Tier.ColdReadStats())
		q := c.q[:min(len(c.q), 120)]
		if got != c.want {
			t.Errorf("%s: %s, want %s", q, got, c.want)
			continue
		}
		if d.RowGroupsRead != c.read || d.ScansPruned != c.files {
			t.Errorf("%s: read %d row groups and pruned %d files, want %d and %d (%+v)", q, d.RowGroupsRead, d.ScansPruned, c.read, c.files, d)
		}
	}
}

// TestColdPruneNotNeverChangesAnswers: two tables get the same writes,
// c.h never flushed and c.k flushed after every batch (and updated,
// flushed again over its older files, and compacted). A batch gives a
// column one value in every row, or NULL in every row, or values of a
// small pool with NULLs, so that files (a row group each) are
// single-valued and all-NULL as well as mixed. Random NOT IN, <>, != and
// NOT (= OR IN) on TEXT, VARCHAR, TIMESTAMP, DATETIME (zoned constants)
// and DATE, with NULLs and duplicates in the lists, lists past 1,024
// values, and ANDs and ORs around them, answer on c.k as on c.h and as
// written so that nothing is pushed (coalesce(col, NULL)).
//
// KALAMDB_COLDPRUNE_ROUNDS is the number of rounds (4, the fewest that
// compact twice; make soak runs more); two of them compact, whatever the
// count.
func TestColdPruneNotNeverChangesAnswers(t *testing.T) {
	slowParallel(t)
	rounds := propertyRounds(t, "KALAMDB_COLDPRUNE_ROUNDS", 4)
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	for _, tb := range []string{"c.h", "c.k"} {
		e.root().must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, tag TEXT, v VARCHAR(8), at TIMESTAMP, z DATETIME, d DATE)")
	}
	alice := e.as("alice", systable.RoleUser)
	both := func(q string) {
		t.Helper()
		for _, tb := range []string{"c.h", "c.k"} {
			alice.must(strings.ReplaceAll(q, "%T", tb))
		}
	}
	rng := rand.New(rand.NewPCG(23, 2026))
	words := []string{"", "a", "a ", "A", "ab", "b", "é", "z", "zz", "日本"}
	base := time.Date(2024, 2, 28, 23, 59, 59, 999999000, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("", 7200), time.FixedZone("", -19800), time.FixedZone("", 50400)}
	// Constants of a column's pool: i picks the value, so that a long
	// list can name many values beyond it.
	litOf := func(col string, i int) string {
		tm := base.Add(time.Duration(i)*time.Hour + time.Duration(i%3)*time.Microsecond)
		switch col {
		case "tag", "v":
			if i >= 0 && i < len(words) {
				return "'" + words[i] + "'"
			}
			return fmt.Sprintf("'w%d'", i)
		case "at":
			return "'" + tm.Format("2006-01-02 15:04:05.999999") + "'"
		case "z":
			z := zones[rng.IntN(len(zones))]
			if rng.IntN(2) == 0 {
				return "TIMESTAMPTZ '" + tm.In(z).Format("2006-01-02 15:04:05.999999-07:00") + "'"
			}
			return "'" + tm.In(z).Format("2006-01-02 15:04:05.999999-07:00") + "'"
		}
		return "'" + base.AddDate(0, 0, i).Format("2006-01-02") + "'"
	}
	const pool = 10
	lit := func(col string) string { return litOf(col, rng.IntN(pool)) }
	cols := []string{"tag", "v", "at", "z", "d"}
	nextID := 1
	insert := func(k int) {
		// Per column: one value in every row, NULL in every row, or
		// the pool with NULLs.
		mode := map[string]int{}
		one := map[string]string{}
		for _, c := range cols {
			mode[c] = rng.IntN(4)
			one[c] = lit(c)
		}
		var sb strings.Builder
		sb.WriteString("INSERT INTO %T (id, " + strings.Join(cols, ", ") + ") VALUES ")
		for i := range k {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d", nextID)
			for _, c := range cols {
				v := lit(c)
				switch {
				case mode[c] == 0:
					v = one[c]
				case mode[c] == 1:
					v = "NULL"
				case rng.IntN(6) == 0:
					v = "NULL"
				}
				sb.WriteString(", " + v)
			}
			sb.WriteString(")")
			nextID++
		}
		both(sb.String())
	}
	change := func(k int) {
		for range k {
			c := cols[rng.IntN(len(cols))]
			id := rng.IntN(nextID) + 1
			switch rng.IntN(3) {
			case 0:
				both(fmt.Sprintf("DELETE FROM %%T WHERE id = %d", id))
			case 1:
				both(fmt.Sprintf("UPDATE %%T SET %s = NULL WHERE id BETWEEN %d AND %d", c, id, id+rng.IntN(20)))
			default:
				both(fmt.Sprintf("UPDATE %%T SET %s = %s WHERE id = %d", c, lit(c), id))
			}
		}
	}
	list := func(col string) string {
		k := 1 + rng.IntN(4)
		if rng.IntN(8) == 0 {
			k = 1100 + rng.IntN(300) // past maxColdSpans
		}
		out := make([]string, 0, k+2)
		for range k {
			if k > pool {
				out = append(out, litOf(col, rng.IntN(3*k)-k/2))
			} else {
				out = append(out, lit(col))
			}
		}
		out = append(out, out[rng.IntN(len(out))])
		if rng.IntN(4) == 0 {
			out = append(out, "NULL")
		}
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return strings.Join(out, ", ")
	}
	// %[1]s is the column, %[2]s another one.
	query := func(col, col2 string) string {
		var where string
		switch rng.IntN(8) {
		case 0:
			where = "%[1]s <> " + lit(col)
		case 1:
			where = "%[1]s != " + lit(col) + " AND %[1]s <> " + lit(col)
		case 2:
			where = "%[1]s NOT IN (" + list(col) + ")"
		case 3:
			where = "NOT (%[1]s = " + lit(col) + " OR %[1]s IN (" + list(col) + "))"
		case 4:
			where = "%[1]s NOT IN (" + list(col) + ") OR %[1]s = " + lit(col)
		case 5:
			where = "%[1]s <> " + lit(col) + " AND %[2]s NOT IN (" + list(col2) + ")"
		case 6:
			where = "%[1]s <> " + lit(col) + " OR %[1]s IS NULL"
		default:
			where = "NOT (%[1]s IN (" + list(col) + ")) AND %[1]s >= " + lit(col)
		}
		order := []string{" ORDER BY id", " ORDER BY id DESC", " ORDER BY id DESC LIMIT 4"}[rng.IntN(3)]
		if rng.IntN(4) == 0 {
			return "SELECT count(*), min(id), max(id) FROM %[3]s WHERE " + where
		}
		return "SELECT id, %[1]s FROM %[3]s WHERE " + where + order
	}
	var pruned int64
	check := func(stage string) {
		t.Helper()
		for range 20 {
			col, col2 := cols[rng.IntN(len(cols))], cols[rng.IntN(len(cols))]
			q := query(col, col2)
			pushed := fmt.Sprintf(q, col, col2, "c.k")
			hot := fmt.Sprintf(q, col, col2, "c.h")
			ref := fmt.Sprintf(q, "coalesce("+col+", NULL)", "coalesce("+col2+", NULL)", "c.k")
			before := e.db.Tier.ColdReadStats()
			got := alice.rows(pushed)
			// The counters are the open files': a file closed meanwhile
			// (compacted away) takes its counts with it.
			pruned += max(coldDelta(before, e.db.Tier.ColdReadStats()).RowGroupsPruned, 0)
			short := func(s string) string { return s[:min(len(s), 400)] }
			if want := alice.rows(hot); got != want {
				t.Errorf("%s: %s\n cold: %s\n hot:  %s", stage, short(pushed), short(got), short(want))
			}
			if want := alice.rows(ref); got != want {
				t.Errorf("%s: %s\n pushed:     %s\n not pushed: %s", stage, short(pushed), short(got), short(want))
			}
		}
	}
	for round := range rounds {
		for range 3 {
			insert(20 + rng.IntN(30))
			flushTable(t, e, "c.k")
		}
		check(fmt.Sprintf("round %d, flushed", round))
		change(5 + rng.IntN(10))
		check(fmt.Sprintf("round %d, changed", round))
		flushTable(t, e, "c.k")
		check(fmt.Sprintf("round %d, flushed again", round))
		if compactRound(round, rounds) {
			runJob(t, e, "STORAGE COMPACT TABLE c.k")
			check(fmt.Sprintf("round %d, compacted", round))
		}
	}
	if pruned == 0 {
		t.Error("no row group was pruned: NOT IN and <> were not pushed")
	}
	t.Logf("%d row groups pruned", pruned)
}
