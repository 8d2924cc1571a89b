package e2e_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The recent-messages workload of the side-by-side comparison with
// PostgreSQL (docs/performance.md, "Secondary indexes"): a USER table of
// chat messages, 10,000 rows in the reader's partition over 20
// conversations, content of 40 to 400 bytes, and the newest 50 messages
// of one conversation.
const (
	recentSchema = `CREATE NAMESPACE ns; CREATE TABLE ns.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(),
		conversation_id BIGINT, role TEXT, content TEXT, created_at TIMESTAMP DEFAULT NOW())`
	recentIndex = "CREATE INDEX messages_conv_id ON ns.messages (conversation_id, id)"
	recentQuery = "SELECT id, conversation_id, role, content, created_at FROM ns.messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50"
	recentRows  = 10_000
	recentConvs = 20
)

// loadRecent writes the workload's rows into dir (with the index or
// without, all hot or all flushed to Parquet) through the core.
func loadRecent(b *testing.B, dir string, index, cold bool) {
	b.Helper()
	preloadDB(b, dir, func(db *database.Database) {
		exec := func(sqlText string) []executor.Result {
			res, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: sqlText})
			if err != nil {
				b.Fatalf("%.80s: %v", sqlText, err)
			}
			return res
		}
		wait := func(id string) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if j, err := db.Jobs.Wait(ctx, id); err != nil || j.Status != systable.JobCompleted {
				b.Fatalf("job %s: %v %+v", id, err, j)
			}
		}
		exec(recentSchema)
		exec("CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
		r := rand.New(rand.NewPCG(7, 7))
		var sb strings.Builder
		for i := 0; i < recentRows; {
			sb.Reset()
			sb.WriteString("INSERT INTO ns.messages (conversation_id, role, content) VALUES ")
			for j := 0; j < 500 && i < recentRows; j, i = j+1, i+1 {
				if j > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, 'user', '%s')", r.IntN(recentConvs), strings.Repeat("x", 40+r.IntN(361)))
			}
			exec("EXECUTE AS USER 'alice' (" + sb.String() + ")")
		}
		if index {
			if job, _ := exec(recentIndex)[0].Rows[0][4].(string); job != "" {
				wait(job)
			}
		}
		if cold {
			wait(exec("STORAGE FLUSH TABLE ns.messages")[0].Rows[0][0].(string))
		}
	})
}

// BenchmarkHTTPRecentMessages measures the newest 50 messages of a
// conversation over HTTP, with the rows hot or cold, without the index (a
// scan of the partition: before secondary indexes) and with it.
func BenchmarkHTTPRecentMessages(b *testing.B) {
	for _, tier := range []string{"hot", "cold"} {
		for _, how := range []string{"scan", "index"} {
			b.Run(tier+"/"+how, func(b *testing.B) {
				dir := b.TempDir()
				loadRecent(b, dir, how == "index", tier == "cold")
				s := startBenchServer(b, dir)
				c := newBenchClient(b, s, "alice")
				measure(b, func(i int) { c.sql(recentQuery, i%recentConvs) })
			})
		}
	}
}
