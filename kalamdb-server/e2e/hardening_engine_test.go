package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// The engine findings of the second hardening review, over the wire: each
// statement gets its answer or its error code, /health answers throughout,
// and nothing is a 500.
func TestEngineFindingsOverTheWire(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Limits.StatementMemoryBytes = 32 << 20
		// The 100,000-term OR chain must answer: under -race on a loaded
		// machine it outran the 30 s default (QUERY_TIMEOUT in a CI run).
		// No statement here is meant to be ended by the time limit.
		c.Limits.StatementTimeout = 10 * time.Minute
	})
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE SHARED TABLE app.prices (id BIGINT PRIMARY KEY, price DECIMAL(20,4)) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user; CREATE USER 'dan' WITH PASSWORD 'pw-dan' ROLE dba`)
	alice, dan := basic("alice", "pw-alice"), basic("dan", "pw-dan")
	s.ok(alice, "INSERT INTO app.notes VALUES (1, 'hello')")
	for _, c := range []struct {
		who    creds
		sql    string
		params []any
		want   string // rows, or the error code
	}{
		{alice, "SELECT 'NaN'::float8 = 1.5, 'NaN'::float8 = 'NaN'::float8, 'NaN'::float8 > 'Infinity'::float8", nil, `[[false,true,true]]`},
		{alice, "SELECT '1e999999999'::numeric", nil, "SQL_EXECUTION_ERROR"},
		{alice, "SELECT " + strings.Repeat("9", 5_000_000), nil, "INVALID_SQL"},
		{dan, "INSERT INTO app.prices VALUES ($1, $2)", []any{1, "1e9999999"}, "INVALID_INPUT"},
		{alice, "SELECT $1 + 1", []any{jsonNumber("9223372036854775808")}, `[["9223372036854775809"]]`},
		{alice, "SELECT 1 WHERE " + strings.TrimSuffix(strings.Repeat("1=1 OR ", 100_000), " OR "), nil, `[[1]]`},
		{alice, chainJoin("app.notes", 14), nil, "RESOURCE_LIMIT_EXCEEDED"},
		{alice, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3000) " +
			"SELECT max(length(m)) FROM (SELECT n, max(repeat('x', 1000000) || n) m FROM r GROUP BY n) s", nil, "RESOURCE_LIMIT_EXCEEDED"},
		{alice, "SELECT timestamp '2024-01-01' + interval '300000 years'", nil, "SQL_EXECUTION_ERROR"},
		{alice, "SELECT 1 WHERE EXISTS (SELECT 1 FROM app.notes) AND EXISTS (SELECT 1 FROM app.notes)", nil, `[[1]]`},
		{alice, "SELECT table_name, data_type FROM information_schema.columns WHERE table_schema = 'app' AND column_name = 'id' ORDER BY table_name", nil, `[["notes","bigint"],["prices","bigint"]]`},
		{alice, "SELECT 1::decimal(38,31)", nil, "UNSUPPORTED"},
		{dan, "UPDATE system.users SET email = 'alice@example.com' WHERE username = 'alice'", nil, ""},
		{alice, "SELECT email FROM system.users", nil, `[["alice@example.com"]]`},
	} {
		r := s.sql(c.who, c.sql, c.params...)
		got := ""
		switch {
		case r.Status == "success" && c.want == "":
		case r.Status == "success":
			got = r.rows(t)
		case r.Error != nil:
			got = r.Error.Code
			if r.httpStatus != http.StatusBadRequest && r.httpStatus != http.StatusForbidden {
				t.Errorf("%.60s: HTTP %d", c.sql, r.httpStatus)
			}
		default:
			got = r.String()
		}
		if got != c.want {
			t.Errorf("%.60s: got %s, want %s", c.sql, got, c.want)
		}
		if h := s.do(http.MethodGet, "/health", nil, nil); h.httpStatus != http.StatusOK {
			t.Fatalf("/health after %.60s: %s", c.sql, h)
		}
	}
}

// A live query whose WHERE compares NaN: a change it evaluates killed the
// process with "Cannot create a Decimal from NaN". Now the NaN row does
// not match, the socket goes on, and the server with it.
func TestLiveFilterWithNaN(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user`)
	alice := basic("alice", "pw-alice")
	c := s.loginWS(t, "alice", "pw-alice")
	c.subscribeAll("nan", "SELECT * FROM app.notes WHERE id > 1000000 AND id::float8 * 'NaN' = 1.5", nil)
	c.subscribeAll("nans", "SELECT id FROM app.notes WHERE id::float8 * 'NaN' = 'NaN'::float8", nil)
	s.ok(alice, "INSERT INTO app.notes VALUES (2000000, 'boom')")
	// NaN = NaN holds as in PostgreSQL, NaN = 1.5 does not: the second
	// subscription sees the row, the first does not.
	if got := c.change("nans"); got != "insert [map[id:2e+06]]" {
		t.Fatalf("NaN = NaN subscription: %s", got)
	}
	if h := s.do(http.MethodGet, "/health", nil, nil); h.httpStatus != http.StatusOK {
		t.Fatalf("/health: %s", h)
	}
	s.ok(alice, "INSERT INTO app.notes VALUES (3000000, 'again')")
	if got := c.change("nans"); got != "insert [map[id:3e+06]]" {
		t.Fatalf("after the first change: %s", got)
	}
}

// SIGTERM while a request plans statement after statement: planning
// checks the statement's context between the planner's steps and no step
// is long, so the request is cancelled within the shutdown time and the
// process exits 0.
func TestSIGTERMWhilePlanning(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir, "KALAMDB_SERVER_SHUTDOWN_TIMEOUT=8s", "KALAMDB_LIMITS_STATEMENT_TIMEOUT=1h")
	s := &server{t: t, base: p.base}
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)")
	// A thousand eight-table joins: minutes of planning in all.
	batch := strings.TrimSuffix(strings.Repeat(chainJoin("app.t", 8)+"; ", 1000), "; ")
	long := postInBackground(p.base, batch)
	s.waitInFlight(2)
	p.terminate(t, 2*time.Minute)
	if resp := <-long; resp != nil && resp.status == http.StatusOK {
		t.Errorf("the batch completed despite the shutdown")
	}
}

// chainJoin counts the rows of n copies of table joined on their ids.
func chainJoin(table string, n int) string {
	from, where := make([]string, n), make([]string, n-1)
	for i := range from {
		from[i] = fmt.Sprintf("%s t%d", table, i)
		if i > 0 {
			where[i-1] = fmt.Sprintf("t%d.id = t%d.id", i-1, i)
		}
	}
	return "SELECT count(*) FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(where, " AND ")
}

// finished is the status and body of a request sent in the background.
type finished struct {
	status int
	body   string
}

// postInBackground sends sqlText as root and delivers its answer, or nil
// when the connection failed (the server may close it at shutdown).
func postInBackground(base, sqlText string) <-chan *finished {
	out := make(chan *finished, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/api/sql", strings.NewReader(fmt.Sprintf(`{"sql": %q}`, sqlText)))
		req.SetBasicAuth("root", "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- nil
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- &finished{status: resp.StatusCode, body: string(body)}
	}()
	return out
}

// waitInFlight waits until the server has at least n requests in flight
// (the /metrics request that asks counts).
func (s *server) waitInFlight(n int) {
	s.t.Helper()
	inFlight := regexp.MustCompile(`(?m)^kalamdb_http_requests_in_flight (\d+)`)
	for deadline := time.Now().Add(time.Minute); ; {
		m := s.do(http.MethodGet, "/metrics", nil, nil)
		if g := inFlight.FindStringSubmatch(m.raw); g != nil {
			if got, _ := strconv.Atoi(g[1]); got >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatal("the request never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
