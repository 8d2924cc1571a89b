package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Benchmarks of the data path over HTTP on loopback, with the real server.
// Each reports the mean (ns/op) and the p50/p99 latency seen by the client.
// Data is loaded in-process through the executor first (so a 100K-user
// table takes seconds, not minutes), then the server is started over the
// same data directory and measured over HTTP.

const benchSchema = `CREATE NAMESPACE chat;
	CREATE TABLE chat.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT NOT NULL,
		sender TEXT NOT NULL, content TEXT, created_at TIMESTAMP DEFAULT NOW(), is_read BOOLEAN DEFAULT FALSE)`

// preload opens the core over dir, runs setup, and closes it again.
func preload(b *testing.B, dir string, setup func(x *executor.Executor)) {
	preloadDB(b, dir, func(db *database.Database) { setup(db.Executor) })
}

// preloadDB is preload with the whole core, started (jobs run).
func preloadDB(b *testing.B, dir string, setup func(db *database.Database)) {
	b.Helper()
	store, err := kv.Open(filepath.Join(dir, "rocksdb"), kv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: filepath.Join(dir, "storage")})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Start(); err != nil {
		b.Fatal(err)
	}
	setup(db)
	db.Close()
	store.Close()
}

func run(b *testing.B, x *executor.Executor, user string, role systable.Role, sqlText string) {
	b.Helper()
	if _, err := x.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: sqlText}); err != nil {
		b.Fatalf("%s: %v", sqlText[:min(len(sqlText), 80)], err)
	}
}

// loadMessages gives the user called user `rows` chat messages across
// `convs` conversations (written by root as that user: user ids are
// generated, not the name).
func loadMessages(b *testing.B, x *executor.Executor, user string, rows, convs int) {
	loadChatRows(b, x, user, "chat.messages", rows, convs, true)
}

// loadGeneratedMessages is loadMessages into table with generated keys:
// the statements name no id.
func loadGeneratedMessages(b *testing.B, x *executor.Executor, user, table string, rows, convs int) {
	loadChatRows(b, x, user, table, rows, convs, false)
}

// loadChatRows inserts rows messages as user into table, 500 a statement,
// with ids 1..rows (withIDs) or generated ones.
func loadChatRows(b *testing.B, x *executor.Executor, user, table string, rows, convs int, withIDs bool) {
	var sb strings.Builder
	for i := 0; i < rows; {
		sb.Reset()
		if withIDs {
			sb.WriteString("INSERT INTO " + table + " (id, conversation_id, sender, content) VALUES ")
		} else {
			sb.WriteString("INSERT INTO " + table + " (conversation_id, sender, content) VALUES ")
		}
		for j := 0; j < 500 && i < rows; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteString(", ")
			}
			if withIDs {
				fmt.Fprintf(&sb, "(%d, ", i+1)
			} else {
				sb.WriteString("(")
			}
			fmt.Fprintf(&sb, "%d, '%s', 'message number %d with some typical chat text in it, about a hundred bytes long ok')", i%convs, user, i)
		}
		run(b, x, "root", systable.RoleSystem, "EXECUTE AS USER '"+user+"' ("+sb.String()+")")
	}
}

type benchClient struct {
	t    testing.TB
	url  string
	user string
	hc   *http.Client
}

func newBenchClient(b *testing.B, s *server, user string) *benchClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(tr.CloseIdleConnections)
	return &benchClient{t: b, url: s.base + "/v1/api/sql", user: user, hc: &http.Client{Transport: tr}}
}

func (c *benchClient) sql(sqlText string, params ...any) {
	body, _ := json.Marshal(map[string]any{"sql": sqlText, "params": params})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, "pw")
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("%s: HTTP %d %s", sqlText, resp.StatusCode, raw)
	}
}

// measure runs op b.N times and reports client-side latency percentiles.
func measure(b *testing.B, op func(i int)) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		op(i)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// benchServer loads data, starts the server over it and creates the users
// the benchmark signs in as.
func benchServer(b *testing.B, users []string, setup func(x *executor.Executor)) *server {
	dir := b.TempDir()
	preload(b, dir, func(x *executor.Executor) {
		run(b, x, "root", systable.RoleSystem, benchSchema)
		for _, u := range users {
			run(b, x, "root", systable.RoleSystem, fmt.Sprintf("CREATE USER '%s' WITH PASSWORD 'pw' ROLE user", u))
		}
		if setup != nil {
			setup(x)
		}
	})
	return startBenchServer(b, dir)
}

func BenchmarkHTTPInsertSingle(b *testing.B) {
	s := benchServer(b, []string{"alice"}, nil)
	c := newBenchClient(b, s, "alice")
	measure(b, func(i int) {
		c.sql("INSERT INTO chat.messages (conversation_id, sender, content) VALUES ($1, 'alice', $2)", i%10, "hello there, this is a chat message")
	})
}

func BenchmarkHTTPInsert50(b *testing.B) {
	s := benchServer(b, []string{"alice"}, nil)
	c := newBenchClient(b, s, "alice")
	var sb strings.Builder
	sb.WriteString("INSERT INTO chat.messages (conversation_id, sender, content) VALUES ")
	for j := 0; j < 50; j++ {
		if j > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, 'alice', 'message %d of a batch of fifty')", j%10, j)
	}
	stmt := sb.String()
	measure(b, func(int) { c.sql(stmt) })
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(50*b.N), "ns/row")
}

func BenchmarkHTTPPKLookup10K(b *testing.B) {
	s := benchServer(b, []string{"alice"}, func(x *executor.Executor) { loadMessages(b, x, "alice", 10_000, 10) })
	c := newBenchClient(b, s, "alice")
	r := rand.New(rand.NewPCG(1, 2))
	measure(b, func(int) { c.sql("SELECT * FROM chat.messages WHERE id = $1", r.IntN(10_000)+1) })
}

func BenchmarkHTTPNewest50Of10K(b *testing.B) {
	s := benchServer(b, []string{"alice"}, func(x *executor.Executor) { loadMessages(b, x, "alice", 10_000, 10) })
	c := newBenchClient(b, s, "alice")
	measure(b, func(i int) {
		c.sql("SELECT id, sender, content, created_at FROM chat.messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50", i%10)
	})
}

func BenchmarkHTTPGroupBy10K(b *testing.B) {
	s := benchServer(b, []string{"alice"}, func(x *executor.Executor) { loadMessages(b, x, "alice", 10_000, 10) })
	c := newBenchClient(b, s, "alice")
	measure(b, func(int) {
		c.sql("SELECT conversation_id, count(*), max(id) FROM chat.messages GROUP BY conversation_id")
	})
}

// BenchmarkHTTPPKLookupUsers shows that a lookup costs the same whatever
// the number of users with rows in the table.
func BenchmarkHTTPPKLookupUsers(b *testing.B) {
	for _, n := range []int{10, 1_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s := benchServer(b, []string{"alice"}, func(x *executor.Executor) {
				loadMessages(b, x, "alice", 1_000, 10)
				for u := 0; u < n; u++ {
					user := fmt.Sprintf("user%06d", u)
					run(b, x, user, systable.RoleUser, "INSERT INTO chat.messages (id, conversation_id, sender, content) VALUES (1, 1, 'x', 'y'), (2, 1, 'x', 'y')")
				}
			})
			c := newBenchClient(b, s, "alice")
			r := rand.New(rand.NewPCG(3, 4))
			measure(b, func(int) { c.sql("SELECT * FROM chat.messages WHERE id = $1", r.IntN(1_000)+1) })
		})
	}
}
