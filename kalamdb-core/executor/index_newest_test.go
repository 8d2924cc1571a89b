package executor_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestIndexNewestOfLargeConversations: the newest N rows of a conversation
// read backwards through the (conversation_id, id) index (which reads
// entries in windows, kv.Backward) are the rows a table without the index
// gives, for conversations large and small, ids dense, sparse and
// clustered, with deleted and updated rows, hot, after a flush, and with
// newer rows hot over flushed ones.
func TestIndexNewestOfLargeConversations(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.mi (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
		CREATE TABLE ns.mr (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)`)
	createIndex(t, e, "CREATE INDEX mi_conv_id ON ns.mi (conv, id)")
	alice := e.as("alice", systable.RoleUser)
	bob := e.as("bob", systable.RoleUser)
	r := rand.New(rand.NewSource(5))
	id := int64(0)
	insert := func(c *caller, n int) {
		for n > 0 {
			var sb strings.Builder
			for j := 0; j < 200 && n > 0; j, n = j+1, n-1 {
				if j > 0 {
					sb.WriteString(", ")
				}
				// Ids: mostly small steps, now and then a jump of
				// billions, so the id space is clustered.
				id += 1 + r.Int63n(5)
				if r.Intn(100) == 0 {
					id += r.Int63n(1 << 40)
				}
				conv := r.Intn(4)
				if r.Intn(3) == 0 {
					conv = 0 // one conversation much larger than the others
				}
				fmt.Fprintf(&sb, "(%d, %d, 'm%d')", id, conv, id)
			}
			for _, tbl := range []string{"ns.mi", "ns.mr"} {
				c.must("INSERT INTO " + tbl + " (id, conv, body) VALUES " + sb.String())
			}
		}
	}
	check := func(stage string) {
		t.Helper()
		for _, c := range []*caller{alice, bob} {
			for conv := 0; conv < 5; conv++ {
				for _, limit := range []int{1, 7, 50, 300, 5000} {
					q := "SELECT id, conv, body FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT $2"
					got := c.rows(strings.ReplaceAll(q, "$T", "ns.mi"), conv, limit)
					want := c.rows(strings.ReplaceAll(q, "$T", "ns.mr"), conv, limit)
					if got != want {
						t.Fatalf("%s, %s, conv %d, limit %d:\nindexed %.300s\nplain   %.300s", stage, c.user, conv, limit, got, want)
					}
				}
			}
		}
	}
	insert(alice, 1500)
	insert(bob, 300)
	check("hot")
	for _, tbl := range []string{"ns.mi", "ns.mr"} {
		alice.must("DELETE FROM " + tbl + " WHERE id % 7 = 0")
		alice.must("UPDATE " + tbl + " SET conv = 4 WHERE id % 11 = 0")
	}
	check("deleted and moved")
	for _, tbl := range []string{"ns.mi", "ns.mr"} {
		runJob(t, e, "STORAGE FLUSH TABLE "+tbl)
	}
	check("cold")
	insert(alice, 400)
	check("hot over cold")
}

// TestIndexNewestRepeatReads: the newest rows of a conversation read
// again and again (the index read then yields the entries the last read
// left, while the index's family does not change) are always the rows a
// table without the index gives: after a row is inserted into, deleted
// from or updated out of the conversation just before the read, after a
// write to another conversation or user, and after the index, then the
// table, are dropped and made again with other rows.
func TestIndexNewestRepeatReads(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	schema := `CREATE TABLE ns.mi (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
		CREATE TABLE ns.mr (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)`
	root.must("CREATE NAMESPACE ns; " + schema)
	createIndex(t, e, "CREATE INDEX mi_conv_id ON ns.mi (conv, id)")
	alice := e.as("alice", systable.RoleUser)
	bob := e.as("bob", systable.RoleUser)
	both := func(c *caller, stmt string) { t.Helper(); onEach(c, stmt, "ns.mi", "ns.mr") }
	check := func(stage string) {
		t.Helper()
		for range 2 {
			for _, c := range []*caller{alice, bob} {
				for _, limit := range []int{3, 50} {
					q := "SELECT id, conv, body FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT $2"
					got := c.rows(strings.ReplaceAll(q, "$T", "ns.mi"), 1, limit)
					want := c.rows(strings.ReplaceAll(q, "$T", "ns.mr"), 1, limit)
					if got != want {
						t.Fatalf("%s, %s, limit %d:\nindexed %.300s\nplain   %.300s", stage, c.user, limit, got, want)
					}
				}
			}
		}
	}
	load := func(from int) {
		var sb strings.Builder
		for i := from; i < from+120; i++ {
			if i > from {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 'm%d')", i, i%3, i)
		}
		both(alice, "INSERT INTO $T (id, conv, body) VALUES "+sb.String())
		both(bob, "INSERT INTO $T (id, conv, body) VALUES "+sb.String())
	}
	load(1)
	check("loaded")
	both(alice, "INSERT INTO $T (id, conv, body) VALUES (1000, 1, 'newest')")
	check("a row inserted")
	both(alice, "INSERT INTO $T (id, conv, body) VALUES (1001, 2, 'other conversation')")
	both(bob, "INSERT INTO $T (id, conv, body) VALUES (1002, 1, 'other user')")
	check("rows of others inserted")
	both(alice, "DELETE FROM $T WHERE id = 1000")
	check("the newest deleted")
	both(alice, "UPDATE $T SET conv = 2 WHERE id = 118")
	both(alice, "UPDATE $T SET body = 'edited' WHERE id = 115")
	check("rows updated")

	root.must("DROP INDEX ns.mi_conv_id")
	check("index dropped")
	createIndex(t, e, "CREATE INDEX mi_conv_id ON ns.mi (conv, id)")
	check("index made again")
	both(alice, "INSERT INTO $T (id, conv, body) VALUES (1003, 1, 'after the new index')")
	check("a row inserted after the new index")

	root.must("DROP TABLE ns.mi; DROP TABLE ns.mr")
	root.must(schema)
	createIndex(t, e, "CREATE INDEX mi_conv_id ON ns.mi (conv, id)")
	load(5000)
	check("table made again")
}

// onEach runs stmt as c once for each of tables, with $T the table.
func onEach(c *caller, stmt string, tables ...string) {
	c.e.t.Helper()
	for _, tbl := range tables {
		c.must(strings.ReplaceAll(stmt, "$T", tbl))
	}
}
