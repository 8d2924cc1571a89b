package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/app"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// BenchmarkRequestPath explains what a request costs outside its
// statement: GET /health (no auth, no SQL) against SELECT 1 and a primary
// key lookup, each with Basic (credential cache warm) and Bearer
// credentials. The server runs in this process with the binary's own
// logger (JSON access log at info, to a file); the client runs in a child
// process (this test binary running TestRequestPathClient), so that a
// -cpuprofile or -memprofile of the benchmark shows the server alone. The
// child times each request over one keep-alive loopback connection, like
// an application's HTTP client.
//
// Metrics: p50/p99 latency seen by the client, the median of the server's
// own `took`, the median gap between the two per request (what HTTP, auth,
// decoding, encoding and the middleware cost), and the server's CPU per
// request.
func BenchmarkRequestPath(b *testing.B) {
	dir := b.TempDir()
	preloadDB(b, dir, func(db *database.Database) {
		x := db.Executor
		run(b, x, "root", systable.RoleSystem, benchSchema)
		run(b, x, "root", systable.RoleSystem, "CREATE INDEX messages_conv ON chat.messages (conversation_id, id)")
		run(b, x, "root", systable.RoleSystem, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
		loadMessages(b, x, "alice", 10_000, 10)
		loadColdMessages(b, db, "alice", 10_000, 10)
		// A table like the side-by-side run's: its rows were inserted
		// with generated keys, as the app inserts them, so it stays clean
		// and an INSERT's key is not read (txn, keymarks.go); chat.messages
		// was loaded with explicit ids and is marked.
		run(b, x, "root", systable.RoleSystem, strings.Replace(benchSchema[strings.Index(benchSchema, "CREATE TABLE"):], "chat.messages", "chat.fresh", 1))
		run(b, x, "root", systable.RoleSystem, "CREATE INDEX fresh_conv ON chat.fresh (conversation_id, id)")
		loadGeneratedMessages(b, x, "alice", "chat.fresh", 10_000, 10)
	})
	// The fast lane (server.fast_sql_path) and net/http alone, one after
	// the other over the same data.
	for _, fast := range []bool{true, false} {
		server := "lane"
		if !fast {
			server = "nethttp"
		}
		b.Run(server, func(b *testing.B) {
			s := startServerLogged(b, dir, func(c *config.Config) {
				c.Server.FastSQLPath = fast
				// KALAMDB_BENCH_BUSY_POLL=0: the server's CPU per request
				// without the polling between requests.
				if d, err := time.ParseDuration(os.Getenv("KALAMDB_BENCH_BUSY_POLL")); err == nil {
					c.Server.BusyPoll = d
				}
			})
			defer s.stop()
			benchRequestPath(b, s)
		})
	}
}

func benchRequestPath(b *testing.B, s *server) {
	token := loginToken(b, s, "alice", "pw")
	basicAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw"))
	bearerAuth := "Bearer " + token
	const pk = `{"sql":"SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE id = $1","params":[%d]}`
	const recent = `{"sql":"SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50","params":[%d]}`
	const insert = `{"sql":"INSERT INTO chat.messages (conversation_id, sender, content) VALUES ($1, $2, $3)","params":[%d,"alice","a chat message of a typical length, neither short nor long, as people write them every day"]}`
	for _, c := range []reqPathSpec{
		{Name: "health", Method: http.MethodGet, Path: "/health"},
		{Name: "select1/basic", Method: http.MethodPost, Path: "/v1/api/sql", Auth: basicAuth, Body: `{"sql":"SELECT 1"}`},
		{Name: "select1/bearer", Method: http.MethodPost, Path: "/v1/api/sql", Auth: bearerAuth, Body: `{"sql":"SELECT 1"}`},
		{Name: "pk/basic", Method: http.MethodPost, Path: "/v1/api/sql", Auth: basicAuth, Body: pk, Keys: 10_000},
		{Name: "pk/bearer", Method: http.MethodPost, Path: "/v1/api/sql", Auth: bearerAuth, Body: pk, Keys: 10_000},
		// The same lookup with every row flushed to Parquet.
		{Name: "pk-cold/basic", Method: http.MethodPost, Path: "/v1/api/sql", Auth: basicAuth,
			Body: strings.Replace(pk, "chat.messages", "chat.cold", 1), Keys: 10_000},
		// The newest 50 of a conversation (conversations 1-9 of 0-9).
		{Name: "recent/basic", Method: http.MethodPost, Path: "/v1/api/sql", Auth: basicAuth, Body: recent, Keys: 9},
		// One row in, as the side-by-side run's single_insert sends it.
		{Name: "insert/basic", Method: http.MethodPost, Path: "/v1/api/sql", Auth: basicAuth, Body: insert, Keys: 9},
		// The same into the table whose keys were all generated.
		{Name: "insert-generated/basic", Method: http.MethodPost, Path: "/v1/api/sql", Auth: basicAuth,
			Body: strings.Replace(insert, "chat.messages", "chat.fresh", 1), Keys: 9},
	} {
		b.Run(c.Name, func(b *testing.B) {
			c.URL, c.N = s.base, b.N
			cpu0, cs0, rt0 := cpuTime(), ctxSwitches(), readRuntimeCounters()
			res := runReqPathClient(b, c)
			cpu, cs, rt := cpuTime()-cpu0, ctxSwitches()-cs0, readRuntimeCounters().minus(rt0)
			b.ReportMetric(float64(res.Mean.Nanoseconds()), "ns/op")
			b.ReportMetric(float64(res.P50.Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(res.P99.Nanoseconds())/1e3, "p99-µs")
			if c.Auth != "" {
				b.ReportMetric(float64(res.TookP50.Nanoseconds())/1e3, "took-p50-µs")
				b.ReportMetric(float64(res.GapP50.Nanoseconds())/1e3, "gap-p50-µs")
			}
			// Includes the warm-up requests, which are as many again.
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(res.Requests), "server-cpu-µs/op")
			b.ReportMetric(float64(cs)/float64(res.Requests), "server-ctxsw/op")
			b.ReportMetric(float64(rt.goroutines)/float64(res.Requests), "server-goroutines/op")
			b.ReportMetric(float64(rt.allocBytes)/float64(res.Requests), "server-B/op")
			b.ReportMetric(float64(rt.allocObjects)/float64(res.Requests), "server-allocs/op")
		})
	}
}

// BenchmarkRequestPathStatement is the statements of BenchmarkRequestPath
// run by the executor in-process, with no HTTP at all: the part of `took`
// that is the core's.
func BenchmarkRequestPathStatement(b *testing.B) {
	preloadDB(b, b.TempDir(), func(db *database.Database) {
		x := db.Executor
		run(b, x, "root", systable.RoleSystem, benchSchema)
		run(b, x, "root", systable.RoleSystem, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
		loadMessages(b, x, "alice", 10_000, 10)
		loadColdMessages(b, db, "alice", 10_000, 10)
		res, err := x.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem,
			SQL: "SELECT user_id FROM system.users WHERE username = 'alice'"})
		if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
			b.Fatalf("alice's id: %v %v", res, err)
		}
		alice := res[0].Rows[0][0].(string)
		r := rand.New(rand.NewPCG(1, 2))
		for _, c := range []struct {
			name, sql string
			keyed     bool
		}{
			{"select1", "SELECT 1", false},
			{"pk", "SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE id = $1", true},
			{"pk-cold", "SELECT id, conversation_id, sender, content, created_at FROM chat.cold WHERE id = $1", true},
		} {
			b.Run(c.name, func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := cpuTime()
				defer func() {
					// The process's CPU per statement: on a shared machine,
					// steadier than the wall time.
					b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				}()
				for b.Loop() {
					req := executor.Request{UserID: alice, Role: systable.RoleUser, SQL: c.sql}
					if c.keyed {
						req.Params = []any{json.Number(strconv.Itoa(r.IntN(10_000) + 1))}
					}
					if _, err := x.Execute(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// loadColdMessages is loadMessages into chat.cold (created like
// chat.messages), then flushed to Parquet: a primary-key lookup there reads
// the cold tier.
func loadColdMessages(b *testing.B, db *database.Database, user string, rows, convs int) {
	b.Helper()
	x := db.Executor
	run(b, x, "root", systable.RoleSystem, strings.Replace(benchSchema[strings.Index(benchSchema, "CREATE TABLE"):], "chat.messages", "chat.cold", 1))
	loadChatRows(b, x, user, "chat.cold", rows, convs, true)
	res, err := x.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: "STORAGE FLUSH TABLE chat.cold"})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if j, err := db.Jobs.Wait(ctx, res[0].Rows[0][0].(string)); err != nil || j.Status != systable.JobCompleted {
		b.Fatalf("flush of chat.cold: %v %+v", err, j)
	}
}

// startServerLogged starts a server over dir that logs like the binary
// (the default [logging] section), into a file in dir.
func startServerLogged(b *testing.B, dir string, mutate ...func(*config.Config)) *server {
	b.Helper()
	log, err := app.NewLogger(config.Default().Logging, filepath.Join(dir, "server.log"))
	if err != nil {
		b.Fatal(err)
	}
	return startServerLog(b, dir, log, append([]func(*config.Config){func(c *config.Config) { c.Logging = config.Default().Logging }}, mutate...)...)
}

const reqPathEnv = "KALAMDB_REQUEST_PATH_CLIENT"

// reqPathSpec is what the client child process sends: N timed requests
// (after a warm-up), each with Body, in which %d is replaced by a random
// key in 1..Keys when Keys > 0.
type reqPathSpec struct {
	Name, URL, Method, Path, Auth, Body string
	Keys, N                             int
}

type reqPathResult struct {
	Requests        int
	Mean, P50, P99  time.Duration
	TookP50, GapP50 time.Duration
	Errors          int
	FirstError      string
}

func runReqPathClient(b *testing.B, spec reqPathSpec) reqPathResult {
	b.Helper()
	raw, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRequestPathClient$", "-test.count=1", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), reqPathEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("client: %v\n%s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			var res reqPathResult
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				b.Fatal(err)
			}
			if res.Errors > 0 {
				b.Fatalf("%d failed requests, first: %s", res.Errors, res.FirstError)
			}
			return res
		}
	}
	b.Fatalf("client printed no result:\n%s", out)
	return reqPathResult{}
}

// TestRequestPathClient is the client half of BenchmarkRequestPath; it runs
// only in the child process the benchmark starts.
func TestRequestPathClient(t *testing.T) {
	raw := os.Getenv(reqPathEnv)
	if raw == "" {
		t.Skip("the client process of BenchmarkRequestPath")
	}
	var spec reqPathSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	// The package's TestMain fails on goroutines left running: the kept
	// connection's reader and writer.
	defer hc.CloseIdleConnections()
	r := rand.New(rand.NewPCG(1, 2))
	var res reqPathResult
	lat := make([]time.Duration, 0, spec.N)
	took := make([]time.Duration, 0, spec.N)
	gap := make([]time.Duration, 0, spec.N)
	var body []byte
	one := func() (time.Duration, time.Duration, bool) {
		body = body[:0]
		if spec.Keys > 0 {
			body = fmt.Appendf(body, spec.Body, r.IntN(spec.Keys)+1)
		} else {
			body = append(body, spec.Body...)
		}
		start := time.Now()
		var rd io.Reader
		if spec.Method != http.MethodGet {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(spec.Method, spec.URL+spec.Path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if rd != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if spec.Auth != "" {
			req.Header.Set("Authorization", spec.Auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		elapsed := time.Since(start)
		res.Requests++
		if err != nil || resp.StatusCode != http.StatusOK {
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = fmt.Sprintf("HTTP %d %s %v", resp.StatusCode, answer, err)
			}
			return 0, 0, false
		}
		return elapsed, tookOf(answer), true
	}
	for range max(spec.N, 200) { // warm-up: connection, caches, pools
		one()
	}
	for range spec.N {
		if l, tk, ok := one(); ok {
			lat = append(lat, l)
			took = append(took, tk)
			gap = append(gap, l-tk)
		}
	}
	if len(lat) > 0 {
		var sum time.Duration
		for _, l := range lat {
			sum += l
		}
		res.Mean = sum / time.Duration(len(lat))
		res.P50, res.P99 = percentile(lat, 50), percentile(lat, 99)
		res.TookP50, res.GapP50 = percentile(took, 50), percentile(gap, 50)
	}
	out, _ := json.Marshal(res)
	fmt.Printf("RESULT %s\n", out)
}

func percentile(d []time.Duration, p int) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)]
}

// tookOf reads the `took` (milliseconds) of an answer, 0 when absent.
func tookOf(answer []byte) time.Duration {
	_, rest, ok := bytes.Cut(answer, []byte(`"took":`))
	if !ok {
		return 0
	}
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0
	}
	ms, err := strconv.ParseFloat(string(rest[:end]), 64)
	if err != nil {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// loginToken signs in and returns the access token.
func loginToken(b *testing.B, s *server, user, password string) string {
	b.Helper()
	r := s.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": user, "password": password})
	if r.httpStatus != http.StatusOK {
		b.Fatalf("login: %s", r)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(r.raw), &tokens); err != nil || tokens.AccessToken == "" {
		b.Fatalf("login answer %s: %v", r.raw, err)
	}
	return tokens.AccessToken
}

// ctxSwitches is this process's voluntary and involuntary context
// switches.
func ctxSwitches() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Nvcsw + ru.Nivcsw
}

// runtimeCounters are the server process's cumulative runtime counters.
type runtimeCounters struct{ goroutines, allocBytes, allocObjects uint64 }

func readRuntimeCounters() runtimeCounters {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines-created:goroutines"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/heap/allocs:objects"},
	}
	metrics.Read(samples)
	return runtimeCounters{samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64()}
}

func (c runtimeCounters) minus(o runtimeCounters) runtimeCounters {
	return runtimeCounters{c.goroutines - o.goroutines, c.allocBytes - o.allocBytes, c.allocObjects - o.allocObjects}
}
