package executor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// BenchmarkRecentMessages is the newest 50 messages of one of 20
// conversations in a 10,000-row partition (content 40 to 400 bytes),
// through the executor (no HTTP): without an index (a scan of the
// partition) and with (conversation_id, id), hot and after a flush. It is
// the core's part of the HTTP benchmark of the same name in
// kalamdb-server/e2e.
func BenchmarkRecentMessages(b *testing.B) {
	const q = "SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50"
	for _, tier := range []string{"hot", "cold"} {
		for _, how := range []string{"scan", "index"} {
			b.Run(tier+"/"+how, func(b *testing.B) {
				d := openBenchDB(b)
				seedBenchMessages(d, false)
				if how == "index" {
					createBenchIndex(d, "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)")
				}
				if tier == "cold" {
					d.flush()
				}
				req := executor.Request{UserID: "alice", Role: systable.RoleUser, SQL: q}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					req.Params = []any{i % 20}
					res, err := d.db.Executor.Execute(context.Background(), req)
					if err != nil || len(res[0].Rows) != 50 {
						b.Fatalf("%v %d rows", err, len(res[0].Rows))
					}
				}
			})
		}
	}
}

// seedBenchMessages writes the benchmarks' 10,000 messages of alice in
// 20 conversations, content 40 to 400 bytes; stamped gives them
// created_at four to a second (duplicates) instead of the time written.
func seedBenchMessages(d *benchDB, stamped bool) { seedBenchMessagesIn(d, 10_000, 20, stamped) }

// seedBenchMessagesIn writes n messages of alice in conversations 0 to
// convs-1, as seedBenchMessages.
func seedBenchMessagesIn(d *benchDB, n, convs int, stamped bool) {
	r := rand.New(rand.NewPCG(7, 7))
	var sb strings.Builder
	for i := 1; i <= n; {
		sb.Reset()
		sb.WriteString("INSERT INTO chat.messages (id, conversation_id, sender, content, created_at) VALUES ")
		for j := 0; j < 500 && i <= n; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteString(", ")
			}
			created := "NOW()"
			if stamped {
				created = fmt.Sprintf("TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d seconds'", i/4)
			}
			fmt.Fprintf(&sb, "(%d, %d, 'alice', '%s', %s)", i, r.IntN(convs), strings.Repeat("x", 40+r.IntN(361)), created)
		}
		d.exec("alice", systable.RoleUser, sb.String())
	}
}

// createBenchIndex creates an index and waits for its build.
func createBenchIndex(d *benchDB, stmt string) {
	res := d.exec("root", systable.RoleSystem, stmt)
	if job, _ := res[0].Rows[0][4].(string); job != "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := d.db.Jobs.Wait(ctx, job)
		cancel()
		if err != nil {
			d.b.Fatal(err)
		}
	}
}

// BenchmarkKeysetPage is a keyset page, the 50 messages of one of 20
// conversations before a cursor in its middle (WHERE conversation_id = $1
// AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT
// 50), in the 10,000-row partition of BenchmarkRecentMessages with
// created_at four to a second, through indexes on (conversation_id, id)
// and (conversation_id, created_at), hot and after a flush. Before
// preferOrderIndex the engine read the first (it has fewer columns) and
// sorted the conversation; now it reads 50 entries of the second.
func BenchmarkKeysetPage(b *testing.B) {
	const q = "SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE conversation_id = $1 AND " +
		"(created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT 50"
	for _, tier := range []string{"hot", "cold"} {
		b.Run(tier, func(b *testing.B) {
			d := openBenchDB(b)
			seedBenchMessages(d, true)
			createBenchIndex(d, "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)")
			createBenchIndex(d, "CREATE INDEX messages_conv_time ON chat.messages (conversation_id, created_at)")
			if tier == "cold" {
				d.flush()
			}
			// Rows 5,000 to 5,003 share the cursor's second.
			req := executor.Request{UserID: "alice", Role: systable.RoleUser, SQL: q}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req.Params = []any{i % 20, "2024-01-01 00:20:50", 5002}
				res, err := d.db.Executor.Execute(context.Background(), req)
				if err != nil || len(res[0].Rows) != 50 {
					b.Fatalf("%v %d rows", err, len(res[0].Rows))
				}
			}
		})
	}
}

// BenchmarkInsertIndexed is a single-row INSERT (with a parameter) into
// the chat table with no, one and two secondary indexes: what each index
// adds to a write.
func BenchmarkInsertIndexed(b *testing.B) {
	for _, n := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("indexes=%d", n), func(b *testing.B) {
			d := openBenchDB(b)
			for i, cols := range []string{"conversation_id, id", "sender"}[:n] {
				d.exec("root", systable.RoleSystem, fmt.Sprintf("CREATE INDEX ix%d ON chat.messages (%s)", i, cols))
			}
			req := executor.Request{UserID: "alice", Role: systable.RoleUser,
				SQL: "INSERT INTO chat.messages (id, conversation_id, sender, content) VALUES ($1, $2, 'alice', 'hello there, a chat message')"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req.Params = []any{i + 1, i % 20}
				if _, err := d.db.Executor.Execute(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRareTopN is conversation_id = 0 AND created_at > $1 ORDER BY
// id DESC LIMIT 50 over one conversation of 20,000 messages (created_at
// four to a second, content 40 to 400 bytes), with indexes on
// (conversation_id, id) and (conversation_id, created_at). rare: 5 rows
// after $1, read through the first index without a fallback (its budget
// larger than the conversation: every entry read backwards for 5 rows)
// and with the default budget (1,024 entries, then the 5 of the second
// index). common: most rows after $1, the fallback armed and not needed
// (50 entries).
func BenchmarkRareTopN(b *testing.B) {
	const q = "SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE conversation_id = 0 AND " +
		"created_at > $1 ORDER BY id DESC LIMIT 50"
	for _, how := range []struct {
		name, after  string
		budget, rows int
	}{
		// Rows 19,996 to 20,000 are at second 4,999 (01:23:19) or later.
		{"rare/order-index-only", "2024-01-01 01:23:18", 1 << 30, 5},
		{"rare/fallback", "2024-01-01 01:23:18", 0, 5},
		{"common/fallback", "2024-01-01 00:00:10", 0, 50},
	} {
		b.Run(how.name, func(b *testing.B) {
			d := openBenchDBWith(b, database.Config{StatementLimits: engine.Limits{OrderIndexBudget: how.budget}})
			seedBenchMessagesIn(d, 20_000, 1, true)
			createBenchIndex(d, "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)")
			createBenchIndex(d, "CREATE INDEX messages_conv_time ON chat.messages (conversation_id, created_at)")
			req := executor.Request{UserID: "alice", Role: systable.RoleUser, SQL: q, Params: []any{how.after}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := d.db.Executor.Execute(context.Background(), req)
				if err != nil || len(res[0].Rows) != how.rows {
					b.Fatalf("%v %d rows", err, len(res[0].Rows))
				}
			}
		})
	}
}

// BenchmarkRareRange is the WHERE of BenchmarkRareTopN without its ORDER
// BY ... LIMIT, over the same conversation of 20,000 messages and the
// same two indexes: 5 rows after $1 (gt), 8 rows in a BETWEEN (between),
// 8 rows of an IN list (in). Each reads the range of (conversation_id,
// created_at); before preferMostBound each read the whole conversation
// through (conversation_id, id), which has fewer columns. same-plan is
// id > $1, which reads (conversation_id, id) either way. It reports the
// rows fetched through indexes per statement.
func BenchmarkRareRange(b *testing.B) {
	const cols = "SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE conversation_id = 0 AND "
	for _, how := range []struct {
		name, where string
		params      []any
		rows        int
	}{
		// Rows 19,996 to 20,000 are at second 4,999 (01:23:19) or later.
		{"gt", "created_at > $1", []any{"2024-01-01 01:23:18"}, 5},
		{"between", "created_at BETWEEN $1 AND $2", []any{"2024-01-01 00:40:00", "2024-01-01 00:40:01"}, 8},
		{"in", "created_at IN ($1, $2)", []any{"2024-01-01 00:40:00", "2024-01-01 00:50:00"}, 8},
		// (conversation_id, id) binds most, and the engine read it
		// before too: what preferMostBound's trial of the planner costs.
		{"same-plan", "id > $1", []any{19_995}, 5},
	} {
		b.Run(how.name, func(b *testing.B) {
			d := openBenchDB(b)
			seedBenchMessagesIn(d, 20_000, 1, true)
			createBenchIndex(d, "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)")
			createBenchIndex(d, "CREATE INDEX messages_conv_time ON chat.messages (conversation_id, created_at)")
			req := executor.Request{UserID: "alice", Role: systable.RoleUser, SQL: cols + how.where, Params: how.params}
			fetched := d.db.Engine.IndexRowsFetched()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := d.db.Executor.Execute(context.Background(), req)
				if err != nil || len(res[0].Rows) != how.rows {
					b.Fatalf("%v %d rows", err, len(res[0].Rows))
				}
			}
			b.ReportMetric(float64(d.db.Engine.IndexRowsFetched()-fetched)/float64(b.N), "fetched/op")
		})
	}
}

// BenchmarkJoinLookup joins a conversation to its messages in a 20,000-row
// partition of 200 conversations (about 100 messages each), with an index
// on (conversation_id, id): conv is a conversation, by its primary key
// (c.id = $1), with its messages: before preferJoinLookup it read the
// whole partition, and the conversation again for each of its rows; now
// the conversation is read first and its messages looked up through the
// index. same-plan is a self-join the engine already read so (the newest
// of a conversation's messages, conversation_id = $1 AND id > 18000,
// about 10, each with the messages of its conversation): what the rule's
// trial of the plan costs. It reports the rows
// fetched through indexes and the hot rows scanned per statement. tied
// binds both sides (the 10 conversations of an owner, by an index on
// owner, and the newest 2,000 messages, by their primary key): the engine
// read the conversations again for each message (a nested loop), and
// reads each side once since hashReadOnce (joinhash.go). left-const and
// left-range are LEFT JOINs of the same conversations to the messages of
// one conversation (looked up by that constant) or the newest 2,000 (a
// condition the engine keeps in the join, over the whole partition): read
// again for each conversation, once since the seventeenth session.
func BenchmarkJoinLookup(b *testing.B) {
	for _, how := range []struct {
		name, q string
		param   func(i int) int64
	}{
		{"conv", "SELECT c.title, m.id, m.content FROM chat.conversations c JOIN chat.messages m ON m.conversation_id = c.id WHERE c.id = $1", nil},
		{"same-plan", "SELECT m.id, o.id FROM chat.messages m JOIN chat.messages o ON o.conversation_id = m.conversation_id WHERE m.conversation_id = $1 AND m.id > 18000", nil},
		{"tied", "SELECT c.title, m.id FROM chat.conversations c JOIN chat.messages m ON m.conversation_id = c.id WHERE c.owner = $1 AND m.id > 18000",
			func(i int) int64 { return int64(i % 20) }},
		{"left-const", "SELECT c.id, m.id FROM chat.conversations c LEFT JOIN chat.messages m ON m.sender = c.title AND m.conversation_id = 7 WHERE c.owner = $1",
			func(i int) int64 { return int64(i % 20) }},
		{"left-range", "SELECT c.id, m.id FROM chat.conversations c LEFT JOIN chat.messages m ON m.sender = c.title AND m.id > 18000 WHERE c.owner = $1",
			func(i int) int64 { return int64(i % 20) }},
	} {
		b.Run(how.name, func(b *testing.B) {
			d := openBenchDB(b)
			d.exec("root", systable.RoleSystem, "CREATE SHARED TABLE chat.conversations (id BIGINT PRIMARY KEY, title TEXT, owner BIGINT) WITH (ACCESS_LEVEL = 'PUBLIC')")
			var convs []string
			for c := 0; c < 200; c++ {
				convs = append(convs, fmt.Sprintf("(%d, 'conversation %d', %d)", c, c, c%20))
			}
			d.exec("root", systable.RoleSystem, "INSERT INTO chat.conversations VALUES "+strings.Join(convs, ", "))
			seedBenchMessagesIn(d, 20_000, 200, false)
			createBenchIndex(d, "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)")
			createBenchIndex(d, "CREATE INDEX conversations_owner ON chat.conversations (owner)")
			req := executor.Request{UserID: "alice", Role: systable.RoleUser, SQL: how.q}
			fetched, hot := d.db.Engine.IndexRowsFetched(), d.db.Engine.HotRowsRead()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req.Params = []any{int64(1 + i%199)}
				if how.param != nil {
					req.Params = []any{how.param(i)}
				}
				res, err := d.db.Executor.Execute(context.Background(), req)
				if err != nil || len(res[0].Rows) == 0 {
					b.Fatalf("%v %d rows", err, len(res[0].Rows))
				}
			}
			b.ReportMetric(float64(d.db.Engine.IndexRowsFetched()-fetched)/float64(b.N), "fetched/op")
			b.ReportMetric(float64(d.db.Engine.HotRowsRead()-hot)/float64(b.N), "scanned/op")
		})
	}
}
