package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The write side of the side-by-side run with PostgreSQL (docs/performance.md),
// over HTTP and WebSocket with the real server: the table, index, statements
// and parameters of single_insert, bulk_insert_50 and change_latency, with
// the WAL fsync'd on every commit (sync_writes), as in that run.

const peerSchema = `CREATE NAMESPACE pb;
	CREATE USER TABLE pb.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT, role TEXT,
		content TEXT, created_at TIMESTAMP DEFAULT NOW());
	CREATE INDEX messages_conv_id ON pb.messages (conversation_id, id)`

// peerServer starts a server with sync_writes over the peer table and the
// user alice.
func peerServer(b *testing.B) *server { return peerServerSync(b, true) }

// peerServerSync is peerServer with sync_writes as given: false is the
// server's default (the WAL written, not fsync'd, before the answer).
func peerServerSync(b *testing.B, sync bool) *server {
	dir := b.TempDir()
	preload(b, dir, func(x *executor.Executor) {
		run(b, x, "root", systable.RoleSystem, peerSchema)
		run(b, x, "root", systable.RoleSystem, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
	})
	return startServer(b, dir, func(c *config.Config) { c.Storage.SyncWrites = sync })
}

// peerInsert is the INSERT of n rows and its 3n parameters, as the
// benchmark client sends them.
func peerInsert(n int, r *rand.Rand, content func(j int) string) (string, []any) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO pb.messages (conversation_id, role, content) VALUES ")
	params := make([]any, 0, 3*n)
	for j := 0; j < n; j++ {
		if j > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "($%d, $%d, $%d)", 3*j+1, 3*j+2, 3*j+3)
		role := "user"
		if j%2 == 1 {
			role = "assistant"
		}
		params = append(params, r.IntN(20)+1, role, content(j))
	}
	return sb.String(), params
}

func peerContent(r *rand.Rand) string {
	const words = "the quick brown fox jumps over a lazy dog while we talk about plans for dinner tonight "
	n := 40 + r.IntN(361)
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(words[r.IntN(40):][:10+r.IntN(30)])
	}
	return sb.String()[:n]
}

// BenchmarkHTTPPeerInsert: single_insert (rows=1) and bulk_insert_50
// (rows=50), with the server's CPU per statement.
func BenchmarkHTTPPeerInsert(b *testing.B) {
	for _, rows := range []int{1, 50} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			s := peerServer(b)
			c := newBenchClient(b, s, "alice")
			r := rand.New(rand.NewPCG(5, 6))
			texts := make([]string, 64)
			for i := range texts {
				texts[i] = peerContent(r)
			}
			sqlText, _ := peerInsert(rows, r, func(int) string { return "" })
			cpu0 := cpuTime()
			measure(b, func(i int) {
				_, params := peerInsert(rows, r, func(j int) string { return texts[(i*rows+j)%len(texts)] })
				c.sql(sqlText, params...)
			})
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkHTTPChangeLatency: change_latency, the time from sending an
// INSERT of one row until a WebSocket subscriber to the user's rows has
// it, next to the time until the INSERT's own response; with the WAL
// fsync'd on every commit as in the side-by-side run, and without, the
// server's default. The client runs in this process (client=inproc), or
// as the side-by-side run's does, in a process of its own (client=process:
// this test binary running TestChangeLatencyClient), whose scheduling then
// does not mix with the server's.
func BenchmarkHTTPChangeLatency(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, client := range []string{"inproc", "process"} {
			b.Run(fmt.Sprintf("sync_writes=%v/client=%s", sync, client), func(b *testing.B) {
				s := peerServerSync(b, sync)
				var res changeLatencyResult
				if client == "process" {
					res = runChangeLatencyClient(b, s.base, b.N)
				} else {
					b.ResetTimer()
					res = changeLatencyLoop(b, s.base, b.N)
					b.StopTimer()
				}
				b.ReportMetric(float64(res.ChangeP50.Microseconds()), "change-p50-µs")
				b.ReportMetric(float64(res.InsertP50.Microseconds()), "insert-p50-µs")
				b.ReportMetric(float64(res.LeadP50.Microseconds()), "lead-p50-µs")
			})
		}
	}
}

// changeLatencyResult is what changeLatencyLoop measured: the medians of
// the time to the change frame, to the INSERT's response, and of how long
// the frame came before the response (negative: after).
type changeLatencyResult struct {
	ChangeP50, InsertP50, LeadP50 time.Duration
}

const changeLatencyEnv = "KALAMDB_CHANGE_LATENCY_CLIENT"

// changeLatencyLoop signs in as alice over WebSocket and HTTP at base,
// subscribes to her rows and times n INSERTs.
func changeLatencyLoop(t testing.TB, base string, n int) changeLatencyResult {
	ws := (&server{base: base}).dialWS(t)
	ws.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "pw"})
	if m := ws.recv(); m.Type != "auth_success" {
		t.Fatalf("authenticate: %s", m.raw)
	}
	ws.subscribeAll("peer", "SELECT * FROM pb.messages", nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	c := &benchClient{t: t, url: base + "/v1/api/sql", user: "alice", hc: &http.Client{Transport: tr}}
	type arrival struct {
		content string
		at      time.Time
	}
	arrived := make(chan arrival, 16)
	go func() {
		defer close(arrived)
		for {
			_, raw, err := ws.c.Read(context.Background())
			if err != nil {
				return
			}
			at := time.Now() // stamped on arrival, before decoding
			var m struct {
				Type string           `json:"type"`
				Rows []map[string]any `json:"rows"`
			}
			if json.Unmarshal(raw, &m) == nil && m.Type == "change" && len(m.Rows) == 1 {
				content, _ := m.Rows[0]["content"].(string)
				arrived <- arrival{content, at}
			}
		}
	}()
	const insert = "INSERT INTO pb.messages (conversation_id, role, content) VALUES ($1, $2, $3)"
	change := make([]time.Duration, 0, n)
	resp := make([]time.Duration, 0, n)
	lead := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		token := fmt.Sprintf("change-%d", i)
		start := time.Now()
		c.sql(insert, 1, "user", token)
		answered := time.Since(start)
		select {
		case got, ok := <-arrived:
			if !ok || got.content != token {
				t.Fatalf("change %q, want %q (open %v)", got.content, token, ok)
			}
			change = append(change, got.at.Sub(start))
			resp = append(resp, answered)
			lead = append(lead, answered-got.at.Sub(start))
		case <-time.After(wsWait):
			t.Fatal("no change")
		}
	}
	_ = ws.c.Close(websocket.StatusNormalClosure, "")
	for range arrived {
	}
	return changeLatencyResult{ChangeP50: percentile(change, 50), InsertP50: percentile(resp, 50), LeadP50: percentile(lead, 50)}
}

func runChangeLatencyClient(b *testing.B, base string, n int) changeLatencyResult {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChangeLatencyClient$", "-test.count=1", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), changeLatencyEnv+"="+base+" "+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("client: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
			var res changeLatencyResult
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				b.Fatal(err)
			}
			return res
		}
	}
	b.Fatalf("client printed no result:\n%s", out)
	return changeLatencyResult{}
}

// TestChangeLatencyClient is the client half of BenchmarkHTTPChangeLatency
// with client=process; it runs only in the child process the benchmark
// starts.
func TestChangeLatencyClient(t *testing.T) {
	base, count, ok := strings.Cut(os.Getenv(changeLatencyEnv), " ")
	if !ok {
		t.Skip("the client process of BenchmarkHTTPChangeLatency")
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		t.Fatal(err)
	}
	changeLatencyLoop(t, base, min(n, 200)) // warm-up: connections, caches, pools
	out, _ := json.Marshal(changeLatencyLoop(t, base, n))
	fmt.Printf("RESULT %s\n", out)
}
