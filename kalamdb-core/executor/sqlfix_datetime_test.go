package executor_test

import "testing"

// An untyped literal or text parameter compared with a DATETIME
// (timestamptz) column is read as a DATETIME, so its zone converts it to
// UTC, as INSERT and ::timestamptz do: the comparison dropped the zone,
// matched the row 90 minutes away and an UPDATE changed it. A TIMESTAMP
// column keeps ignoring the zone (PostgreSQL's timestamp without time
// zone does). Hot and cold, with an index on the column and without; the
// planner's INSERT and UPDATE dropped the zone too.
func TestDatetimeLiteralZone(t *testing.T) {
	for _, slow := range []bool{false, true} {
		for _, indexed := range []bool{false, true} {
			e := newEnvWith(t, slow)
			root := e.root()
			root.must(`CREATE NAMESPACE app;
				CREATE SHARED TABLE app.tz (id BIGINT PRIMARY KEY, at DATETIME, ts TIMESTAMP, note TEXT);
				INSERT INTO app.tz VALUES (1, '2024-03-10 23:30:00-05', '2024-03-10 23:30:00-05', 'keep'),
					(2, '2024-03-11 00:30:00+01:30', '2024-03-11 00:30:00+01:30', 'keep'),
					(3, '2024-03-11 12:00:00', '2024-03-11 12:00:00', 'keep');
				CREATE SHARED TABLE app.tk (at DATETIME PRIMARY KEY, n INT);
				INSERT INTO app.tk VALUES ('2024-03-11 00:30:00+01:30', 2), ('2024-03-11 12:00:00', 3)`)
			if indexed {
				createIndex(t, e, "CREATE INDEX tz_at ON app.tz (at)")
			}
			name := map[bool]string{false: "fast", true: "slow"}[slow] + map[bool]string{false: "", true: "/indexed"}[indexed]
			// Row 2 is 2024-03-10 23:00:00 UTC.
			cases := []cmpCase{
				{"SELECT id FROM app.tz WHERE at = '2024-03-11 00:30:00+01:30'", `[[2]]`},
				{"SELECT id FROM app.tz WHERE '2024-03-11 00:30:00+01:30' = at", `[[2]]`},
				{"SELECT id FROM app.tz WHERE at IN ('2024-03-11 00:30:00+01:30')", `[[2]]`},
				{"SELECT id FROM app.tz WHERE at IN ('2024-03-11 00:30:00+01:30', '2024-03-11 13:00:00+01') ORDER BY id", `[[2],[3]]`},
				{"SELECT id FROM app.tz WHERE at = '2024-03-10 23:00:00+01:30'", `[]`},
				{"SELECT id FROM app.tz WHERE at < '2024-03-11 00:30:00+01:30'", `[]`},
				{"SELECT id FROM app.tz WHERE at <= '2024-03-11 00:30:00+01:30'", `[[2]]`},
				{"SELECT id FROM app.tz WHERE at BETWEEN '2024-03-10 22:00:00-02' AND '2024-03-11 02:00:00-02'", `[]`},
				{"SELECT id FROM app.tz WHERE at BETWEEN '2024-03-10 20:00:00-02' AND '2024-03-11 02:00:00-03' ORDER BY id", `[[1],[2]]`},
				{"SELECT id, at = '2024-03-11 00:30:00+01:30' FROM app.tz ORDER BY id", `[[1,false],[2,true],[3,false]]`},
				{"SELECT id FROM app.tz WHERE at = '2024-03-11 00:30:00+01:30'::timestamptz", `[[2]]`},
				{"SELECT a.id FROM app.tz a WHERE EXISTS (SELECT 1 FROM app.tz b WHERE b.id = a.id AND a.at = '2024-03-11 00:30:00+01:30')", `[[2]]`},
				// A literal sharing a type with at in GREATEST or CASE
				// (PostgreSQL 15's answers).
				{"SELECT id FROM app.tz WHERE GREATEST(at, '2024-03-11 13:00:00+01') = '2024-03-11 12:00:00' ORDER BY id", `[[1],[2],[3]]`},
				{"SELECT id FROM app.tz WHERE CASE WHEN id = 1 THEN '2024-03-11 00:30:00+01:30' ELSE at END = '2024-03-10 23:00:00Z' ORDER BY id", `[[1],[2]]`},
				// TIMESTAMP ignores the zone, as in PostgreSQL.
				{"SELECT id FROM app.tz WHERE ts = '2024-03-11 00:30:00+05'", `[[2]]`},
				// A DATETIME primary key.
				{"SELECT n FROM app.tk WHERE at = '2024-03-11 00:30:00+01:30'", `[[2]]`},
				{"SELECT n FROM app.tk WHERE at > '2024-03-11 00:30:00+01:30'", `[[3]]`},
				{"SELECT n FROM app.tk WHERE at >= '2024-03-11 00:30:00+01:30' ORDER BY n", `[[2],[3]]`},
			}
			checkCases(t, root, name+"/hot", cases)
			checkCases(t, root, name+"/param", []cmpCase{
				{"SELECT id FROM app.tz WHERE at = $1", `[[2]]`},
				{"SELECT n FROM app.tk WHERE at = $1", `[[2]]`},
				{"SELECT n FROM app.tk WHERE at >= $1 ORDER BY n", `[[2],[3]]`},
			}, "2024-03-11 00:30:00+01:30")
			flushTable(t, e, "app.tz")
			flushTable(t, e, "app.tk")
			checkCases(t, root, name+"/cold", cases)
			if r := root.must("UPDATE app.tz SET note = 'hit' WHERE at = '2024-03-10 23:00:00+01:30'"); r[0].RowCount != 0 {
				t.Errorf("%s: UPDATE ... WHERE at = '2024-03-10 23:00:00+01:30' changed %d rows", name, r[0].RowCount)
			}
			if r := root.must("DELETE FROM app.tz WHERE at = $1", "2024-03-11 00:30:00+01:30"); r[0].RowCount != 1 {
				t.Errorf("%s: DELETE ... WHERE at = $1 deleted %d rows, want 1", name, r[0].RowCount)
			}
			if got := root.rows("SELECT id, note FROM app.tz ORDER BY id"); got != `[[1,"keep"],[3,"keep"]]` {
				t.Errorf("%s: rows after the writes: %s", name, got)
			}
			// Writes through the planner read the zone too: a parameter,
			// an UPDATE's SET.
			root.must("INSERT INTO app.tz (id, at) VALUES (5, $1)", "2024-03-11 00:30:00+01:30")
			root.must("INSERT INTO app.tz (id, at) VALUES (6, now())")
			root.must("UPDATE app.tz SET at = '2024-03-11 00:30:00+01:30' WHERE id = 6")
			if got := root.rows("SELECT id FROM app.tz WHERE at = '2024-03-10 23:00:00Z' ORDER BY id"); got != `[[5],[6]]` {
				t.Errorf("%s: rows written with a zone: %s, want [[5],[6]]", name, got)
			}
		}
	}
}
