package e2e_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// TestSetReturningFunctionsOverHTTP: a user fills the gaps of an hourly
// report with generate_series, over hot rows and again once they are in
// Parquet; the column is named as PostgreSQL names it, and a series that
// would run for centuries ends at the user role's time limit.
func TestSetReturningFunctionsOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Limits.StatementTimeoutUser = 2 * time.Second
	})
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.events (id BIGINT PRIMARY KEY, at TIMESTAMP, n INT);
		CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user`)
	alice := basic("alice", "pw-alice")
	s.ok(alice, `INSERT INTO app.events VALUES (1, '2024-03-01 00:15', 2), (2, '2024-03-01 00:40', 1), (3, '2024-03-01 02:05', 5)`)
	report := `SELECT h.hour, count(e.id) AS events, coalesce(sum(e.n), 0) AS total
		FROM generate_series('2024-03-01 00:00'::timestamp, '2024-03-01 03:00'::timestamp, interval '1 hour') AS h(hour)
		LEFT JOIN app.events e ON e.at >= h.hour AND e.at < h.hour + interval '1 hour'
		GROUP BY h.hour ORDER BY h.hour`
	want := `[[1709251200000,2,3],[1709254800000,0,0],[1709258400000,1,5],[1709262000000,0,0]]`
	check := func(phase string) {
		r := s.ok(alice, report)
		if got := r.rows(t); got != want {
			t.Errorf("%s: report %s, want %s", phase, got, want)
		}
		if sch := r.Results[0].Schema; len(sch) != 3 || sch[0].Name != "hour" || sch[0].DataType != "Timestamp" {
			t.Errorf("%s: schema %+v", phase, sch)
		}
	}
	check("hot")
	if st, msg := waitJob(t, s, jobOf(t, s, "STORAGE FLUSH TABLE app.events")); st != "completed" {
		t.Fatalf("flush: %s %s", st, msg)
	}
	check("cold")
	r := s.ok(alice, "SELECT * FROM generate_series(1, 3) WITH ORDINALITY")
	if got := r.rows(t); got != `[[1,1],[2,2],[3,3]]` || r.Results[0].Schema[0].Name != "generate_series" || r.Results[0].Schema[0].DataType != "Int" {
		t.Fatalf("ordinality: %s", r)
	}
	s.fail(alice, 400, "QUERY_TIMEOUT", "SELECT count(*) FROM generate_series(1, 9000000000000000000)")
	s.fail(alice, 400, "UNSUPPORTED", "SELECT generate_series(1, 3)")
	s.fail(alice, 400, "SQL_EXECUTION_ERROR", "SELECT * FROM generate_series(1, 3, 0)")
}
