package executor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// inListOf is "v0, v1, ..." of k values from first, step apart.
func inListOf(first, step, k int) string {
	var sb strings.Builder
	for i := range k {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprint(&sb, first+i*step)
	}
	return sb.String()
}

// coldPruneEnv is a table c.t of ids, n and tags 't%05d' 1000..2000 and
// 5000..6000, one file each, and alice, who owns them.
func coldPruneEnv(t *testing.T) (*env, *caller) {
	t.Helper()
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, tag TEXT)")
	alice := e.as("alice", systable.RoleUser)
	for _, r := range [][2]int{{1000, 2000}, {5000, 6000}} {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.t (id, n, tag) VALUES ")
		for i := r[0]; i <= r[1]; i++ {
			if i > r[0] {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 't%05d')", i, i, i)
		}
		alice.must(sb.String())
		flushTable(t, e, "c.t")
	}
	return e, alice
}

// An IN list longer than the index planner takes (engine.MaxIndexRanges)
// still prunes cold files: the engine hid its column from the index
// planner, and with it from the scan filters, so every file was read.
func TestColdPruneByLargeInList(t *testing.T) {
	e, alice := coldPruneEnv(t)
	quoted := func(first, k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = fmt.Sprintf("'t%05d'", first+i)
		}
		return strings.Join(out, ", ")
	}
	cases := []struct {
		q, want     string
		read, files int64 // row groups read (one a file here), files pruned
	}{
		// 3000..4499 and 1000000: neither file holds one.
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(3000, 1, 1500) + ", 1000000)", `[[0]]`, 0, 2},
		// Spread over both gaps, and into the second file.
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(2001, 2, 1499) + ", 1000000)", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(2001, 2, 1600) + ")", `[[100]]`, 1, 1},
		{"SELECT count(*) FROM c.t WHERE n NOT IN (" + inListOf(1000, 1, 1001) + ") AND n < 3000", `[[0]]`, 0, 2},
		// More spans than a cold filter keeps (4500 points, each a span
		// of its own): merged where they are closest, the gaps that
		// hold the files stay.
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(-2999, 2, 1500) + ", " + inListOf(2001, 2, 1500) + ", " + inListOf(6001, 2, 1500) + ")", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(-2999, 2, 1500) + ", " + inListOf(2001, 2, 1500) + ", 5000, " + inListOf(6001, 2, 1500) + ")", `[[1]]`, 1, 1},
		{"SELECT count(*) FROM c.t WHERE tag IN (" + quoted(3000, 1200) + ")", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.t WHERE tag IN (" + quoted(5990, 1200) + ")", `[[11]]`, 1, 1},
		{"SELECT id FROM c.t WHERE id IN (" + inListOf(2001, 1, 1200) + ") ORDER BY id DESC", `[]`, 0, 2},
	}
	for _, c := range cases {
		before := e.db.Tier.ColdReadStats()
		got := alice.rows(c.q)
		d := coldDelta(before, e.db.Tier.ColdReadStats())
		q := c.q[:min(len(c.q), 70)] + "..."
		if got != c.want {
			t.Fatalf("%s: %s, want %s", q, got, c.want)
		}
		if d.RowGroupsRead != c.read || d.ScansPruned != c.files {
			t.Errorf("%s: read %d row groups and pruned %d files, want %d and %d (%+v)", q, d.RowGroupsRead, d.ScansPruned, c.read, c.files, d)
		}
	}
}

// A long IN list, each value a span of its own, around both files, is
// answered and prunes a file still: its cold filter is cut to
// maxColdSpans spans, not dropped. make test sends ~9,000 values (past
// the cut's 1,024), make soak the longest list a statement's size limit
// (1 MiB of SQL text) lets through, 115,000 values, which under -race on
// a loaded machine can take most of the statement's 30 s.
func TestColdPruneLongestInList(t *testing.T) {
	e, alice := coldPruneEnv(t)
	size := longStatementBytes(t)
	var sb strings.Builder
	sb.WriteString("SELECT count(*), min(n), max(n) FROM c.t WHERE n IN (1, 5000")
	for v := 100_001; sb.Len() < size-20; v += 2 {
		fmt.Fprintf(&sb, ",%d", v)
	}
	sb.WriteString(")")
	before := e.db.Tier.ColdReadStats()
	got := alice.rows(sb.String())
	d := coldDelta(before, e.db.Tier.ColdReadStats())
	if got != `[[1,5000,5000]]` || d.RowGroupsRead != 1 || d.ScansPruned != 1 {
		t.Errorf("%d bytes of IN list: %s, %+v (want one file pruned)", sb.Len(), got, d)
	}
}

// Comparisons of TIMESTAMP, DATETIME and DATE columns with constants prune
// cold files as integers do: two files of a row a minute (and a day),
// from 2024-01-01 and from 2025-06-01.
func TestColdPruneByTimes(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.e (id BIGINT PRIMARY KEY, at TIMESTAMP, z DATETIME, d DATE)")
	alice := e.as("alice", systable.RoleUser)
	for _, from := range []int{0, 10_000} {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.e (id, at, z, d) VALUES ")
		start := "2024-01-01"
		if from > 0 {
			start = "2025-06-01"
		}
		for i := from; i < from+1000; i++ {
			if i > from {
				sb.WriteString(", ")
			}
			m := i - from
			fmt.Fprintf(&sb, "(%d, TIMESTAMP '%s' + interval '%d minutes', TIMESTAMPTZ '%s 00:00:00+00' + interval '%d minutes', DATE '%s' + %d)",
				i, start, m, start, m, start, m%100)
		}
		alice.must(sb.String())
		flushTable(t, e, "c.e")
	}
	cases := []struct {
		q, want     string
		read, files int64 // row groups read (one a file here), files pruned
	}{
		{"SELECT count(*) FROM c.e WHERE at >= '2025-01-01'", `[[1000]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE at < '2024-01-01 00:00:00.000001'", `[[1]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE at <= '2024-01-01 16:39:00'", `[[1000]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE at > '2024-01-01 16:39:00'", `[[1000]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE at BETWEEN '2024-06-01' AND '2025-05-31 23:59:59.999999'", `[[0]]`, 0, 2},
		{"SELECT id FROM c.e WHERE at IN ('2024-01-01 00:01:00', '2030-01-01') ORDER BY id DESC", `[[1]]`, 1, 1},
		{"SELECT id FROM c.e WHERE at = TIMESTAMP '2025-06-01' + interval '2 minutes'", `[[10002]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE z < '2025-06-01 02:00:00+02'", `[[1000]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE z >= '2025-06-01 01:59:00+02'", `[[1000]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE z >= TIMESTAMPTZ '2025-06-01 16:38:00-00:01'", `[[1]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE d = DATE '2025-06-01'", `[[10]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE d > '2024-04-09' AND d < '2025-06-01'", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.e WHERE d IN ('2024-01-02', '2024-04-10')", `[[10]]`, 1, 1},
		{"SELECT count(*) FROM c.e WHERE d < '2024-01-02' OR d >= '2025-09-08'", `[[20]]`, 2, 0},
	}
	for _, c := range cases {
		before := e.db.Tier.ColdReadStats()
		got := alice.rows(c.q)
		d := coldDelta(before, e.db.Tier.ColdReadStats())
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.q, got, c.want)
			continue
		}
		if d.RowGroupsRead != c.read || d.ScansPruned != c.files {
			t.Errorf("%s: read %d row groups and pruned %d files, want %d and %d (%+v)", c.q, d.RowGroupsRead, d.ScansPruned, c.read, c.files, d)
		}
	}
}

// TestColdPruneTimesNeverChangeAnswers: random rows of times (NULLs,
// values a microsecond apart, the boundaries of the constants), updates,
// deletes, flushes; random comparisons of TIMESTAMP, DATETIME and DATE
// columns with constants (their own type, a zone, another type, IN lists,
// ORs, BETWEEN, ascending and descending) answer exactly as the same query
// written so that nothing is pushed (at + interval '0 seconds', d + 0).
//
// KALAMDB_COLDPRUNE_ROUNDS is the number of rounds (4; make soak runs
// more); two of them compact, whatever the count.
func TestColdPruneTimesNeverChangeAnswers(t *testing.T) {
	rounds := propertyRounds(t, "KALAMDB_COLDPRUNE_ROUNDS", 4)
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.p (id BIGINT PRIMARY KEY, at TIMESTAMP, z DATETIME, d DATE)")
	alice := e.as("alice", systable.RoleUser)
	rng := rand.New(rand.NewPCG(22, 2026))
	base := time.Date(2024, 2, 28, 23, 0, 0, 0, time.UTC)
	// Times near each other, so that constants fall on and around
	// values, and growing with the ids, so that files and row groups
	// have statistics worth pruning by.
	nextID := 1
	ts := func() time.Time {
		m := nextID/2 + rng.IntN(5)
		if rng.IntN(4) == 0 {
			m = rng.IntN(nextID/2 + 20)
		}
		return base.Add(time.Duration(m)*time.Minute + time.Duration(rng.IntN(3))*time.Microsecond)
	}
	const layout = "2006-01-02 15:04:05.999999"
	tsLit := func() string { return "'" + ts().Format(layout) + "'" }
	zLit := func() string {
		zone := []string{"+00", "+02", "-05:30", "+14"}[rng.IntN(4)]
		loc := map[string]*time.Location{"+00": time.UTC, "+02": time.FixedZone("", 7200), "-05:30": time.FixedZone("", -19800), "+14": time.FixedZone("", 50400)}[zone]
		// Typed: an untyped literal compared with z + interval '0
		// seconds' is read as a TIMESTAMP, dropping its zone (it keeps
		// it only against the column itself, zonedLiterals).
		return "TIMESTAMPTZ '" + ts().In(loc).Format(layout) + zone + "'"
	}
	dLit := func() string {
		return "'" + ts().Add(time.Duration(rng.IntN(3)-1)*24*time.Hour).Format("2006-01-02") + "'"
	}
	val := func(s string) string {
		if rng.IntN(8) == 0 {
			return "NULL"
		}
		return s
	}
	insert := func(k int) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.p (id, at, z, d) VALUES ")
		for i := range k {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %s, %s, %s)", nextID, val(tsLit()), val(zLit()), val(dLit()))
			nextID++
		}
		alice.must(sb.String())
	}
	change := func(k int) {
		for range k {
			id := rng.IntN(nextID) + 1
			switch rng.IntN(3) {
			case 0:
				alice.must(fmt.Sprintf("DELETE FROM c.p WHERE id = %d", id))
			case 1:
				alice.must(fmt.Sprintf("UPDATE c.p SET at = %s, d = %s WHERE id = %d", val(tsLit()), val(dLit()), id))
			default:
				alice.must(fmt.Sprintf("UPDATE c.p SET z = %s WHERE id = %d", val(zLit()), id))
			}
		}
	}
	ops := []string{"=", "<", "<=", ">", ">="}
	op := func() string { return ops[rng.IntN(len(ops))] }
	// Each query is written with %[1]s for at, %[2]s for z and %[3]s for d.
	query := func() string {
		switch rng.IntN(10) {
		case 0:
			return "SELECT id FROM c.p WHERE %[1]s " + op() + " " + tsLit() + " ORDER BY id"
		case 1:
			return "SELECT id FROM c.p WHERE %[1]s IN (" + tsLit() + ", " + tsLit() + ", NULL) OR %[1]s > " + tsLit() + " ORDER BY id DESC"
		case 2:
			return "SELECT count(*) FROM c.p WHERE %[1]s BETWEEN " + tsLit() + " AND " + tsLit()
		case 3:
			return "SELECT id FROM c.p WHERE %[2]s " + op() + " " + zLit() + " ORDER BY id DESC"
		case 4:
			return "SELECT id, z FROM c.p WHERE %[2]s IN (" + zLit() + ", " + zLit() + ") OR %[2]s < " + zLit() + " ORDER BY id"
		case 5:
			return "SELECT id FROM c.p WHERE %[3]s " + op() + " " + dLit() + " ORDER BY id"
		case 6:
			return "SELECT count(*) FROM c.p WHERE %[3]s IN (" + dLit() + ", " + dLit() + ", " + dLit() + ") AND %[1]s >= " + tsLit()
		case 7:
			// Another type: the engine converts, and nothing is pushed.
			return "SELECT id FROM c.p WHERE %[3]s " + op() + " TIMESTAMP " + tsLit() + " OR %[1]s " + op() + " DATE " + dLit() + " ORDER BY id"
		case 8:
			return "SELECT id FROM c.p WHERE %[1]s " + op() + " " + tsLit() + " AND %[3]s " + op() + " " + dLit() + " ORDER BY id DESC LIMIT 7"
		default:
			return "SELECT min(id), max(id) FROM c.p WHERE %[1]s < " + tsLit() + " OR %[1]s >= " + tsLit() + " OR %[3]s = " + dLit()
		}
	}
	var pruned int64
	check := func(stage string) {
		t.Helper()
		for range 25 {
			q := query()
			pushed := fmt.Sprintf(q, "at", "z", "d")
			ref := fmt.Sprintf(q, "(at + interval '0 seconds')", "(z + interval '0 seconds')", "(d + 0)")
			before := e.db.Tier.ColdReadStats()
			got := alice.rows(pushed)
			pruned += coldDelta(before, e.db.Tier.ColdReadStats()).RowGroupsPruned
			if want := alice.rows(ref); got != want {
				t.Errorf("%s: %s\n pushed:     %s\n not pushed: %s", stage, pushed, got, want)
			}
		}
	}
	pruneRounds(t, e, "c.p", rounds, func() { insert(100 + rng.IntN(150)) }, func(flushed bool) {
		if flushed {
			change(rng.IntN(20))
		} else {
			change(20 + rng.IntN(30))
		}
	}, check)
	if pruned == 0 {
		t.Error("no row group was pruned: the comparisons were not pushed")
	}
	t.Logf("%d row groups pruned", pruned)
}

// longStatementBytes is the size of the SQL text of the tests that send
// the longest statement a shape allows: 64 KB in make test, where the
// lists are already far past the limits they test (1,024 spans); make
// soak sets KALAMDB_LONG_STATEMENT_BYTES to the statement limit, 1 MiB.
func longStatementBytes(t *testing.T) int {
	t.Helper()
	size := envInt("KALAMDB_LONG_STATEMENT_BYTES", 64<<10)
	t.Logf("%d-byte statements (KALAMDB_LONG_STATEMENT_BYTES)", size)
	return size
}
