package executor_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestIndexNewestReadsOwnWrites: writers each own a (user, conversation)
// and, after every statement that returned success, read the newest rows
// of their conversation through the (conv, id) index, while other users
// write the same conversation numbers, readers re-read other
// conversations (so their kept windows are in use) and the table is
// flushed to Parquet now and then: a row just inserted is the newest, a
// row just deleted is gone, a row just updated has its new body, and no
// row of another conversation or user appears. Run with -race.
func TestIndexNewestReadsOwnWrites(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE ns; CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)`)
	createIndex(t, e, "CREATE INDEX m_conv_id ON ns.m (conv, id)")
	newest := func(c *caller, conv int) ([][]any, error) {
		res, err := c.exec("SELECT id, conv, body FROM ns.m WHERE conv = $1 ORDER BY id DESC LIMIT 3", conv)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(res[0].Rows)
		if err != nil {
			return nil, err
		}
		var rows [][]any
		return rows, json.Unmarshal(raw, &rows)
	}
	const writers, rounds = 4, 60
	errs := make(chan error, writers+4)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		c := e.as(fmt.Sprintf("u%d", w%2), systable.RoleUser)
		conv := w // two users, four conversations; u0 owns 0 and 2, u1 1 and 3
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(format string, a ...any) { errs <- fmt.Errorf("writer %d: "+format, append([]any{w}, a...)...) }
			for i := range rounds {
				id := 1000*(i+1) + w
				if _, err := c.exec("INSERT INTO ns.m (id, conv, body) VALUES ($1, $2, $3)", id, conv, fmt.Sprintf("b%d", id)); err != nil {
					fail("insert %d: %v", id, err)
					return
				}
				rows, err := newest(c, conv)
				if err != nil {
					fail("read: %v", err)
					return
				}
				if len(rows) == 0 || fmt.Sprint(rows[0][0]) != fmt.Sprint(id) {
					fail("after inserting %d the newest rows are %v", id, rows)
					return
				}
				for _, r := range rows {
					if fmt.Sprint(r[1]) != fmt.Sprint(conv) {
						fail("row of another conversation %v", r)
						return
					}
				}
				switch i % 3 {
				case 0:
					if _, err := c.exec("DELETE FROM ns.m WHERE id = $1", id); err != nil {
						fail("delete: %v", err)
						return
					}
					rows, err := newest(c, conv)
					if err != nil {
						fail("read: %v", err)
						return
					}
					if len(rows) > 0 && fmt.Sprint(rows[0][0]) == fmt.Sprint(id) {
						fail("deleted row %d still listed: %v", id, rows)
						return
					}
				case 1:
					if _, err := c.exec("UPDATE ns.m SET body = 'edited' WHERE id = $1", id); err != nil {
						fail("update: %v", err)
						return
					}
					rows, err := newest(c, conv)
					if err != nil {
						fail("read: %v", err)
						return
					}
					if len(rows) == 0 || rows[0][2] != "edited" {
						fail("updated row %d: newest %v", id, rows)
						return
					}
				}
			}
		}()
	}
	var rg sync.WaitGroup
	for r := range 2 {
		c := e.as(fmt.Sprintf("u%d", r), systable.RoleUser)
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for conv := range 6 {
					if _, err := newest(c, conv); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	rg.Add(1)
	go func() {
		defer rg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := root.exec("STORAGE FLUSH TABLE ns.m"); err != nil {
				errs <- fmt.Errorf("flush %d: %v", i, err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestIndexNewestAfterRecreateWithoutWrites: a conversation's newest rows
// read (and re-read, so the index read keeps its entries) just before the
// table is dropped and made again under the same name, with the same
// index, are not what the new, empty table gives; nor are they after the
// index alone is dropped and made again, or after ALTER TABLE, with no
// row written in between (writes would make kept entries stale anyway).
func TestIndexNewestAfterRecreateWithoutWrites(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	schema := "CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)"
	root.must("CREATE NAMESPACE ns; " + schema)
	createIndex(t, e, "CREATE INDEX m_conv_id ON ns.m (conv, id)")
	alice := e.as("alice", systable.RoleUser)
	for i := 1; i <= 60; i++ {
		alice.must("INSERT INTO ns.m (id, conv, body) VALUES ($1, 1, 'old')", i)
	}
	q := "SELECT id, conv, body FROM ns.m WHERE conv = 1 ORDER BY id DESC LIMIT 3"
	const full = `[[60,1,"old"],[59,1,"old"],[58,1,"old"]]`
	read := func(stage, want string) {
		t.Helper()
		for range 3 {
			if got := alice.rows(q); got != want {
				t.Fatalf("%s: %s, want %s", stage, got, want)
			}
		}
	}
	read("loaded", full)
	root.must("DROP INDEX ns.m_conv_id")
	createIndex(t, e, "CREATE INDEX m_conv_id ON ns.m (conv, id)")
	read("index made again", full)
	root.must("ALTER TABLE ns.m ADD COLUMN extra TEXT")
	read("column added", full)
	root.must("DROP TABLE ns.m")
	root.must(schema)
	createIndex(t, e, "CREATE INDEX m_conv_id ON ns.m (conv, id)")
	read("table made again", "[]")
}
