package executor_test

import (
	"fmt"
	"testing"
)

// Finding the DATETIME columns a query selects walks into its subqueries
// in FROM, views and CTEs once each: it walked every nested one again
// from each level around it, so a 40-level WITH chain took more than 11
// minutes (2^depth) before any statement limit could stop it. The zoned
// literal at the top still reads the innermost column as DATETIME through
// all the levels: '2024-01-01 01:00:00+02' is 2023-12-31 23:00 UTC, so
// the row at 23:30 is not before it (as a TIMESTAMP it would be).
func TestZonedLiteralsUnderDeeplyNestedQueries(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE IF NOT EXISTS app`)
	root.must(`CREATE SHARED TABLE app.ev (id BIGINT PRIMARY KEY, z DATETIME)`)
	root.must(`INSERT INTO app.ev (id, z) VALUES (1, '2023-12-31 22:30:00'), (2, '2023-12-31 23:30:00')`)
	const depth = 40
	with, from := "SELECT id, z FROM app.ev", "SELECT id, z FROM app.ev"
	for i := range depth {
		with = fmt.Sprintf("WITH c%d AS (%s) SELECT id, z FROM c%d", i, with, i)
		from = fmt.Sprintf("SELECT id, z FROM (%s) s%d", from, i)
	}
	for _, q := range []string{with, from} {
		got := root.rows(fmt.Sprintf("SELECT id FROM (%s) top WHERE z < '2024-01-01 01:00:00+02' ORDER BY id", q))
		if got != `[[1]]` {
			t.Errorf("%.60s...: got %s, want [[1]]", q, got)
		}
	}
}
