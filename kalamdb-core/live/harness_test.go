package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// waitFor bounds every wait for a message; a test never asserts how long
// something took, only that it arrives.
const waitFor = 20 * time.Second

// env is a database core, whose live query manager the tests connect to
// as the WebSocket front end does.
type env struct {
	t   testing.TB
	kv  *kv.DB
	db  *database.Database
	m   *live.Manager
	dir string
	// changes records every committed change.
	changes *captureSink
}

func newEnv(t testing.TB, o live.Options, mutate ...func(*database.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	// RocksDB beside the local storage, as in the server's data directory:
	// no storage may be inside RocksDB's directory.
	store, err := kv.Open(dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	changes := &captureSink{}
	cfg := database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage", NodeName: "node1", Live: o, Changes: changes}
	for _, m := range mutate {
		m(&cfg)
	}
	db, err := database.Open(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	m := db.Live
	e := &env{t: t, kv: store, db: db, m: m, dir: dir, changes: changes}
	t.Cleanup(func() {
		db.Close()
		store.Close()
	})
	e.sql("root", systable.RoleSystem, `CREATE NAMESPACE chat;
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY, conv BIGINT NOT NULL, body TEXT);
		CREATE SHARED TABLE chat.rooms (id INT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE SHARED TABLE chat.vault (id INT PRIMARY KEY, secret TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service`)
	return e
}

// uid is the user id of the user called name (ids are generated, not the
// name), or name itself for a caller the catalog does not know.
func (e *env) uid(name string) string {
	if u, ok := e.db.Catalog.UserByName(name); ok {
		return u.UserID
	}
	return name
}

// exec runs SQL as the user called user.
func (e *env) exec(user string, role systable.Role, sqlText string, params ...any) ([]executor.Result, error) {
	return e.db.Executor.Execute(context.Background(), executor.Request{UserID: e.uid(user), Role: role, SQL: sqlText, Params: params})
}

func (e *env) sql(user string, role systable.Role, sqlText string, params ...any) []executor.Result {
	e.t.Helper()
	res, err := e.exec(user, role, sqlText, params...)
	if err != nil {
		e.t.Fatalf("%s: %v", sqlText, err)
	}
	return res
}

func (e *env) alice(sqlText string, params ...any) {
	e.t.Helper()
	e.sql("alice", systable.RoleUser, sqlText, params...)
}

func (e *env) connect(user string, role systable.Role) *client {
	e.t.Helper()
	var c *live.Conn
	var err error
	if u, ok := e.db.Catalog.UserByName(user); ok && u.Role == role {
		c, err = e.m.Connect(u)
	} else {
		c, err = live.ConnectUnchecked(e.m, e.uid(user), role)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	return &client{t: e.t, c: c}
}

// client reads a Conn the way the WebSocket writer does, and decodes each
// message through its JSON form, so tests see what a client would.
type client struct {
	t testing.TB
	c *live.Conn
	// seqShown says, per subscription, whether its query shows _seq (its
	// ack's schema lists it).
	seqShown map[string]bool
}

// msg is any server message, decoded from JSON.
type msg struct {
	Type           string `json:"type"`
	SubscriptionID string `json:"subscription_id"`
	TotalRows      int64  `json:"total_rows"`
	BatchControl   struct {
		BatchNum  int    `json:"batch_num"`
		HasMore   bool   `json:"has_more"`
		Status    string `json:"status"`
		LastSeqID int64  `json:"last_seq_id"`
	} `json:"batch_control"`
	Schema     []live.Column    `json:"schema"`
	Rows       []map[string]any `json:"rows"`
	OldValues  []map[string]any `json:"old_values"`
	ChangeType string           `json:"change_type"`
	Code       string           `json:"code"`
	Message    string           `json:"message"`
	raw        string
	// seqs and oldSeqs are the _seq of each of Rows and OldValues that
	// every row carries, taken out of rows of a subscription whose query
	// does not show it, so tests compare the columns they asked for.
	seqs, oldSeqs []int64
}

// rowSeqs is the _seq of each row of a message, decoded exactly (a
// float64 does not hold a 64-bit _seq).
type rowSeqs struct {
	Rows []struct {
		Seq json.Number `json:"_seq"`
	} `json:"rows"`
	OldValues []struct {
		Seq json.Number `json:"_seq"`
	} `json:"old_values"`
}

// takeSeqs moves the _seq of the rows out of them (seqs: each row's, as
// decoded exactly); a row without one gets 0.
func takeSeqs(rows []map[string]any, seqs []struct {
	Seq json.Number `json:"_seq"`
}) []int64 {
	var out []int64
	for i, r := range rows {
		n, _ := seqs[i].Seq.Int64()
		out = append(out, n)
		delete(r, "_seq")
	}
	return out
}

func (c *client) next() *msg {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	m, err := c.c.Next(ctx)
	if err != nil {
		c.t.Fatalf("next message: %v", err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		c.t.Fatalf("encode %T: %v", m, err)
	}
	c.c.Sent() // as the server's writer does once a message is written
	var out msg
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("decode %s: %v", raw, err)
	}
	if out.Type != m.MessageType() {
		c.t.Fatalf("type field %q of %s", out.Type, raw)
	}
	out.raw = string(raw)
	switch out.Type {
	case "subscription_ack":
		if c.seqShown == nil {
			c.seqShown = map[string]bool{}
		}
		c.seqShown[out.SubscriptionID] = false
		for _, col := range out.Schema {
			if col.Name == "_seq" {
				c.seqShown[out.SubscriptionID] = true
			}
		}
	case "initial_data_batch", "change":
		if shown, ok := c.seqShown[out.SubscriptionID]; ok && !shown {
			var exact rowSeqs
			if err := json.Unmarshal(raw, &exact); err != nil {
				c.t.Fatalf("decode %s: %v", raw, err)
			}
			out.seqs, out.oldSeqs = takeSeqs(out.Rows, exact.Rows), takeSeqs(out.OldValues, exact.OldValues)
		}
	}
	return &out
}

// expect reads the next message and checks its type and subscription.
func (c *client) expect(typ, sub string) *msg {
	c.t.Helper()
	m := c.next()
	if m.Type != typ || m.SubscriptionID != sub {
		c.t.Fatalf("want %s for %q, got %s", typ, sub, m.raw)
	}
	return m
}

func (c *client) subscribe(id, sqlText string, o live.SubscriptionOptions) {
	c.t.Helper()
	if err := c.c.Subscribe(context.Background(), id, sqlText, o); err != nil {
		c.t.Fatalf("subscribe %s: %v", id, err)
	}
}

// subscribeAll subscribes and reads the ack and every initial batch
// (asking for the next ones), returning the ack and the rows.
func (c *client) subscribeAll(id, sqlText string, o live.SubscriptionOptions) (*msg, []map[string]any) {
	c.t.Helper()
	c.subscribe(id, sqlText, o)
	ack := c.expect("subscription_ack", id)
	var rows []map[string]any
	for {
		b := c.expect("initial_data_batch", id)
		rows = append(rows, b.Rows...)
		if !b.BatchControl.HasMore {
			if b.BatchControl.Status != live.StatusReady {
				c.t.Fatalf("last batch status: %s", b.raw)
			}
			return ack, rows
		}
		if err := c.c.NextBatch(context.Background(), id); err != nil {
			c.t.Fatal(err)
		}
	}
}

// restOfInitialData asks for the batches of subscription id after the
// first, one by one, and returns their rows.
func (c *client) restOfInitialData(id string) []map[string]any {
	c.t.Helper()
	var rows []map[string]any
	for {
		if err := c.c.NextBatch(context.Background(), id); err != nil {
			c.t.Fatal(err)
		}
		b := c.expect("initial_data_batch", id)
		rows = append(rows, b.Rows...)
		if !b.BatchControl.HasMore {
			return rows
		}
	}
}

func (c *client) subscribeFails(code apierror.Code, id, sqlText string, o live.SubscriptionOptions) {
	c.t.Helper()
	err := c.c.Subscribe(context.Background(), id, sqlText, o)
	if !apierror.Is(err, code) {
		c.t.Fatalf("subscribe %q (%s): got %v, want %s", id, sqlText, err, code)
	}
}

// change reads the next message, which must be a change, and renders it
// compactly: "insert [row]" / "update [row] <- [old]" / "delete [old]".
func (c *client) change(sub string) string {
	c.t.Helper()
	m := c.expect("change", sub)
	switch m.ChangeType {
	case "insert":
		return fmt.Sprintf("insert %v", m.Rows)
	case "update":
		return fmt.Sprintf("update %v <- %v", m.Rows, m.OldValues)
	case "delete":
		if m.Rows != nil {
			c.t.Fatalf("delete with rows: %s", m.raw)
		}
		return fmt.Sprintf("delete %v", m.OldValues)
	}
	c.t.Fatalf("change type: %s", m.raw)
	return ""
}

func ids(rows []map[string]any) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = int64(r["id"].(float64))
	}
	return out
}
