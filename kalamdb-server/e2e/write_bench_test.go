package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
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
func peerServer(b *testing.B) *server {
	dir := b.TempDir()
	preload(b, dir, func(x *executor.Executor) {
		run(b, x, "root", systable.RoleSystem, peerSchema)
		run(b, x, "root", systable.RoleSystem, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
	})
	return startServer(b, dir, func(c *config.Config) { c.Storage.SyncWrites = true })
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
// it, next to the time until the INSERT's own response.
func BenchmarkHTTPChangeLatency(b *testing.B) {
	s := peerServer(b)
	ws := s.loginWS(b, "alice", "pw")
	ws.subscribeAll("peer", "SELECT * FROM pb.messages", nil)
	c := newBenchClient(b, s, "alice")
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
	change := make([]time.Duration, 0, b.N)
	resp := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		token := fmt.Sprintf("change-%d", i)
		start := time.Now()
		c.sql(insert, 1, "user", token)
		resp = append(resp, time.Since(start))
		select {
		case got, ok := <-arrived:
			if !ok || got.content != token {
				b.Fatalf("change %q, want %q (open %v)", got.content, token, ok)
			}
			change = append(change, got.at.Sub(start))
		case <-time.After(wsWait):
			b.Fatal("no change")
		}
	}
	b.StopTimer()
	_ = ws.c.Close(websocket.StatusNormalClosure, "")
	slices.Sort(change)
	slices.Sort(resp)
	b.ReportMetric(float64(change[len(change)/2].Microseconds()), "change-p50-µs")
	b.ReportMetric(float64(resp[len(resp)/2].Microseconds()), "insert-p50-µs")
}
