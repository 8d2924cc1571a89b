package executor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Cold tier benchmarks: flush throughput, a query over 200K rows split in
// 20 files against the same rows all hot, and a primary-key lookup of a
// cold row.

type benchDB struct {
	b  *testing.B
	kv *kv.DB
	db *database.Database
}

func openBenchDB(b *testing.B) *benchDB { return openBenchDBWith(b, database.Config{}) }

// openBenchDBWith is openBenchDB with cfg's options (its directories and
// bcrypt cost are the benchmark's).
func openBenchDBWith(b *testing.B, cfg database.Config) *benchDB {
	d := openBenchDBWithStore(b, cfg, kv.Options{})
	d.exec("root", systable.RoleSystem, `CREATE NAMESPACE chat; CREATE TABLE chat.messages (id BIGINT PRIMARY KEY,
		conversation_id BIGINT NOT NULL, sender TEXT NOT NULL, content TEXT, created_at TIMESTAMP DEFAULT NOW(), is_read BOOLEAN DEFAULT FALSE)`)
	return d
}

// openBenchDBWithStore opens an empty database over a store opened with
// opts.
func openBenchDBWithStore(b *testing.B, cfg database.Config, opts kv.Options) *benchDB {
	b.Helper()
	dir := b.TempDir()
	store, err := kv.Open(dir+"/rocksdb", opts)
	if err != nil {
		b.Fatal(err)
	}
	cfg.BcryptCost, cfg.StorageDir = bcrypt.MinCost, dir+"/storage"
	db, err := database.Open(store, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(); store.Close() })
	return &benchDB{b: b, kv: store, db: db}
}

func (d *benchDB) exec(user string, role systable.Role, sqlText string) []executor.Result {
	d.b.Helper()
	res, err := d.db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: sqlText})
	if err != nil {
		d.b.Fatalf("%.80s: %v", sqlText, err)
	}
	return res
}

// load inserts rows [from, to] for alice in 500-row statements.
func (d *benchDB) load(from, to int) {
	var sb strings.Builder
	for i := from; i <= to; {
		sb.Reset()
		sb.WriteString("INSERT INTO chat.messages (id, conversation_id, sender, content) VALUES ")
		for j := 0; j < 500 && i <= to; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 'alice', 'message number %d with some typical chat text in it, about a hundred bytes long ok')", i, i%10, i)
		}
		d.exec("alice", systable.RoleUser, sb.String())
	}
}

func (d *benchDB) flush() *systable.Job { return d.flushTable("chat.messages") }

// flushTable flushes table and waits for the job.
func (d *benchDB) flushTable(table string) *systable.Job {
	return d.runJob("STORAGE FLUSH TABLE " + table)
}

// runJob runs a statement that starts a job and waits for the job.
func (d *benchDB) runJob(stmt string) *systable.Job {
	res := d.exec("root", systable.RoleSystem, stmt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	j, err := d.db.Jobs.Wait(ctx, res[0].Rows[0][0].(string))
	if err != nil || j.Status != systable.JobCompleted {
		d.b.Fatalf("%s: %v %+v", stmt, err, j)
	}
	return j
}

func BenchmarkFlush200K(b *testing.B) {
	var rows, bytes int64
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := openBenchDB(b)
		d.load(1, 200_000)
		b.StartTimer()
		start := time.Now()
		j := d.flush()
		took += time.Since(start)
		rows += j.RowsProcessed
		bytes += j.BytesWritten
	}
	b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/took.Seconds()/1e6, "MB/s")
}

// BenchmarkQuery200K compares a scan query over 200K rows in 20 files with
// the same rows all hot.
func BenchmarkQuery200K(b *testing.B) {
	const q = "SELECT conversation_id, count(*), max(id) FROM chat.messages GROUP BY conversation_id"
	for _, tier := range []string{"hot", "cold-20-files"} {
		b.Run(tier, func(b *testing.B) {
			d := openBenchDB(b)
			for f := 0; f < 20; f++ {
				d.load(f*10_000+1, (f+1)*10_000)
				if tier != "hot" {
					d.flush()
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res := d.exec("alice", systable.RoleUser, q)
				if len(res[0].Rows) != 10 {
					b.Fatalf("rows: %d", len(res[0].Rows))
				}
			}
		})
	}
}

func BenchmarkColdPKLookup(b *testing.B) {
	d := openBenchDB(b)
	d.load(1, 200_000)
	d.flush()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := (i*7919)%200_000 + 1
		res := d.exec("alice", systable.RoleUser, fmt.Sprintf("SELECT * FROM chat.messages WHERE id = %d", id))
		if len(res[0].Rows) != 1 {
			b.Fatal("row not found")
		}
	}
}
