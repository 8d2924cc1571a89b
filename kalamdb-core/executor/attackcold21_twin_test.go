package executor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackcold21TwinTables: the same random writes, updates and
// deletes (whose WHEREs the scans push to cold files) go to two tables,
// one flushed and compacted often, one never flushed; after every step
// both hold the same rows and answer the same queries alike. A DELETE or
// UPDATE that prunes a cold row it should have reached, or one that
// reaches a row it should not, shows as a difference.
//
// KALAMDB_TWIN_ROUNDS is the number of rounds (6; make soak runs more):
// every round writes, flushes and compares the same way, and two of them
// compact (the second over the first's file), whatever the count.
func TestAttackcold21TwinTables(t *testing.T) {
	slowParallel(t)
	rounds := propertyRounds(t, "KALAMDB_TWIN_ROUNDS", 6)
	for _, kind := range []string{"USER", "SHARED", "USER2"} {
		t.Run(kind, func(t *testing.T) {
			// Each kind has its own database and random source.
			t.Parallel()
			e := newEnv(t)
			create := "CREATE TABLE"
			if kind == "SHARED" {
				create = "CREATE SHARED TABLE"
			}
			e.root().must("CREATE NAMESPACE c")
			for _, tb := range []string{"c.a", "c.b"} {
				q := create + " " + tb + " (id BIGINT PRIMARY KEY, n INT, tag TEXT, v VARCHAR(6))"
				if kind == "SHARED" {
					q += " WITH (ACCESS_LEVEL = 'PUBLIC')"
				}
				e.root().must(q)
			}
			callers := []*caller{e.as("alice", systable.RoleUser)}
			if kind == "SHARED" {
				callers = []*caller{e.root()}
			}
			if kind == "USER2" {
				// Two users, each writing to and reading their own
				// partition of both tables.
				callers = append(callers, e.as("bob", systable.RoleUser))
			}
			rng := rand.New(rand.NewPCG(2121, uint64(len(kind))))
			words := []string{"", "a", "a ", "A", "ab", "abc", "b", "é", "éa", "z", "zz", "m", "mn", "%", "_", "a%b", "a_b", "\\"}
			lit := func() string {
				if rng.IntN(12) == 0 {
					return "NULL"
				}
				w := words[rng.IntN(len(words))]
				return "'" + strings.ReplaceAll(w, "'", "''") + "'"
			}
			num := func() string {
				if rng.IntN(10) == 0 {
					return "NULL"
				}
				return fmt.Sprint(rng.IntN(60) - 10)
			}
			both := func(q string) {
				t.Helper()
				who := callers[rng.IntN(len(callers))]
				ra, errA := who.exec(strings.ReplaceAll(q, "%T", "c.a"))
				rb, errB := who.exec(strings.ReplaceAll(q, "%T", "c.b"))
				if (errA == nil) != (errB == nil) {
					t.Fatalf("%s: %v vs %v", q, errA, errB)
				}
				if errA == nil && len(ra) == 1 && len(rb) == 1 && ra[0].RowCount != rb[0].RowCount {
					t.Errorf("%s: %d rows affected cold, %d hot", q, ra[0].RowCount, rb[0].RowCount)
				}
			}
			nextID := 1
			insert := func(k int) {
				var sb strings.Builder
				sb.WriteString("INSERT INTO %T (id, n, tag, v) VALUES ")
				for i := range k {
					if i > 0 {
						sb.WriteString(", ")
					}
					fmt.Fprintf(&sb, "(%d, %s, %s, %s)", nextID, num(), lit(), lit())
					nextID += 1 + rng.IntN(2)
				}
				both(sb.String())
			}
			where := func() string {
				switch rng.IntN(14) {
				case 0:
					return "tag = " + lit()
				case 1:
					return "tag IN (" + lit() + ", " + lit() + ", " + lit() + ")"
				case 2:
					return "tag > " + lit() + " AND tag < " + lit()
				case 3:
					return "tag LIKE '" + words[rng.IntN(len(words))] + "%'"
				case 4:
					return "tag = " + lit() + " OR tag >= 'z' OR tag < " + lit()
				case 5:
					return "n IN (" + num() + ", " + num() + ", " + num() + ")"
				case 6:
					return "n = " + num() + " OR n > " + num()
				case 7:
					return "n NOT IN (" + num() + ", " + num() + ")"
				case 8:
					return "v IN (" + lit() + ", " + lit() + ") OR v = " + lit()
				case 9:
					return "tag NOT IN (" + lit() + ", " + lit() + ")"
				case 10:
					return "tag <> " + lit() + " AND n < " + num()
				case 11:
					return "v != " + lit() + " OR v NOT IN (" + lit() + ", " + lit() + ")"
				case 12:
					return "NOT (tag = " + lit() + " OR tag IN (" + lit() + ", " + lit() + "))"
				default:
					return "id IN (" + fmt.Sprint(rng.IntN(nextID)) + ", " + fmt.Sprint(rng.IntN(nextID)) + ") OR tag = " + lit()
				}
			}
			change := func(k int) {
				for range k {
					switch rng.IntN(6) {
					case 0:
						both("DELETE FROM %T WHERE " + where())
					case 1, 2:
						both("UPDATE %T SET tag = " + lit() + ", n = " + num() + " WHERE " + where())
					case 3:
						both("UPDATE %T SET v = " + lit() + " WHERE " + where())
					case 4:
						both(fmt.Sprintf("UPDATE %%T SET tag = %s WHERE id = %d", lit(), rng.IntN(nextID)))
					default:
						insert(1 + rng.IntN(5))
					}
				}
			}
			compare := func(stage string) {
				t.Helper()
				cols := "id, n, tag, v"
				qs := []string{"SELECT " + cols + " FROM %T ORDER BY id"}
				for range 15 {
					qs = append(qs, "SELECT id FROM %T WHERE "+where()+" ORDER BY id")
				}
				qs = append(qs, "SELECT id FROM %T WHERE "+where()+" ORDER BY id DESC LIMIT 3")
				for _, q := range qs {
					for _, who := range callers {
						a := who.rows(strings.ReplaceAll(q, "%T", "c.a"))
						b := who.rows(strings.ReplaceAll(q, "%T", "c.b"))
						if a != b {
							t.Fatalf("%s: %s\n cold: %.600s\n hot:  %.600s", stage, q, a, b)
						}
					}
				}
			}
			for round := range rounds {
				insert(40 + rng.IntN(40))
				change(10 + rng.IntN(10))
				compare(fmt.Sprintf("round %d before flush", round))
				flushTable(t, e, "c.a")
				compare(fmt.Sprintf("round %d flushed", round))
				change(10 + rng.IntN(10))
				compare(fmt.Sprintf("round %d changed", round))
				if round%2 == 1 {
					flushTable(t, e, "c.a")
					change(5)
					compare(fmt.Sprintf("round %d flushed again", round))
				}
				if compactRound(round, rounds) {
					runJob(t, e, "STORAGE COMPACT TABLE c.a")
					compare(fmt.Sprintf("round %d compacted", round))
				}
			}
		})
	}
}

// TestAttackcold21SchemaAndTx: filters on a column added after files
// were written (old files lack it and read its DEFAULT), on a column
// widened since, and a transaction's own pending writes over cold rows.
func TestAttackcold21SchemaAndTx(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n SMALLINT, tag VARCHAR(4))")
	alice := e.as("alice", systable.RoleUser)
	alice.must("INSERT INTO c.t (id, n, tag) VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, NULL, NULL)")
	flushTable(t, e, "c.t")
	e.root().must("ALTER TABLE c.t ADD COLUMN w TEXT DEFAULT 'dflt'")
	e.root().must("ALTER TABLE c.t MODIFY COLUMN n BIGINT")
	e.root().must("ALTER TABLE c.t MODIFY COLUMN tag TEXT")
	alice.must("INSERT INTO c.t (id, n, tag, w) VALUES (5, 5000000000, 'eeeeeeee', 'x'), (6, 6, 'f', NULL)")
	alice.must("UPDATE c.t SET w = 'y' WHERE id = 2")
	flushTable(t, e, "c.t")
	for _, c := range []struct{ q, want string }{
		{"SELECT id FROM c.t WHERE w = 'dflt' ORDER BY id", `[[1],[3],[4]]`},
		{"SELECT id FROM c.t WHERE w IN ('dflt', 'x') ORDER BY id", `[[1],[3],[4],[5]]`},
		{"SELECT id FROM c.t WHERE w = 'dflt' OR w = 'y' ORDER BY id", `[[1],[2],[3],[4]]`},
		{"SELECT id FROM c.t WHERE w < 'e' ORDER BY id", `[[1],[3],[4]]`},
		{"SELECT id FROM c.t WHERE w LIKE 'df%' ORDER BY id", `[[1],[3],[4]]`},
		{"SELECT id FROM c.t WHERE n IN (1, 5000000000) ORDER BY id", `[[1],[5]]`},
		{"SELECT id FROM c.t WHERE n = 3 OR n > 4000000000 ORDER BY id", `[[3],[5]]`},
		{"SELECT id FROM c.t WHERE tag IN ('a', 'eeeeeeee') ORDER BY id", `[[1],[5]]`},
		{"SELECT id FROM c.t WHERE tag >= 'c' ORDER BY id", `[[3],[5],[6]]`},
	} {
		if got := alice.rows(c.q); got != c.want {
			t.Errorf("%s: %s, want %s", c.q, got, c.want)
		}
	}
	// A transaction moves a cold row out of the filter and another in.
	res := alice.must("BEGIN; UPDATE c.t SET tag = 'zz' WHERE id = 1; UPDATE c.t SET tag = 'a' WHERE id = 3; DELETE FROM c.t WHERE id = 5; " +
		"SELECT id FROM c.t WHERE tag IN ('a', 'eeeeeeee') ORDER BY id; ROLLBACK")
	if got := fmt.Sprint(res[len(res)-2].Rows); got != "[[3]]" {
		t.Errorf("in a transaction: %s, want [[3]]", got)
	}
	if got, want := alice.rows("SELECT id FROM c.t WHERE tag IN ('a', 'eeeeeeee') ORDER BY id"), `[[1],[5]]`; got != want {
		t.Errorf("after rollback: %s, want %s", got, want)
	}
}
