package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsWait bounds every wait for a WebSocket message or close. Tests never
// assert how long anything took; this only keeps a broken server from
// hanging the run.
const wsWait = 30 * time.Second

// wsClient is a real WebSocket client of /v1/ws.
type wsClient struct {
	t testing.TB
	c *websocket.Conn
	// seqShown says, per subscription, whether its query shows _seq (its
	// ack's schema lists it).
	seqShown map[string]bool
}

// wsMsg is any server message.
type wsMsg struct {
	Type           string `json:"type"`
	SubscriptionID string `json:"subscription_id"`
	UserID         string `json:"user_id"`
	Role           string `json:"role"`
	TotalRows      int64  `json:"total_rows"`
	BatchControl   struct {
		BatchNum  int    `json:"batch_num"`
		HasMore   bool   `json:"has_more"`
		Status    string `json:"status"`
		LastSeqID int64  `json:"last_seq_id"`
	} `json:"batch_control"`
	Schema []struct {
		Name     string `json:"name"`
		DataType string `json:"data_type"`
		Index    int    `json:"index"`
	} `json:"schema"`
	Rows       []map[string]any `json:"rows"`
	OldValues  []map[string]any `json:"old_values"`
	ChangeType string           `json:"change_type"`
	Code       string           `json:"code"`
	Message    string           `json:"message"`
	raw        string
	// seqs and oldSeqs are the _seq of each of Rows and OldValues, which
	// every row of a table carries: taken out of the rows of a
	// subscription whose query does not show it, so tests compare the
	// columns they asked for (0: a row without one).
	seqs, oldSeqs []int64
}

// wireSeqs is the _seq of each row of a message, decoded exactly (a
// float64 does not hold a 64-bit _seq).
type wireSeqs struct {
	Rows []struct {
		Seq json.Number `json:"_seq"`
	} `json:"rows"`
	OldValues []struct {
		Seq json.Number `json:"_seq"`
	} `json:"old_values"`
}

// takeSeqs moves the _seq of the rows out of them; seqs are theirs as
// decoded exactly.
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

func (s *server) dialWS(t testing.TB) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/v1/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: HTTP %d", resp.StatusCode)
	}
	// Responses may be big (initial data batches); the client reads what
	// the server sends.
	c.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsClient{t: t, c: c}
}

// login opens a socket and authenticates with Basic credentials.
func (s *server) loginWS(t testing.TB, user, password string) *wsClient {
	t.Helper()
	c := s.dialWS(t)
	c.send(map[string]any{"type": "authenticate", "method": "basic", "username": user, "password": password})
	if m := c.recv(); m.Type != "auth_success" || m.UserID != s.userID(user) {
		t.Fatalf("authenticate %s: %s", user, m.raw)
	}
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.MessageText, raw)
}

func (c *wsClient) sendRaw(typ websocket.MessageType, raw []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	if err := c.c.Write(ctx, typ, raw); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *wsClient) recv() *wsMsg {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	typ, raw, err := c.c.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("server sent a binary message")
	}
	m := &wsMsg{raw: string(raw)}
	if err := json.Unmarshal(raw, m); err != nil {
		c.t.Fatalf("decode %s: %v", raw, err)
	}
	switch m.Type {
	case "subscription_ack":
		if c.seqShown == nil {
			c.seqShown = map[string]bool{}
		}
		c.seqShown[m.SubscriptionID] = false
		for _, col := range m.Schema {
			if col.Name == "_seq" {
				c.seqShown[m.SubscriptionID] = true
			}
		}
	case "initial_data_batch", "change":
		if shown, ok := c.seqShown[m.SubscriptionID]; ok && !shown {
			var exact wireSeqs
			if err := json.Unmarshal(raw, &exact); err != nil {
				c.t.Fatalf("decode %s: %v", raw, err)
			}
			m.seqs, m.oldSeqs = takeSeqs(m.Rows, exact.Rows), takeSeqs(m.OldValues, exact.OldValues)
		}
	}
	return m
}

// expect reads the next message; it must have this type and subscription.
func (c *wsClient) expect(typ, sub string) *wsMsg {
	c.t.Helper()
	m := c.recv()
	if m.Type != typ || m.SubscriptionID != sub {
		c.t.Fatalf("want %s for %q, got %s", typ, sub, m.raw)
	}
	return m
}

// expectError reads the next message, an error with this code.
func (c *wsClient) expectError(code, sub string) *wsMsg {
	c.t.Helper()
	m := c.expect("error", sub)
	if m.Code != code || m.Message == "" {
		c.t.Fatalf("want error %s, got %s", code, m.raw)
	}
	return m
}

// closed reads until the server closes the socket and returns the close
// frame's status and reason.
func (c *wsClient) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	for {
		_, _, err := c.c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Reason
		}
		c.t.Fatalf("socket ended without a close frame: %v", err)
	}
}

func (c *wsClient) subscribe(id, sqlText string, options map[string]any) {
	c.t.Helper()
	sub := map[string]any{"id": id, "sql": sqlText}
	if options != nil {
		sub["options"] = options
	}
	c.send(map[string]any{"type": "subscribe", "subscription": sub})
}

// subscribeAll subscribes, reads the ack and every batch (asking for the
// next ones as a client does) and returns the ack and the initial rows.
func (c *wsClient) subscribeAll(id, sqlText string, options map[string]any) (*wsMsg, []map[string]any) {
	c.t.Helper()
	c.subscribe(id, sqlText, options)
	ack := c.expect("subscription_ack", id)
	var rows []map[string]any
	for {
		b := c.expect("initial_data_batch", id)
		rows = append(rows, b.Rows...)
		if !b.BatchControl.HasMore {
			if b.BatchControl.Status != "ready" {
				c.t.Fatalf("last batch: %s", b.raw)
			}
			return ack, rows
		}
		c.send(map[string]any{"type": "next_batch", "subscription_id": id, "last_seq_id": b.BatchControl.LastSeqID})
	}
}

// change reads the next message, a change, as "insert [rows]",
// "update [rows] <- [old]" or "delete [old]".
func (c *wsClient) change(sub string) string {
	c.t.Helper()
	m := c.expect("change", sub)
	switch m.ChangeType {
	case "insert":
		return fmt.Sprintf("insert %v", m.Rows)
	case "update":
		return fmt.Sprintf("update %v <- %v", m.Rows, m.OldValues)
	case "delete":
		return fmt.Sprintf("delete %v", m.OldValues)
	}
	c.t.Fatalf("change: %s", m.raw)
	return ""
}

func rowIDs(rows []map[string]any) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = int64(r["id"].(float64))
	}
	return out
}

// eventually polls cond until it holds, for what the server does in the
// background. The bound only keeps a broken server from hanging the run.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wsWait); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, wsWait)
		}
	}
}
