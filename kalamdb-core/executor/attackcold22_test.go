package executor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackCold22TwinTables: the same statements on two tables, c.h
// never flushed and c.k flushed and compacted; after every round, random
// queries on times (comparisons at and between the rows' values, IN and
// NOT IN lists short and past 1,024 distinct values with duplicates and
// NULLs, <> and !=, ORs, NOT, IS NULL, COALESCE, DESC and LIMIT) answer
// the same on both, and on c.k the same as written so that nothing is
// pushed. Batches leave whole columns NULL (files with no value in a
// column) or of one value, UPDATEs set runs of rows NULL, and columns are
// added (with and without a DEFAULT), dropped and re-added between
// flushes, so that files lack columns or hold a dropped one.
//
// KALAMDB_TWIN_ROUNDS is the number of rounds (5, the fewest that make
// every change of columns; a batch under the last schema and a
// compaction follow them; make soak runs more).
func TestAttackCold22TwinTables(t *testing.T) {
	slowParallel(t)
	for _, seed := range []uint64{1} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { attackCold22Twins(t, seed) })
	}
}

type twinCol struct {
	name, kind string // kind: ts, tz, date, int, text
	live       bool
}

func attackCold22Twins(t *testing.T, seed uint64) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	for _, tb := range []string{"c.h", "c.k"} {
		e.root().must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, at TIMESTAMP, z DATETIME, d DATE, n INT, tag TEXT)")
	}
	alice := e.as("alice", systable.RoleUser)
	both := func(c *caller, q string) {
		t.Helper()
		for _, tb := range []string{"c.h", "c.k"} {
			c.must(strings.ReplaceAll(q, "%T", tb))
		}
	}
	cols := []*twinCol{{"at", "ts", true}, {"z", "tz", true}, {"d", "date", true}, {"n", "int", true}, {"tag", "text", true},
		{"e", "date", false}, {"f", "ts", false}}
	colNamed := func(n string) *twinCol {
		for _, c := range cols {
			if c.name == n {
				return c
			}
		}
		panic(n)
	}
	rng := rand.New(rand.NewPCG(seed, 22))
	base := time.Date(1969, 12, 31, 20, 0, 0, 0, time.UTC)
	nextID := 1
	// A time near the id's, on a minute grid plus 0..2 µs (values and
	// constants meet), sometimes anywhere before it.
	tm := func() time.Time {
		m := nextID + rng.IntN(5)
		if rng.IntN(5) == 0 {
			m = rng.IntN(max(nextID+30, 1)) - 10
		}
		return base.Add(time.Duration(m)*time.Hour + time.Duration(rng.IntN(3))*time.Microsecond)
	}
	zones := []*time.Location{time.UTC, time.FixedZone("", 7200), time.FixedZone("", -19800), time.FixedZone("", 50400)}
	lit := func(kind string) string {
		switch kind {
		case "ts":
			return "'" + tm().Format("2006-01-02 15:04:05.999999") + "'"
		case "tz":
			return "TIMESTAMPTZ '" + tm().In(zones[rng.IntN(len(zones))]).Format("2006-01-02 15:04:05.999999-07:00") + "'"
		case "date":
			// Days: an hour of ids a day apart would put every day in
			// one file; spread them a day per id.
			d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, nextID/3+rng.IntN(3)-rng.IntN(2)*rng.IntN(40))
			if rng.IntN(6) == 0 {
				return "'" + d.Format("2006-01-02") + " 12:00'"
			}
			return "'" + d.Format("2006-01-02") + "'"
		case "int":
			return fmt.Sprint(nextID + rng.IntN(9) - 4)
		}
		return fmt.Sprintf("'t%05d'", nextID+rng.IntN(9)-4)
	}
	val := func(c *twinCol, allNull bool) string {
		if allNull || rng.IntN(7) == 0 {
			return "NULL"
		}
		return lit(c.kind)
	}
	insert := func(k int) {
		var live []*twinCol
		for _, c := range cols {
			if c.live {
				live = append(live, c)
			}
		}
		// A batch leaves a column NULL in every row, now and then, or
		// gives it one value in every row (a file of one value, when
		// few changes follow before the flush).
		nullCol := map[string]bool{}
		oneVal := map[string]string{}
		for _, c := range live {
			nullCol[c.name] = rng.IntN(3) == 0
			if rng.IntN(4) == 0 {
				oneVal[c.name] = lit(c.kind)
			}
		}
		names := []string{"id"}
		for _, c := range live {
			names = append(names, c.name)
		}
		var sb strings.Builder
		sb.WriteString("INSERT INTO %T (" + strings.Join(names, ", ") + ") VALUES ")
		for i := range k {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d", nextID)
			for _, c := range live {
				if v, ok := oneVal[c.name]; ok && !nullCol[c.name] {
					sb.WriteString(", " + v)
					continue
				}
				sb.WriteString(", " + val(c, nullCol[c.name]))
			}
			sb.WriteString(")")
			nextID++
		}
		both(alice, sb.String())
	}
	liveTimes := func() []*twinCol {
		var out []*twinCol
		for _, c := range cols {
			if c.live && c.kind != "int" && c.kind != "text" {
				out = append(out, c)
			}
		}
		return out
	}
	change := func(k int) {
		for range k {
			id := rng.IntN(nextID) + 1
			ts := liveTimes()
			c := ts[rng.IntN(len(ts))]
			switch rng.IntN(5) {
			case 0:
				both(alice, fmt.Sprintf("DELETE FROM %%T WHERE id = %d", id))
			case 1:
				both(alice, fmt.Sprintf("UPDATE %%T SET %s = NULL WHERE id BETWEEN %d AND %d", c.name, id, id+rng.IntN(30)))
			case 2:
				both(alice, fmt.Sprintf("DELETE FROM %%T WHERE id BETWEEN %d AND %d", id, id+rng.IntN(10)))
			default:
				both(alice, fmt.Sprintf("UPDATE %%T SET %s = %s WHERE id = %d", c.name, val(c, false), id))
			}
		}
	}
	ops := []string{"=", "<", "<=", ">", ">="}
	op := func() string { return ops[rng.IntN(len(ops))] }
	lits := func(kind string, k int, nulls bool) string {
		out := make([]string, 0, k+2)
		for range k {
			out = append(out, lit(kind))
		}
		if k > 0 && rng.IntN(2) == 0 {
			// Duplicates.
			for range 3 {
				out = append(out, out[rng.IntN(len(out))])
			}
		}
		if nulls {
			out = append(out, "NULL")
		}
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return strings.Join(out, ", ")
	}
	// many is an IN list of over 1,024 distinct values: the same
	// distribution widened, so that the merged spans cover gaps of
	// files and miss others.
	many := func(kind string) string {
		saved := nextID
		out := make([]string, 0, 2000)
		for range 1100 + rng.IntN(900) {
			nextID = rng.IntN(saved*3) - saved/2
			out = append(out, lit(kind))
		}
		nextID = saved
		for range 3 {
			out = append(out, lit(kind))
		}
		if rng.IntN(3) == 0 {
			out = append(out, "NULL")
		}
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return strings.Join(out, ", ")
	}
	query := func() (q string, used []*twinCol) {
		ts := liveTimes()
		c := ts[rng.IntN(len(ts))]
		c2 := ts[rng.IntN(len(ts))]
		used = []*twinCol{c, c2}
		k := c.kind
		order := []string{" ORDER BY id", " ORDER BY id DESC", " ORDER BY id DESC LIMIT 5", " ORDER BY id LIMIT 3"}[rng.IntN(4)]
		var where string
		switch rng.IntN(19) {
		case 0:
			where = "%[1]s " + op() + " " + lit(k)
		case 1:
			where = "%[1]s BETWEEN " + lit(k) + " AND " + lit(k)
		case 2:
			where = "%[1]s IN (" + lits(k, 1+rng.IntN(5), rng.IntN(3) == 0) + ")"
		case 3:
			where = "%[1]s IN (" + many(k) + ")"
		case 4:
			where = "%[1]s IN (" + many(k) + ") OR %[1]s " + op() + " " + lit(k)
		case 5:
			where = "%[1]s " + op() + " " + lit(k) + " AND %[2]s " + op() + " " + lit(c2.kind)
		case 6:
			where = "NOT (%[1]s " + op() + " " + lit(k) + ")"
		case 7:
			where = "%[1]s IS NULL OR %[1]s " + op() + " " + lit(k)
		case 8:
			where = "coalesce(%[1]s, " + lit(k) + ") " + op() + " " + lit(k)
		case 9:
			where = "%[1]s NOT IN (" + lits(k, 1+rng.IntN(4), rng.IntN(3) == 0) + ")"
		case 10:
			where = "%[1]s " + op() + " " + lit(k) + " OR %[1]s " + op() + " " + lit(k) + " OR %[1]s = " + lit(k)
		case 11:
			where = "%[1]s IS NOT NULL AND %[1]s " + op() + " " + lit(k)
		case 12:
			where = "(%[1]s " + op() + " " + lit(k) + ") IS NOT TRUE"
		case 13:
			where = "%[1]s IN (" + many(k) + ") AND %[2]s IS NULL"
		case 14:
			where = "%[1]s " + op() + " " + lit(k) + " OR %[2]s " + op() + " " + lit(c2.kind)
		case 15:
			where = "%[1]s <> " + lit(k) + " AND %[1]s != " + lit(k)
		case 16:
			where = "%[1]s NOT IN (" + many(k) + ")"
		case 17:
			where = "NOT (%[1]s = " + lit(k) + " OR %[1]s IN (" + lits(k, 1+rng.IntN(3), rng.IntN(4) == 0) + ")) OR %[2]s <> " + lit(c2.kind)
		default:
			where = "%[1]s IN (" + lits(k, 2, false) + ") OR %[1]s BETWEEN " + lit(k) + " AND " + lit(k)
		}
		if rng.IntN(4) == 0 {
			return "SELECT count(*), min(id), max(id) FROM %[3]s WHERE " + where, used
		}
		return "SELECT id, %[1]s FROM %[3]s WHERE " + where + order, used
	}
	var pruned int64
	check := func(stage string) {
		t.Helper()
		for range 12 {
			q, used := query()
			pushed := fmt.Sprintf(q, used[0].name, used[1].name, "c.k")
			hot := fmt.Sprintf(q, used[0].name, used[1].name, "c.h")
			ref := fmt.Sprintf(q, "coalesce("+used[0].name+", NULL)", "coalesce("+used[1].name+", NULL)", "c.k")
			before := e.db.Tier.ColdReadStats()
			got := alice.rows(pushed)
			// The counters are the open files': a file closed meanwhile
			// (compacted away) takes its counts with it.
			pruned += max(coldDelta(before, e.db.Tier.ColdReadStats()).RowGroupsPruned, 0)
			short := func(s string) string { return s[:min(len(s), 600)] }
			if want := alice.rows(hot); got != want {
				t.Errorf("seed %d, %s: %s\n cold: %s\n hot:  %s", seed, stage, short(pushed), short(got), short(want))
			}
			if want := alice.rows(ref); got != want {
				t.Errorf("seed %d, %s: %s\n pushed:     %s\n not pushed: %s", seed, stage, short(pushed), short(got), short(want))
			}
		}
	}
	alter := func(round int) {
		switch round {
		case 1:
			both(e.root(), "ALTER TABLE %T ADD COLUMN e DATE DEFAULT '2024-01-20'")
			colNamed("e").live = true
		case 2:
			both(e.root(), "ALTER TABLE %T ADD COLUMN f TIMESTAMP")
			colNamed("f").live = true
		case 3:
			both(e.root(), "ALTER TABLE %T DROP COLUMN d")
			both(e.root(), "ALTER TABLE %T ADD COLUMN d DATE")
		case 4:
			both(e.root(), "ALTER TABLE %T DROP COLUMN at")
			colNamed("at").live = false
		}
	}
	// Rounds 1 to 4 change columns; a compaction after round 2's
	// (files with and without the added columns), and one at the end,
	// after a batch written under the last schema.
	rounds := max(propertyRounds(t, "KALAMDB_TWIN_ROUNDS", 5), 5)
	for round := range rounds {
		insert(30 + rng.IntN(40))
		if round > 0 {
			change(10 + rng.IntN(10))
		}
		check(fmt.Sprintf("round %d, hot", round))
		flushTable(t, e, "c.k")
		check(fmt.Sprintf("round %d, flushed", round))
		change(rng.IntN(8))
		// Rows written before an ALTER and flushed after it.
		insert(5 + rng.IntN(10))
		alter(round)
		check(fmt.Sprintf("round %d, altered", round))
		flushTable(t, e, "c.k")
		check(fmt.Sprintf("round %d, altered and flushed", round))
		if round == 2 {
			runJob(t, e, "STORAGE COMPACT TABLE c.k")
			check(fmt.Sprintf("round %d, compacted", round))
		}
	}
	// Rows of the last schema only, flushed, then compacted with the
	// files of every earlier one (the sixth round make test ran before).
	insert(20 + rng.IntN(20))
	change(5 + rng.IntN(5))
	flushTable(t, e, "c.k")
	check("last schema, flushed")
	runJob(t, e, "STORAGE COMPACT TABLE c.k")
	check("last schema, compacted")
	if pruned == 0 {
		t.Error("no row group was pruned")
	}
	t.Logf("seed %d: %d row groups pruned", seed, pruned)
}

// TestAttackCold22Params: a statement run again with other parameters
// prunes by the new values (the analysed plan, and the cold filters made
// with it, are not reused); a query on _deleted sees the tombstones of
// both tiers alike; long IN lists and OR chains of dates (in make soak
// the longest the statement limit lets through) are answered.
func TestAttackCold22Params(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	alice := e.as("alice", systable.RoleUser)
	for _, tb := range []string{"c.h", "c.k"} {
		e.root().must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, at TIMESTAMP, d DATE, tag TEXT)")
	}
	for _, part := range [][2]int{{1, 100}, {101, 200}, {201, 300}} {
		var sb strings.Builder
		for i := part[0]; i <= part[1]; i++ {
			if i > part[0] {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, TIMESTAMP '2024-01-01' + interval '%d hours', DATE '2024-01-01' + %d, 't%03d')", i, i, i, i)
		}
		for _, tb := range []string{"c.h", "c.k"} {
			alice.must("INSERT INTO " + tb + " (id, at, d, tag) VALUES " + sb.String())
		}
		flushTable(t, e, "c.k")
	}
	for _, tb := range []string{"c.h", "c.k"} {
		alice.must("DELETE FROM " + tb + " WHERE id BETWEEN 150 AND 160")
		alice.must("UPDATE " + tb + " SET d = NULL, at = NULL WHERE id BETWEEN 240 AND 300")
	}
	flushTable(t, e, "c.k")
	for _, q := range []struct {
		sql    string
		params [][]any
	}{
		{"SELECT id FROM %s WHERE d = $1 ORDER BY id DESC", [][]any{{"2024-01-02"}, {"2024-05-01"}, {"2024-09-01"}, {"2024-04-10"}}},
		{"SELECT count(*) FROM %s WHERE d BETWEEN $1 AND $2", [][]any{{"2024-01-02", "2024-01-05"}, {"2024-05-01", "2024-10-05"}}},
		{"SELECT id FROM %s WHERE at IN ($1, $2) ORDER BY id", [][]any{{"2024-01-01 01:00", "2024-01-05 04:00"}, {"2024-01-09 01:00", "2024-01-11 04:00"}}},
		{"SELECT id, d, _deleted FROM %s WHERE _deleted = true ORDER BY id", [][]any{nil}},
		{"SELECT id, d, _deleted FROM %s WHERE _deleted = true AND d > '2024-01-01' ORDER BY id", [][]any{nil}},
		{"SELECT id, d, _deleted FROM %s WHERE _deleted = false AND d > '2024-05-01' ORDER BY id", [][]any{nil}},
		{"SELECT count(*) FROM %s WHERE d IS NULL", [][]any{nil}},
		{"SELECT count(*) FROM %s WHERE d IS NULL OR d = '2024-09-01'", [][]any{nil}},
		{"SELECT count(*) FROM %s WHERE NOT (d < '2024-08-01')", [][]any{nil}},
	} {
		for _, ps := range q.params {
			hot := alice.rows(fmt.Sprintf(q.sql, "c.h"), ps...)
			cold := alice.rows(fmt.Sprintf(q.sql, "c.k"), ps...)
			if hot != cold {
				t.Errorf("%s %v:\n cold: %s\n hot:  %s", q.sql, ps, cold, hot)
			}
		}
	}
	// At 64 KB (make test) the lists are far past the 1,024 spans at
	// which the cold filters are cut; make soak sends the longest the
	// statement limit lets through (1 MiB: ~40 s under -race, in the
	// parser and the planner).
	size := longStatementBytes(t)
	for _, shape := range []string{"in", "or", "intext", "inz"} {
		var sb strings.Builder
		switch shape {
		case "in":
			sb.WriteString("SELECT count(*) FROM c.k WHERE d IN ('2024-01-02'")
		case "intext":
			sb.WriteString("SELECT count(*) FROM c.k WHERE tag IN ('t002'")
		case "inz":
			sb.WriteString("SELECT count(*) FROM c.k WHERE at IN ('2024-01-01 02:00'")
		default:
			sb.WriteString("SELECT count(*) FROM c.k WHERE d = '2024-01-02'")
		}
		for i := 0; sb.Len() < size-40; i++ {
			day := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*3)
			switch shape {
			case "in":
				fmt.Fprintf(&sb, ",'%s'", day.Format("2006-01-02"))
			case "intext":
				fmt.Fprintf(&sb, ",'u%d'", i)
			case "inz":
				fmt.Fprintf(&sb, ",'%s'", day.Add(time.Duration(i)*time.Microsecond).Format("2006-01-02 15:04:05.999999"))
			default:
				fmt.Fprintf(&sb, " OR d='%s'", day.Format("2006-01-02"))
			}
		}
		if shape != "or" {
			sb.WriteString(")")
		}
		// One row of the table matches the list's first value; the rest
		// lie in years no file holds.
		start := time.Now()
		res, err := alice.exec(sb.String())
		if err != nil {
			t.Errorf("%s: %d bytes: %v", shape, sb.Len(), err)
			continue
		}
		got := alice.rowsOf("", res)
		if got != "[[1]]" {
			t.Errorf("%s: %d bytes: got %s, want [[1]]", shape, sb.Len(), got)
		}
		t.Logf("%s: %d bytes: %s in %v", shape, sb.Len(), got, time.Since(start))
	}
}

// TestAttackCold22TimeKeys: a TIMESTAMP or DATE primary key has a bloom
// filter per row group; a scan's comparison of it with a few values probes
// it (a second IN list on the column, past the index planner's bound,
// keeps the read a scan). Answers match the same rows kept hot.
func TestAttackCold22TimeKeys(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	alice := e.as("alice", systable.RoleUser)
	for _, tb := range []string{"c.h", "c.k", "c.hd", "c.kd"} {
		typ := "TIMESTAMP"
		if strings.HasSuffix(tb, "d") {
			typ = "DATE"
		}
		e.root().must("CREATE TABLE " + tb + " (k " + typ + " PRIMARY KEY, n INT)")
	}
	base := time.Date(1969, 12, 20, 0, 0, 0, 0, time.UTC)
	for part := range 3 {
		var ts, ds strings.Builder
		for i := part * 200; i < part*200+200; i++ {
			if i > part*200 {
				ts.WriteString(", ")
				ds.WriteString(", ")
			}
			fmt.Fprintf(&ts, "('%s', %d)", base.Add(time.Duration(i)*time.Hour+time.Duration(i%3)*time.Microsecond).Format("2006-01-02 15:04:05.999999"), i)
			fmt.Fprintf(&ds, "('%s', %d)", base.AddDate(0, 0, i).Format("2006-01-02"), i)
		}
		for _, tb := range []string{"c.h", "c.k"} {
			alice.must("INSERT INTO " + tb + " (k, n) VALUES " + ts.String())
		}
		for _, tb := range []string{"c.hd", "c.kd"} {
			alice.must("INSERT INTO " + tb + " (k, n) VALUES " + ds.String())
		}
		flushTable(t, e, "c.k")
		flushTable(t, e, "c.kd")
	}
	for _, tb := range []string{"c.h", "c.k"} {
		alice.must("DELETE FROM " + tb + " WHERE n BETWEEN 250 AND 260")
	}
	for _, tb := range []string{"c.hd", "c.kd"} {
		alice.must("UPDATE " + tb + " SET n = NULL WHERE n BETWEEN 250 AND 260")
	}
	flushTable(t, e, "c.k")
	flushTable(t, e, "c.kd")
	wide := func(date bool) string {
		out := make([]string, 1100)
		for i := range out {
			if date {
				out[i] = "'" + base.AddDate(0, 0, i*7-500).Format("2006-01-02") + "'"
			} else {
				out[i] = "'" + base.Add(time.Duration(i*5-500)*time.Hour).Format("2006-01-02 15:04:05") + "'"
			}
		}
		return strings.Join(out, ", ")
	}
	tsAt := func(i, us int) string {
		return "'" + base.Add(time.Duration(i)*time.Hour+time.Duration(us)*time.Microsecond).Format("2006-01-02 15:04:05.999999") + "'"
	}
	dAt := func(i int) string { return "'" + base.AddDate(0, 0, i).Format("2006-01-02") + "'" }
	for _, q := range []struct{ sql, hot, cold string }{
		{"SELECT n FROM %s WHERE k IN (" + wide(false) + ") AND k IN (" + tsAt(100, 1) + ", " + tsAt(450, 0) + ", " + tsAt(255, 0) + ") ORDER BY k", "c.h", "c.k"},
		{"SELECT n FROM %s WHERE k IN (" + wide(false) + ") AND k IN (" + tsAt(100, 0) + ", " + tsAt(401, 2) + ") ORDER BY k DESC", "c.h", "c.k"},
		{"SELECT n FROM %s WHERE k IN (" + wide(false) + ") AND k = " + tsAt(5, 2), "c.h", "c.k"},
		{"SELECT n FROM %s WHERE k IN (" + wide(false) + ") OR k = " + tsAt(5, 2) + " ORDER BY n", "c.h", "c.k"},
		{"SELECT count(*) FROM %s WHERE k IN (" + wide(false) + ")", "c.h", "c.k"},
		{"SELECT n FROM %s WHERE k IN (" + wide(true) + ") AND k IN (" + dAt(100) + ", " + dAt(450) + ", " + dAt(255) + ", " + dAt(-3) + ") ORDER BY k", "c.hd", "c.kd"},
		{"SELECT n FROM %s WHERE k IN (" + wide(true) + ") AND k = " + dAt(7) + " ORDER BY k", "c.hd", "c.kd"},
		{"SELECT count(*) FROM %s WHERE k IN (" + wide(true) + ") AND n IS NULL", "c.hd", "c.kd"},
		{"SELECT count(*) FROM %s WHERE k IN (" + wide(true) + ") AND k > " + dAt(300), "c.hd", "c.kd"},
	} {
		hot := alice.rows(fmt.Sprintf(q.sql, q.hot))
		before := e.db.Tier.ColdReadStats()
		cold := alice.rows(fmt.Sprintf(q.sql, q.cold))
		d := coldDelta(before, e.db.Tier.ColdReadStats())
		if hot != cold {
			t.Errorf("%.300s:\n cold: %s\n hot:  %s", q.sql, cold, hot)
		}
		t.Logf("%.80s: %s, %+v", q.sql, cold, d)
	}
}

// TestAttackCold22Transaction: a transaction's own writes move rows into
// and out of a time filter whose cold files are pruned (one file holds no
// date at all): the statement inside it sees them, and not after ROLLBACK.
func TestAttackCold22Transaction(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, d DATE, at TIMESTAMP)")
	alice := e.as("alice", systable.RoleUser)
	alice.must("INSERT INTO c.t (id, d, at) SELECT g, DATE '2024-01-01' + g, TIMESTAMP '2024-01-01' + (g || ' hours')::interval FROM generate_series(1, 100) g")
	flushTable(t, e, "c.t")
	alice.must("INSERT INTO c.t (id) SELECT g FROM generate_series(101, 200) g")
	flushTable(t, e, "c.t")
	q := "SELECT id FROM c.t WHERE d IN ('2024-01-06', '2024-02-01', '2024-03-01') OR d > '2024-12-01' ORDER BY id DESC"
	if got := alice.rows(q); got != `[[60],[31],[5]]` {
		t.Fatalf("before: %s", got)
	}
	res := alice.must("BEGIN; UPDATE c.t SET d = '2024-03-01' WHERE id = 150; UPDATE c.t SET d = NULL WHERE id = 5; " +
		"INSERT INTO c.t (id, d) VALUES (300, '2025-01-01'); UPDATE c.t SET d = '2024-01-06', at = NULL WHERE id = 199; " + q + "; ROLLBACK")
	if got := fmt.Sprint(res[len(res)-2].Rows); got != "[[300] [199] [150] [60] [31]]" {
		t.Errorf("in a transaction: %s", got)
	}
	if got := alice.rows(q); got != `[[60],[31],[5]]` {
		t.Errorf("after rollback: %s", got)
	}
}

// TestAttackCold22Retyped: an integer column widened between flushes
// (SMALLINT to INT to BIGINT), compared with IN and NOT IN lists past the
// index planner's bound (which the scans now take): files written before
// answer as the same rows kept hot.
func TestAttackCold22Retyped(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	alice := e.as("alice", systable.RoleUser)
	both := func(c *caller, q string) {
		t.Helper()
		for _, tb := range []string{"c.h", "c.k"} {
			c.must(strings.ReplaceAll(q, "%T", tb))
		}
	}
	both(e.root(), "CREATE TABLE %T (id BIGINT PRIMARY KEY, n SMALLINT)")
	both(alice, "INSERT INTO %T (id, n) SELECT g, g * 10 FROM generate_series(1, 300) g")
	flushTable(t, e, "c.k")
	both(e.root(), "ALTER TABLE %T MODIFY COLUMN n INT")
	both(alice, "INSERT INTO %T (id, n) SELECT g, g * 1000 FROM generate_series(301, 600) g")
	both(alice, "UPDATE %T SET n = NULL WHERE id BETWEEN 100 AND 120")
	flushTable(t, e, "c.k")
	both(e.root(), "ALTER TABLE %T MODIFY COLUMN n BIGINT")
	both(alice, "INSERT INTO %T (id, n) SELECT g, g * 10000000 FROM generate_series(601, 700) g")
	both(alice, "UPDATE %T SET n = 5 WHERE id BETWEEN 1 AND 3")
	flushTable(t, e, "c.k")
	list := func(from, step, k int) string { return inListOf(from, step, k) }
	for _, q := range []string{
		"SELECT id FROM %s WHERE n IN (" + list(0, 10, 1100) + ", 5, 6050000000) ORDER BY id",
		"SELECT count(*) FROM %s WHERE n NOT IN (" + list(0, 10, 1100) + ")",
		"SELECT count(*) FROM %s WHERE n NOT IN (" + list(0, 10, 1100) + ", NULL)",
		"SELECT id FROM %s WHERE n IN (" + list(301000, 1000, 1100) + ") AND n < 400000 ORDER BY id DESC LIMIT 4",
		"SELECT id FROM %s WHERE n IN (" + list(6010000000, 10000000, 1100) + ") ORDER BY id LIMIT 3",
	} {
		hot, cold := alice.rows(fmt.Sprintf(q, "c.h")), alice.rows(fmt.Sprintf(q, "c.k"))
		if hot != cold {
			t.Errorf("%.120s:\n cold: %s\n hot:  %s", q, cold, hot)
		}
	}
}

// TestAttackCold22AddedColumns: files written before ADD COLUMN lack the
// column (the reader gives its DEFAULT, or NULL), which no statistics say:
// comparisons of the new DATE and TIMESTAMP columns, IN lists past 1,024
// values among them, answer as the same rows kept hot.
func TestAttackCold22AddedColumns(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	alice := e.as("alice", systable.RoleUser)
	both := func(c *caller, q string) {
		t.Helper()
		for _, tb := range []string{"c.h", "c.k"} {
			c.must(strings.ReplaceAll(q, "%T", tb))
		}
	}
	both(e.root(), "CREATE TABLE %T (id BIGINT PRIMARY KEY, n INT)")
	both(alice, "INSERT INTO %T (id, n) SELECT g, g FROM generate_series(1, 100) g")
	flushTable(t, e, "c.k")
	both(alice, "INSERT INTO %T (id, n) SELECT g, g FROM generate_series(101, 150) g")
	both(e.root(), "ALTER TABLE %T ADD COLUMN e DATE DEFAULT '2024-01-20'")
	both(e.root(), "ALTER TABLE %T ADD COLUMN f TIMESTAMP")
	both(alice, "INSERT INTO %T (id, n, e, f) SELECT g, g, DATE '2030-01-01' + g, TIMESTAMP '2030-01-01 00:00:00' FROM generate_series(151, 200) g")
	flushTable(t, e, "c.k")
	both(alice, "UPDATE %T SET e = NULL WHERE id BETWEEN 90 AND 110")
	both(alice, "UPDATE %T SET f = '2024-01-20 00:00:00' WHERE id = 5")
	days := make([]string, 1200)
	for i := range days {
		days[i] = "'" + time.Date(2024, 1, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*3).Format("2006-01-02") + "'"
	}
	queries := []string{
		"SELECT id FROM %s WHERE e = '2024-01-20' ORDER BY id DESC LIMIT 5",
		"SELECT count(*) FROM %s WHERE e = '2024-01-20'",
		"SELECT count(*) FROM %s WHERE e IN (" + strings.Join(days, ", ") + ")",
		"SELECT count(*) FROM %s WHERE e > '2024-01-19' AND e < '2030-01-01'",
		"SELECT count(*) FROM %s WHERE e IS NULL",
		"SELECT id FROM %s WHERE f < '2030-01-01' ORDER BY id",
		"SELECT count(*) FROM %s WHERE f IS NULL",
		"SELECT count(*) FROM %s WHERE f = '2030-01-01' OR e = '2024-01-20'",
	}
	// The updates hot over the files, then flushed too.
	for stage := range 2 {
		for _, q := range queries {
			hot, cold := alice.rows(fmt.Sprintf(q, "c.h")), alice.rows(fmt.Sprintf(q, "c.k"))
			if hot != cold {
				t.Errorf("stage %d: %.120s:\n cold: %s\n hot:  %s", stage, q, cold, hot)
			}
		}
		flushTable(t, e, "c.k")
	}
}
