package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestInitialDataThenChanges(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'one'), (2, 8, 'other conv'), (3, 7, 'three')")
	e.sql("bob", systable.RoleUser, "INSERT INTO chat.messages VALUES (4, 7, 'bob''s own')")
	c := e.connect("alice", systable.RoleUser)
	ack, rows := c.subscribeAll("m", "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	if ack.TotalRows != 2 || ack.BatchControl.Status != "loading" || !ack.BatchControl.HasMore {
		t.Fatalf("ack: %s", ack.raw)
	}
	if got := fmt.Sprint(ack.Schema); got != "[{id BigInt 0} {body Text 1}]" {
		t.Fatalf("schema: %s", got)
	}
	if got := fmt.Sprint(rows); got != "[map[body:one id:1] map[body:three id:3]]" {
		t.Fatalf("initial rows (only alice's partition, only conv 7): %s", got)
	}

	e.alice("INSERT INTO chat.messages VALUES (5, 7, 'five'), (6, 8, 'not shown')")
	if got := c.change("m"); got != "insert [map[body:five id:5]]" {
		t.Fatal(got)
	}
	e.alice("UPDATE chat.messages SET body = 'FIVE' WHERE id = 5")
	if got := c.change("m"); got != "update [map[body:FIVE id:5]] <- [map[body:five id:5]]" {
		t.Fatal(got)
	}
	// Leaving the filter is a delete, entering it an insert.
	e.alice("UPDATE chat.messages SET conv = 8 WHERE id = 5")
	if got := c.change("m"); got != "delete [map[body:FIVE id:5]]" {
		t.Fatal(got)
	}
	e.alice("UPDATE chat.messages SET conv = 7 WHERE id = 6")
	if got := c.change("m"); got != "insert [map[body:not shown id:6]]" {
		t.Fatal(got)
	}
	e.alice("DELETE FROM chat.messages WHERE id = 1")
	if got := c.change("m"); got != "delete [map[body:one id:1]]" {
		t.Fatal(got)
	}
	// Another user's writes to the same table never reach alice; a change
	// outside the filter neither. The next message is the marker.
	e.sql("bob", systable.RoleUser, "INSERT INTO chat.messages VALUES (100, 7, 'bob')")
	e.alice("UPDATE chat.messages SET body = 'x' WHERE id = 2")
	e.alice("INSERT INTO chat.messages VALUES (99, 7, 'marker')")
	if got := c.change("m"); got != "insert [map[body:marker id:99]]" {
		t.Fatal(got)
	}
}

func TestSystemColumnsAndSelectStar(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	ack, rows := c.subscribeAll("all", "SELECT * FROM chat.messages", live.SubscriptionOptions{})
	if got := fmt.Sprint(ack.Schema); got != "[{id BigInt 0} {conv BigInt 1} {body Text 2} {_seq BigInt 3} {_deleted Boolean 4}]" {
		t.Fatalf("schema: %s", got)
	}
	if len(rows) != 0 || ack.TotalRows != 0 {
		t.Fatalf("empty table: %v %s", rows, ack.raw)
	}
	e.alice("INSERT INTO chat.messages VALUES (1, 7, NULL)")
	m := c.expect("change", "all")
	r := m.Rows[0]
	if r["body"] != nil || r["_deleted"] != false || r["_seq"].(float64) <= 0 || len(r) != 5 {
		t.Fatalf("row: %s", m.raw)
	}
	if !strings.HasPrefix(m.raw, `{"type":"change","subscription_id":"all","change_type":"insert","rows":[{"id":1,"conv":7,"body":null,"_seq":`) {
		t.Fatalf("wire form (column order kept): %s", m.raw)
	}
}

func TestBatchesAndChangesWhileLoading(t *testing.T) {
	e := newEnv(t, live.Options{})
	for i := 1; i <= 5; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, 'x')", i)
	}
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 2})
	ack := c.expect("subscription_ack", "m")
	if ack.TotalRows != 5 {
		t.Fatalf("ack: %s", ack.raw)
	}
	b0 := c.expect("initial_data_batch", "m")
	if fmt.Sprint(ids(b0.Rows)) != "[1 2]" || b0.BatchControl.Status != "loading" || !b0.BatchControl.HasMore || b0.BatchControl.BatchNum != 0 {
		t.Fatalf("batch 0: %s", b0.raw)
	}
	// Written while the client has not asked for the rest: held back
	// until the initial data is complete.
	e.alice("INSERT INTO chat.messages VALUES (6, 7, 'during')")
	e.alice("UPDATE chat.messages SET body = 'y' WHERE id = 1")
	if err := c.c.NextBatch(context.Background(), "m"); err != nil {
		t.Fatal(err)
	}
	b1 := c.expect("initial_data_batch", "m")
	if fmt.Sprint(ids(b1.Rows)) != "[3 4]" || b1.BatchControl.Status != "loading_batch" || b1.BatchControl.BatchNum != 1 {
		t.Fatalf("batch 1: %s", b1.raw)
	}
	if err := c.c.NextBatch(context.Background(), "m"); err != nil {
		t.Fatal(err)
	}
	b2 := c.expect("initial_data_batch", "m")
	if fmt.Sprint(ids(b2.Rows)) != "[5]" || b2.BatchControl.Status != "ready" || b2.BatchControl.HasMore {
		t.Fatalf("batch 2: %s", b2.raw)
	}
	if got := c.change("m"); got != "insert [map[id:6]]" {
		t.Fatal(got)
	}
	if got := c.change("m"); got != "update [map[id:1]] <- [map[id:1]]" {
		t.Fatal(got)
	}
	if err := c.c.NextBatch(context.Background(), "m"); !apierror.Is(err, apierror.BatchFetchFailed) {
		t.Fatalf("next_batch after ready: %v", err)
	}
	if err := c.c.NextBatch(context.Background(), "nope"); !apierror.Is(err, apierror.NotFound) {
		t.Fatalf("next_batch of unknown id: %v", err)
	}
}

func TestLastRowsAndFromSeq(t *testing.T) {
	e := newEnv(t, live.Options{})
	for i := 1; i <= 6; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, $2, 'x')", i, 7+i%2)
	}
	c := e.connect("alice", systable.RoleUser)
	// The newest 2 of conv 7 (ids 2, 4, 6), oldest first.
	ack, rows := c.subscribeAll("last", "SELECT id, _seq FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{LastRows: 2, BatchSize: 1})
	if fmt.Sprint(ids(rows)) != "[4 6]" || ack.TotalRows != 2 {
		t.Fatalf("last_rows: %v %s", rows, ack.raw)
	}
	// Resume after the row with id 4: from_seq_id wins over last_rows.
	res := e.sql("alice", systable.RoleUser, "SELECT _seq FROM chat.messages WHERE id = 4")
	seq4 := res[0].Rows[0][0].(int64)
	_, rows = c.subscribeAll("resume", "SELECT id FROM chat.messages", live.SubscriptionOptions{FromSeqID: seq4, LastRows: 1})
	if fmt.Sprint(ids(rows)) != "[5 6]" {
		t.Fatalf("from_seq_id: %v", rows)
	}
	// Rows are always in _seq order, whatever the primary key order.
	e.alice("UPDATE chat.messages SET body = 'z' WHERE id = 1")
	c.change("resume")
	_, rows = c.subscribeAll("order", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 4})
	if fmt.Sprint(ids(rows)) != "[2 3 4 5 6 1]" {
		t.Fatalf("_seq order: %v", rows)
	}
}

// TestNoChangeLostOrDuplicated writes continuously from several goroutines
// while clients subscribe with small batches: every row must reach every
// client exactly once, in a batch or as a change.
func TestNoChangeLostOrDuplicated(t *testing.T) {
	e := newEnv(t, live.Options{MaxPendingChanges: 1 << 20, SendQueueSize: 1 << 20})
	var next atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	const writers, maxRows = 3, 4000
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := next.Add(1)
				if id > maxRows {
					// Bounds the run on a loaded machine: each initial
					// load pages through everything written so far.
					return
				}
				if _, err := e.exec("alice", systable.RoleUser, "INSERT INTO chat.messages VALUES ($1, 7, 'x')", id); err != nil {
					t.Error(err)
					return
				}
				// Some rows change after they were written: an update must
				// not make a row appear twice either.
				if id%5 == 0 {
					if _, err := e.exec("alice", systable.RoleUser, "UPDATE chat.messages SET body = 'u' WHERE id = $1", id-1); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	const clients = 4
	seen := make([]map[int64]int, clients)
	cs := make([]*client, clients)
	for i := range cs {
		for next.Load() < int64(50*(i+1)) {
			// let the writers get ahead between subscriptions
			_, _ = e.exec("alice", systable.RoleUser, "SELECT 1")
		}
		cs[i] = e.connect("alice", systable.RoleUser)
		_, rows := cs[i].subscribeAll("s", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 7})
		seen[i] = map[int64]int{}
		for _, id := range ids(rows) {
			seen[i][id]++
		}
	}
	close(stop)
	wg.Wait()
	last := min(next.Load(), maxRows)
	// A marker after the last write: once a client has it, it has every
	// change before it.
	e.alice("INSERT INTO chat.messages VALUES (-1, 7, 'marker')")
	for i, c := range cs {
		for {
			m := c.expect("change", "s")
			id := int64(m.Rows[0]["id"].(float64))
			if id == -1 {
				break
			}
			if m.ChangeType == "insert" {
				seen[i][id]++
			}
		}
		for id := int64(1); id <= last; id++ {
			if seen[i][id] != 1 {
				t.Fatalf("client %d saw row %d %d times (rows 1..%d written)", i, id, seen[i][id], last)
			}
		}
	}
}

func TestSlowConsumerIsCutOffWithoutBlockingWriters(t *testing.T) {
	e := newEnv(t, live.Options{SendQueueSize: 4})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	// The client reads nothing: the fifth queued change overflows.
	for i := 1; i <= 20; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, 'x')", i)
	}
	<-c.c.Done()
	if c.c.Err() != live.ErrSlowConsumer {
		t.Fatalf("err: %v", c.c.Err())
	}
	if _, err := c.c.Next(context.Background()); err != live.ErrSlowConsumer {
		t.Fatalf("next after cut-off: %v", err)
	}
	// Its subscription is gone once the front end closes it.
	c.c.Close()
	if got := e.sql("root", systable.RoleSystem, "SELECT count(*) FROM system.live_queries")[0].Rows[0][0]; got != int64(0) {
		t.Fatalf("live queries after close: %v", got)
	}
}

// TestBulkWriteIsNotASlowConsumer: one commit is one queue entry however
// many rows it wrote, so a client that reads gets every row of a write far
// larger than its queue, in order, and stays connected.
func TestBulkWriteIsNotASlowConsumer(t *testing.T) {
	e := newEnv(t, live.Options{SendQueueSize: 4})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	const n = 500
	var values []string
	for i := 1; i <= n; i++ {
		values = append(values, fmt.Sprintf("(%d, %d, 'x')", i, 7+i%2)) // every other row matches
	}
	e.alice("INSERT INTO chat.messages VALUES " + strings.Join(values, ", "))
	e.alice("BEGIN; UPDATE chat.messages SET body = 'y' WHERE id <= 100; DELETE FROM chat.messages WHERE id > 400; COMMIT")
	for i := 2; i <= n; i += 2 {
		if got := c.change("m"); got != fmt.Sprintf("insert [map[id:%d]]", i) {
			t.Fatalf("row %d: %s", i, got)
		}
	}
	for i := 2; i <= 100; i += 2 {
		if got := c.change("m"); got != fmt.Sprintf("update [map[id:%d]] <- [map[id:%d]]", i, i) {
			t.Fatalf("update %d: %s", i, got)
		}
	}
	for i := 402; i <= n; i += 2 {
		if got := c.change("m"); got != fmt.Sprintf("delete [map[id:%d]]", i) {
			t.Fatalf("delete %d: %s", i, got)
		}
	}
	if err := c.c.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}
}

func TestSubscribeRefusals(t *testing.T) {
	e := newEnv(t, live.Options{MaxSubscriptionsPerConnection: 2, MaxSubscriptionsPerUser: 3})
	c := e.connect("alice", systable.RoleUser)
	q := "SELECT * FROM chat.messages"
	c.subscribeFails(apierror.InvalidSubscriptionID, "", q, live.SubscriptionOptions{})
	c.subscribeFails(apierror.InvalidSubscriptionID, strings.Repeat("x", 129), q, live.SubscriptionOptions{})
	c.subscribeFails(apierror.InvalidSubscriptionID, "a\nb", q, live.SubscriptionOptions{})
	c.subscribeFails(apierror.InvalidSQL, "s", "SELEC * FROM chat.messages", live.SubscriptionOptions{})
	c.subscribeFails(apierror.NotFound, "s", "SELECT * FROM chat.nope", live.SubscriptionOptions{})
	c.subscribeFails(apierror.NotFound, "s", "SELECT * FROM nons.messages", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Unauthorized, "s", "SELECT * FROM chat.vault", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Unsupported, "s", "SELECT count(*) FROM chat.messages", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Unsupported, "s", "SELECT * FROM chat.messages ORDER BY id", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Unsupported, "s", "DELETE FROM chat.messages", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Unauthorized, "s", "SELECT * FROM system.users", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Unauthorized, "s", "SELECT * FROM system.jobs", live.SubscriptionOptions{})
	ops := e.connect("ops", systable.RoleDBA)
	ops.subscribeFails(apierror.NotFound, "s", "SELECT * FROM system.nope", live.SubscriptionOptions{})
	ops.subscribeFails(apierror.InvalidSQL, "s", "SELECT nope FROM system.jobs", live.SubscriptionOptions{})
	ops.subscribeFails(apierror.Unsupported, "s", "SELECT count(*) FROM system.jobs", live.SubscriptionOptions{})
	c.subscribeFails(apierror.Protocol, "s", q, live.SubscriptionOptions{BatchSize: -1})

	c.subscribeAll("a", q, live.SubscriptionOptions{})
	c.subscribeFails(apierror.InvalidSubscriptionID, "a", q, live.SubscriptionOptions{})
	c.subscribeAll("b", "SELECT * FROM chat.rooms", live.SubscriptionOptions{})
	c.subscribeFails(apierror.SubscriptionLimitExceeded, "c", q, live.SubscriptionOptions{})
	c2 := e.connect("alice", systable.RoleUser)
	c2.subscribeAll("c", q, live.SubscriptionOptions{})
	c2.subscribeFails(apierror.SubscriptionLimitExceeded, "d", q, live.SubscriptionOptions{})
	// Other users have their own quota; unsubscribing frees a place.
	e.connect("bob", systable.RoleUser).subscribeAll("d", q, live.SubscriptionOptions{})
	if err := c.c.Unsubscribe("a"); err != nil {
		t.Fatal(err)
	}
	if err := c.c.Unsubscribe("a"); !apierror.Is(err, apierror.NotFound) {
		t.Fatalf("second unsubscribe: %v", err)
	}
	c2.subscribeAll("d", q, live.SubscriptionOptions{})
	// Refusals leave the connection usable.
	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'x')")
	c2.expect("change", "c")
	c2.expect("change", "d")
}

func TestTransactionsAndExecuteAs(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})
	// Nothing of a rolled back or failed transaction is published; a
	// committed one is, with each row's final state.
	e.alice("BEGIN; INSERT INTO chat.messages VALUES (1, 7, 'rolled back'); ROLLBACK")
	if _, err := e.exec("alice", systable.RoleUser, "BEGIN; INSERT INTO chat.messages VALUES (2, 7, 'a'); INSERT INTO chat.messages VALUES (2, 7, 'dup'); COMMIT"); err == nil {
		t.Fatal("duplicate key committed")
	}
	e.alice("BEGIN; INSERT INTO chat.messages VALUES (3, 7, 'first'); UPDATE chat.messages SET body = 'final' WHERE id = 3; INSERT INTO chat.messages VALUES (4, 7, 'four'); COMMIT")
	if got := c.change("m"); got != "insert [map[body:final id:3]]" {
		t.Fatal(got)
	}
	if got := c.change("m"); got != "insert [map[body:four id:4]]" {
		t.Fatal(got)
	}
	// EXECUTE AS USER writes alice's partition: alice's subscriber sees it.
	e.sql("svc", systable.RoleService, "EXECUTE AS USER 'alice' (INSERT INTO chat.messages VALUES (5, 7, 'from svc'))")
	if got := c.change("m"); got != "insert [map[body:from svc id:5]]" {
		t.Fatal(got)
	}
	// SHARED tables have one partition: every subscriber sees every write.
	c.subscribeAll("rooms", "SELECT * FROM chat.rooms WHERE id < 10", live.SubscriptionOptions{})
	b := e.connect("bob", systable.RoleUser)
	b.subscribeAll("rooms", "SELECT name FROM chat.rooms", live.SubscriptionOptions{})
	e.sql("svc", systable.RoleService, "INSERT INTO chat.rooms VALUES (1, 'lobby')")
	if m := c.expect("change", "rooms"); m.Rows[0]["name"] != "lobby" {
		t.Fatal(m.raw)
	}
	if got := b.change("rooms"); got != "insert [map[name:lobby]]" {
		t.Fatal(got)
	}
}

func TestLiveQueriesTableAndKill(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{BatchSize: 10})
	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'x'), (2, 8, 'y')")
	c.change("m")
	root := func(q string) [][]any { return e.sql("root", systable.RoleSystem, q)[0].Rows }
	rows := root("SELECT live_id, connection_id, subscription_id, namespace_id, table_name, user_id, query, options, changes, node, created_at IS NOT NULL, last_update IS NOT NULL FROM system.live_queries")
	liveID := c.c.ID() + "-m"
	want := fmt.Sprintf(`[["%s","%s","m","chat","messages","%s","SELECT id FROM chat.messages WHERE conv = 7",{"batch_size":10},1,"node1",true,true]]`, liveID, c.c.ID(), e.uid("alice"))
	if got, _ := json.Marshal(rows); string(got) != want {
		t.Fatalf("system.live_queries:\n got %s\nwant %s", got, want)
	}
	// Only dba/system may read system tables; only the owner or a dba may
	// kill, and to anyone else the id does not exist.
	if _, err := e.exec("bob", systable.RoleUser, "SELECT * FROM system.live_queries"); !apierror.Is(err, apierror.PermissionDenied) {
		t.Fatalf("bob reads live queries: %v", err)
	}
	if _, err := e.exec("bob", systable.RoleUser, "KILL LIVE QUERY '"+liveID+"'"); !apierror.Is(err, apierror.NotFound) {
		t.Fatalf("bob kills alice's query: %v", err)
	}
	e.sql("alice", systable.RoleUser, "KILL LIVE QUERY '"+liveID+"'")
	m := c.expect("error", "m")
	if m.Code != "KILLED" {
		t.Fatal(m.raw)
	}
	if got := root("SELECT count(*) FROM system.live_queries"); fmt.Sprint(got) != "[[0]]" {
		t.Fatalf("after kill: %v", got)
	}
	if _, err := e.exec("root", systable.RoleSystem, "KILL LIVE QUERY '"+liveID+"'"); !apierror.Is(err, apierror.NotFound) {
		t.Fatalf("kill twice: %v", err)
	}
	// A killed subscription gets nothing more; its id can be reused.
	e.alice("INSERT INTO chat.messages VALUES (3, 7, 'x')")
	c.subscribeAll("m", "SELECT id FROM chat.messages WHERE id > 3", live.SubscriptionOptions{})
	e.alice("INSERT INTO chat.messages VALUES (4, 7, 'x')")
	if got := c.change("m"); got != "insert [map[id:4]]" {
		t.Fatal(got)
	}
	// A dba may kill anyone's; disconnecting removes the rest.
	c.subscribeAll("n", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	e.sql("root", systable.RoleSystem, "CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba")
	e.sql("ops", systable.RoleDBA, "KILL LIVE QUERY '"+c.c.ID()+"-n'")
	if m := c.expect("error", "n"); m.Code != "KILLED" {
		t.Fatal(m.raw)
	}
	if got := root("SELECT subscription_id FROM system.live_queries"); fmt.Sprint(got) != "[[m]]" {
		t.Fatalf("after dba kill: %v", got)
	}
	c.c.Close()
	if got := root("SELECT count(*) FROM system.live_queries"); fmt.Sprint(got) != "[[0]]" {
		t.Fatalf("after disconnect: %v", got)
	}
}

func TestDroppedTableEndsSubscriptions(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("all", "SELECT * FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	c.subscribeAll("rooms", "SELECT * FROM chat.rooms", live.SubscriptionOptions{})
	e.sql("root", systable.RoleSystem, "DROP TABLE chat.messages")
	if m := c.expect("error", "all"); m.Code != "SUBSCRIPTION_FAILED" || !strings.Contains(m.Message, "chat.messages was dropped") {
		t.Fatalf("after DROP TABLE: %s", m.raw)
	}
	rows := e.sql("root", systable.RoleSystem, "SELECT subscription_id FROM system.live_queries")[0].Rows
	if fmt.Sprint(rows) != "[[rooms]]" {
		t.Fatalf("after drop: %v", rows)
	}
	// A table dropped and created again under the same name is another
	// table: its rows never reach a subscription of the old one.
	c.subscribeAll("r", "SELECT * FROM chat.rooms", live.SubscriptionOptions{})
	e.sql("root", systable.RoleSystem, "DROP SHARED TABLE chat.rooms; CREATE SHARED TABLE chat.rooms (id INT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')")
	e.sql("svc", systable.RoleService, "INSERT INTO chat.rooms VALUES (1, 'new table')")
	for _, id := range []string{"rooms", "r"} {
		if m := c.expect("error", id); m.Code != "SUBSCRIPTION_FAILED" {
			t.Fatalf("after re-create: %s", m.raw)
		}
	}
}

func TestPendingChangesAreBounded(t *testing.T) {
	e := newEnv(t, live.Options{MaxPendingChanges: 3})
	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'x'), (2, 7, 'x')")
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 1})
	c.expect("subscription_ack", "m")
	c.expect("initial_data_batch", "m")
	// The client never asks for the next batch while writes go on: past
	// the bound only this subscription fails, the connection lives on.
	for i := 3; i <= 10; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, 'x')", i)
	}
	if m := c.expect("error", "m"); m.Code != "SUBSCRIPTION_FAILED" {
		t.Fatal(m.raw)
	}
	c.subscribeAll("n", "SELECT id FROM chat.messages WHERE id > 10", live.SubscriptionOptions{})
	e.alice("INSERT INTO chat.messages VALUES (11, 7, 'x')")
	if got := c.change("n"); got != "insert [map[id:11]]" {
		t.Fatal(got)
	}
}

func TestShutdownEndsConnections(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 1})
	e.m.Close()
	<-c.c.Done()
	if c.c.Err() != live.ErrShutdown {
		t.Fatalf("err: %v", c.c.Err())
	}
	if _, err := live.ConnectUnchecked(e.m, "alice", systable.RoleUser); err != live.ErrShutdown {
		t.Fatalf("connect after close: %v", err)
	}
	if got := e.sql("root", systable.RoleSystem, "SELECT count(*) FROM system.live_queries")[0].Rows; fmt.Sprint(got) != "[[0]]" {
		t.Fatalf("after shutdown: %v", got)
	}
}

func TestRowsPersistedAndClearedAtStart(t *testing.T) {
	e := newEnv(t, live.Options{})
	persisted, err := systable.Open(e.kv, systable.LiveQueries)
	if err != nil {
		t.Fatal(err)
	}
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	if rows, err := persisted.ScanAll(); err != nil || len(rows) != 1 || rows[0].LiveID != c.c.ID()+"-m" || rows[0].UserID != e.uid("alice") {
		t.Fatalf("persisted while subscribed: %v %v", rows, err)
	}
	// Opening system.live_queries over the same store again (a restart
	// after a crash) removes rows whose connections are gone.
	if _, err := live.OpenQueries(e.kv, "node1"); err != nil {
		t.Fatal(err)
	}
	if rows, err := persisted.ScanAll(); err != nil || len(rows) != 0 {
		t.Fatalf("persisted after restart: %v %v", rows, err)
	}
}

// TestChangedAccountsAreDisconnected: a connection does not outlive the
// account it was opened with: dropping the user, or changing their role
// or password, ends it; other users' connections go on.
func TestChangedAccountsAreDisconnected(t *testing.T) {
	e := newEnv(t, live.Options{CheckInterval: time.Millisecond})
	e.sql("root", systable.RoleSystem, "CREATE USER 'carol' WITH PASSWORD 'pw' ROLE dba")
	alice, bob, svc, carol := e.connect("alice", systable.RoleUser), e.connect("bob", systable.RoleUser),
		e.connect("svc", systable.RoleService), e.connect("carol", systable.RoleDBA)
	stays := e.connect("alice", systable.RoleUser)
	for _, c := range []*client{alice, bob, svc, carol, stays} {
		c.subscribeAll("r", "SELECT id FROM chat.rooms", live.SubscriptionOptions{})
	}
	e.sql("root", systable.RoleSystem, "DROP USER 'bob'")
	e.sql("root", systable.RoleSystem, "ALTER USER 'svc' SET PASSWORD 'new-pw'")
	e.sql("root", systable.RoleSystem, "ALTER USER 'carol' SET ROLE user")
	for name, c := range map[string]*client{"dropped": bob, "new password": svc, "new role": carol} {
		<-c.c.Done()
		if !errors.Is(c.c.Err(), live.ErrAccountChanged) {
			t.Fatalf("%s: ended with %v", name, c.c.Err())
		}
	}
	// Alice's connections are untouched (an email change is not a
	// credential change) and keep receiving.
	e.sql("root", systable.RoleSystem, "ALTER USER 'alice' SET EMAIL 'alice@example.com'")
	e.sql("root", systable.RoleSystem, "INSERT INTO chat.rooms VALUES (1, 'lobby')")
	alice.expect("change", "r")
	stays.expect("change", "r")
	if alice.c.Err() != nil || stays.c.Err() != nil {
		t.Fatalf("alice ended: %v / %v", alice.c.Err(), stays.c.Err())
	}
	// The ended connections' subscriptions are removed just after Done.
	for deadline := time.Now().Add(waitFor); ; time.Sleep(time.Millisecond) {
		got := e.sql("root", systable.RoleSystem, "SELECT count(*) FROM system.live_queries")[0].Rows[0][0]
		if got == int64(2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("live queries left: %v", got)
		}
	}
}

// TestConnectRefusesAnAccountChangedSinceSignIn: a sign-in checks the
// credentials, then opens its connection; ALTER USER or DROP USER may
// commit, and close the connections already open, in between. The
// connection of a sign-in that read the account before the change is
// refused, or it would live on with the old password or role (or as a
// dropped user) that no sweep of the change saw.
func TestConnectRefusesAnAccountChangedSinceSignIn(t *testing.T) {
	e := newEnv(t, live.Options{})
	read := func(name string) *systable.User {
		u, ok := e.db.Catalog.UserByName(name)
		if !ok {
			t.Fatalf("no user %s", name)
		}
		cp := *u
		return &cp
	}
	alice, bob, svc := read("alice"), read("bob"), read("svc")
	e.sql("root", systable.RoleSystem, "ALTER USER 'alice' SET PASSWORD 'new-pw'")
	e.sql("root", systable.RoleSystem, "DROP USER 'bob'")
	e.sql("root", systable.RoleSystem, "ALTER USER 'svc' SET ROLE user")
	for name, u := range map[string]*systable.User{"new password": alice, "dropped": bob, "new role": svc} {
		if c, err := e.m.Connect(u); !errors.Is(err, live.ErrAccountChanged) {
			t.Errorf("%s: connected with the account read before the change: %v %v", name, c, err)
		}
	}
	c, err := e.m.Connect(read("alice"))
	if err != nil {
		t.Fatalf("the current account: %v", err)
	}
	c.Close()
}

// TestSweepKeepsASignInNewerThanItsStart: the periodic sweep of changed
// accounts may start, then wait for the connections' lock while ALTER
// USER commits and alice signs in with the new password. That connection
// is current: the sweep must judge it against the account as it is when
// it holds the lock, not as it was when the sweep began, or it closes a
// sign-in that did nothing wrong ("sign in again").
func TestSweepKeepsASignInNewerThanItsStart(t *testing.T) {
	e := newEnv(t, live.Options{CheckInterval: time.Hour})
	release := live.HoldConns(e.m)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		live.SweepChangedAccounts(e.m)
	}()
	live.WaitSweepBlocked(t)
	pw := "new-pw"
	if err := e.db.Catalog.AlterUser("alice", catalog.UserChange{Password: &pw}); err != nil {
		release()
		t.Fatal(err)
	}
	u, _ := e.db.Catalog.UserByName("alice")
	c, err := live.ConnectHeld(e.m, u)
	release()
	if err != nil {
		t.Fatalf("sign-in with the new password: %v", err)
	}
	defer c.Close()
	<-swept
	if err := c.Err(); err != nil {
		t.Fatalf("the sweep closed a connection opened with the current password: %v", err)
	}
}
