package executor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The chat workload in-process, hot and cold: one user's 10,000 messages
// over 20 conversations, with text of 40-400 characters, read with the
// statements a chat app sends (all with $n parameters). These explain the
// side-by-side numbers in docs/performance.md without HTTP.

const (
	chatRows  = 10_000
	chatConvs = 20
)

const (
	chatPoint     = "SELECT id, conversation_id, role, content, created_at FROM bench.messages WHERE id = $1"
	chatNewest    = "SELECT id, conversation_id, role, content, created_at FROM bench.messages ORDER BY id DESC LIMIT 50"
	chatRecent    = "SELECT id, conversation_id, role, content, created_at FROM bench.messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50"
	chatAggregate = "SELECT conversation_id, COUNT(*), AVG(LENGTH(content)) FROM bench.messages GROUP BY conversation_id ORDER BY conversation_id"
	chatInsert    = "INSERT INTO bench.writes (conversation_id, role, content) VALUES ($1, $2, $3)"
	// chatPointPlanned is chatPoint in a form the fast path does not take
	// (LIMIT): the same storage work, planned by the engine.
	chatPointPlanned = chatPoint + " LIMIT 1"
)

// openChatDB loads the chat rows for alice; cold flushes them all to
// Parquet first.
func openChatDB(b *testing.B, cold bool) *benchDB {
	return openChatDBWith(b, cold, database.Config{})
}

func openChatDBWith(b *testing.B, cold bool, cfg database.Config) *benchDB {
	return loadChatDB(b, chatLoad{cold: cold}, cfg)
}

// chatLoad says how loadChatDB loads the chat rows.
type chatLoad struct {
	// cold flushes the rows to Parquet.
	cold bool
	// indexed creates the secondary index on (conversation_id, id).
	indexed bool
	// snowflake leaves the ids to the column's DEFAULT SNOWFLAKE_ID(), as
	// the side-by-side benchmark does (otherwise they are 1..chatRows).
	// The ids of one statement's rows are then consecutive and the
	// statements' ids far apart, so a conversation's ids come in clusters.
	snowflake bool
	// sstFiles > 0 writes the rows (and other users' rows, chatOthers)
	// in that many parts, each flushed from RocksDB's memtables to an
	// SST file after it is loaded, so reads go through L0 table files
	// rather than the memtable, as in a server that has run a while.
	sstFiles int
}

// chatOthers are the users whose rows share alice's table and its SST
// files when chatLoad.sstFiles is set, 1,000 rows each.
var chatOthers = []string{"bob", "carol", "dave"}

// loadChatDB opens a database with the chat rows; l.indexed adds the
// side-by-side benchmark's secondary index on bench.messages
// (conversation_id, id), created on the empty table before the rows are
// loaded, as the benchmark does.
func loadChatDB(b *testing.B, l chatLoad, cfg database.Config) *benchDB {
	b.Helper()
	d := openBenchDBWith(b, cfg)
	d.exec("root", systable.RoleSystem, `CREATE NAMESPACE bench;
		CREATE TABLE bench.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT, role TEXT,
			content TEXT, created_at TIMESTAMP DEFAULT NOW());
		CREATE TABLE bench.writes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT, role TEXT,
			content TEXT, created_at TIMESTAMP DEFAULT NOW())`)
	if l.indexed {
		res := d.exec("root", systable.RoleSystem, "CREATE INDEX messages_conv_id ON bench.messages (conversation_id, id)")
		if job, _ := res[0].Rows[0][4].(string); job != "" {
			d.waitJob(job) // the statements must find the index ready
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	parts := max(l.sstFiles, 1)
	for p := range parts {
		for k, u := range chatOthers[:min(len(chatOthers), l.sstFiles*len(chatOthers))] {
			n := 1000 / parts
			d.loadChatRows(u, l, rng, chatRows+1+k*1000+p*n, n)
		}
		n := chatRows / parts
		d.loadChatRows("alice", l, rng, 1+p*n, n)
		if l.sstFiles > 0 {
			if err := d.kv.FlushMemtables(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if l.cold {
		res := d.exec("root", systable.RoleSystem, "STORAGE FLUSH TABLE bench.messages")
		d.waitJob(res[0].Rows[0][0].(string))
	}
	return d
}

// loadChatRows inserts n chat rows for user, with ids from (unless
// l.snowflake), in statements of 500 rows.
func (d *benchDB) loadChatRows(user string, l chatLoad, rng *rand.Rand, from, n int) {
	var sb strings.Builder
	for i := from; i < from+n; {
		sb.Reset()
		if l.snowflake {
			sb.WriteString("INSERT INTO bench.messages (conversation_id, role, content) VALUES ")
		} else {
			sb.WriteString("INSERT INTO bench.messages (id, conversation_id, role, content) VALUES ")
		}
		for j := 0; j < 500 && i < from+n; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteString(", ")
			}
			role := "user"
			if i%2 == 0 {
				role = "assistant"
			}
			sb.WriteString("(")
			if !l.snowflake {
				fmt.Fprintf(&sb, "%d, ", i)
			}
			fmt.Fprintf(&sb, "%d, '%s', '%s')", rng.IntN(chatConvs)+1, role, chatText(rng))
		}
		d.exec(user, systable.RoleUser, sb.String())
	}
}

func chatText(rng *rand.Rand) string {
	const words = "the quick brown fox jumps over a lazy dog while we talk about plans for dinner tonight "
	n := 40 + rng.IntN(361)
	var sb strings.Builder
	for sb.Len() < n {
		k := rng.IntN(len(words))
		sb.WriteString(words[k:min(len(words), k+1+rng.IntN(12))])
	}
	return sb.String()[:n]
}

func (d *benchDB) waitJob(id string) {
	d.b.Helper()
	j, err := d.db.Jobs.Wait(context.Background(), id)
	if err != nil || j.Status != systable.JobCompleted {
		d.b.Fatalf("job %s: %v %+v", id, err, j)
	}
}

func (d *benchDB) query(user string, sqlText string, params ...any) []executor.Result {
	res, err := d.db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: systable.RoleUser,
		SQL: sqlText, Params: params})
	if err != nil {
		d.b.Fatalf("%.80s: %v", sqlText, err)
	}
	return res
}

// BenchmarkChatReads: point lookup, the newest 50 messages, the newest 50
// of one conversation, and the per-conversation aggregate, over the rows
// all hot and all cold, with the secondary index on (conversation_id, id)
// the side-by-side benchmark creates (recent50 is its recent_messages).
// The -norowcache tiers run without the engine's row cache: what a read
// of rows no read fetched before costs.
func BenchmarkChatReads(b *testing.B) {
	for _, tier := range []string{"hot", "cold", "hot-norowcache", "cold-norowcache"} {
		b.Run(tier, func(b *testing.B) {
			var cfg database.Config
			if strings.HasSuffix(tier, "-norowcache") {
				cfg.RowCacheBytes = -1
			}
			d := loadChatDB(b, chatLoad{cold: strings.HasPrefix(tier, "cold"), indexed: true}, cfg)
			cases := []struct {
				name   string
				sql    string
				params func(i int) []any
				rows   int
			}{
				{"point", chatPoint, func(i int) []any { return []any{json.Number(fmt.Sprint(i*7919%chatRows + 1))} }, 1},
				{"newest50", chatNewest, func(int) []any { return nil }, 50},
				{"recent50", chatRecent, func(i int) []any { return []any{json.Number(fmt.Sprint(i%chatConvs + 1))} }, 50},
				{"groupby", chatAggregate, func(int) []any { return nil }, chatConvs},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					b.ReportAllocs()
					cpu0 := cpuTime()
					for i := 0; i < b.N; i++ {
						res := d.query("alice", c.sql, c.params(i)...)
						if len(res[0].Rows) != c.rows {
							b.Fatalf("%s: %d rows, want %d", c.name, len(res[0].Rows), c.rows)
						}
					}
					// The process's CPU per statement (GC included), which
					// holds on a shared machine where ns/op does not.
					b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				})
			}
		})
	}
}

// BenchmarkChatRecent is recent50 of BenchmarkChatReads (the hot tier)
// with the ids given (1..10,000) and with the ids the side-by-side
// benchmark has, SNOWFLAKE_ID()'s: the index read's cost depends on how
// the ids of a conversation are spread. The sst= variants have the rows,
// with three other users' rows, flushed from RocksDB's memtables to one
// or three L0 files (a part of the rows each), where a server that has
// run a while reads them from.
func BenchmarkChatRecent(b *testing.B) {
	for _, v := range []struct {
		name     string
		sstFiles int
	}{{"ids=given", 0}, {"ids=snowflake", 0}, {"ids=snowflake,sst=1", 1}, {"ids=snowflake,sst=3", 3}} {
		b.Run(v.name, func(b *testing.B) {
			d := loadChatDB(b, chatLoad{indexed: true, snowflake: strings.HasPrefix(v.name, "ids=snowflake"), sstFiles: v.sstFiles}, database.Config{})
			// Every conversation read once, so that the row cache holds
			// the rows read, as in a server that answered this before.
			for c := range chatConvs {
				d.query("alice", chatRecent, json.Number(fmt.Sprint(c+1)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				res := d.query("alice", chatRecent, json.Number(fmt.Sprint(i%chatConvs+1)))
				if len(res[0].Rows) != 50 {
					b.Fatalf("%d rows, want 50", len(res[0].Rows))
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkPlanCache: what the plan cache saves, per statement shape: a
// primary-key lookup and an INSERT on the fast path, the same lookup
// planned by the engine, and SELECT 1, each with the cache on and off.
func BenchmarkPlanCache(b *testing.B) {
	cases := []struct {
		name, sql string
		params    func(i int) []any
	}{
		{"point", chatPoint, func(i int) []any { return []any{json.Number(fmt.Sprint(i*7919%chatRows + 1))} }},
		{"point_planned", chatPointPlanned, func(i int) []any { return []any{json.Number(fmt.Sprint(i*7919%chatRows + 1))} }},
		{"insert", chatInsert, func(i int) []any { return []any{json.Number(fmt.Sprint(i%chatConvs + 1)), "user", "a new message"} }},
		{"select1", "SELECT 1", func(int) []any { return nil }},
	}
	for _, cache := range []string{"on", "off"} {
		b.Run("cache_"+cache, func(b *testing.B) {
			var cfg database.Config
			if cache == "off" {
				cfg.PlanCache = engine.PlanCacheOptions{Entries: -1}
			}
			d := openChatDBWith(b, false, cfg)
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					b.ReportAllocs()
					for i := 0; i < b.N; i++ {
						d.query("alice", c.sql, c.params(i)...)
					}
				})
			}
		})
	}
}

// BenchmarkChatInsert: INSERTs as peerbench's single_insert and
// bulk_insert_50 send them: a USER table with an auto id and a secondary
// index on (conversation_id, id), one row or 50 rows of $n parameters per
// statement, content of 40-400 characters. sync=true fsyncs the WAL on
// every commit, as the server's sync_writes does: the difference between
// the two is the disk, the rest is CPU.
func BenchmarkChatInsert(b *testing.B) {
	for _, rows := range []int{1, 50} {
		for _, sync := range []bool{false, true} {
			b.Run(fmt.Sprintf("rows=%d/sync=%v", rows, sync), func(b *testing.B) {
				d := openBenchDBWithStore(b, database.Config{}, kv.Options{Sync: sync})
				d.exec("root", systable.RoleSystem, `CREATE NAMESPACE bench;
					CREATE USER TABLE bench.writes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT,
						role TEXT, content TEXT, created_at TIMESTAMP DEFAULT NOW());
					CREATE INDEX writes_conv_id ON bench.writes (conversation_id, id)`)
				sqlText := chatInsertMany(rows)
				rng := rand.New(rand.NewPCG(3, 4))
				texts := make([]string, 64)
				for i := range texts {
					texts[i] = chatText(rng)
				}
				params := make([]any, 3*rows)
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					for j := 0; j < rows; j++ {
						k := i*rows + j
						params[3*j], params[3*j+1], params[3*j+2] = json.Number(fmt.Sprint(k%chatConvs+1)), chatRole(k), texts[k%len(texts)]
					}
					res := d.query("alice", sqlText, params...)
					if res[0].RowCount != int64(rows) {
						b.Fatalf("%+v", res[0])
					}
				}
				// CPU time, unlike ns/op, holds on a busy machine (the
				// process's whole CPU: RocksDB's threads included).
				b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*b.N), "ns/row")
			})
		}
	}
}

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// chatInsertMany is peerbench's INSERT of n rows: ($1, $2, $3), ($4, ...
func chatInsertMany(n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO bench.writes (conversation_id, role, content) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
	}
	return sb.String()
}

func chatRole(i int) string {
	if i%2 == 0 {
		return "user"
	}
	return "assistant"
}
