package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// subscriptionID is the id the client gives its one subscription per
// connection.
const subscriptionID = "kalam-cli"

// maxLiveMessageBytes bounds one message from the server (initial batches
// are the large ones).
const maxLiveMessageBytes = 64 << 20

// LiveEvent is one step of a live query: the acknowledgement with the
// schema, a batch of initial rows, the end of the initial data, or a
// change.
type LiveEvent struct {
	Kind      string // ack, initial, ready, insert, update, delete
	Schema    []Column
	TotalRows int64
	Rows      []map[string]json.RawMessage
	Old       []map[string]json.RawMessage
}

// liveMessage is any message of the server on /v1/ws.
type liveMessage struct {
	Type         string `json:"type"`
	TotalRows    int64  `json:"total_rows"`
	BatchControl struct {
		HasMore bool   `json:"has_more"`
		Status  string `json:"status"`
	} `json:"batch_control"`
	Schema     []Column                     `json:"schema"`
	Rows       []map[string]json.RawMessage `json:"rows"`
	OldValues  []map[string]json.RawMessage `json:"old_values"`
	ChangeType string                       `json:"change_type"`
	Code       string                       `json:"code"`
	Message    string                       `json:"message"`
}

// wsURL is the WebSocket endpoint of the server.
func (c *Client) wsURL() string {
	switch {
	case strings.HasPrefix(c.base, "https://"):
		return "wss://" + strings.TrimPrefix(c.base, "https://") + "/v1/ws"
	default:
		return "ws://" + strings.TrimPrefix(c.base, "http://") + "/v1/ws"
	}
}

// Subscribe runs a live query until ctx ends or the server ends it, passing
// every event to handle. It returns ctx's error when ctx ended it, the
// server's *apierror.Error when the server refused or ended the
// subscription, and a *ConnError when the connection failed or closed.
func (c *Client) Subscribe(ctx context.Context, sql string, handle func(LiveEvent) error) error {
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	conn, _, err := websocket.Dial(ctx, c.wsURL(), &websocket.DialOptions{HTTPClient: c.http})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ConnError{URL: c.base, Err: err}
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxLiveMessageBytes)

	frames := make(chan frame)
	quit := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			// Not ctx: a cancelled read would close the socket before the
			// client could say goodbye.
			_, data, err := conn.Read(context.Background())
			select {
			case frames <- frame{data, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(quit)
		_ = conn.CloseNow()
		<-readerDone
	}()

	send := func(v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := conn.Write(wctx, websocket.MessageText, raw); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &ConnError{URL: c.base, Err: err}
		}
		return nil
	}
	recv := func() (*liveMessage, error) {
		select {
		case <-ctx.Done():
			// Say goodbye so the server drops the subscription at once.
			_ = conn.Close(websocket.StatusNormalClosure, "")
			return nil, ctx.Err()
		case f := <-frames:
			if f.err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, &ConnError{URL: c.base, Err: fmt.Errorf("the live connection ended: %w", f.err)}
			}
			var m liveMessage
			if err := json.Unmarshal(f.data, &m); err != nil {
				return nil, fmt.Errorf("unreadable message from the server: %w", err)
			}
			return &m, nil
		}
	}

	if err := send(map[string]string{"type": "authenticate", "method": "jwt", "token": token}); err != nil {
		return err
	}
	m, err := recv()
	if err != nil {
		return err
	}
	switch m.Type {
	case "auth_success":
	case "auth_error":
		return &apierror.Error{Code: apierror.Unauthorized, Message: m.Message}
	default:
		return fmt.Errorf("unexpected %q message before authentication", m.Type)
	}
	if err := send(map[string]any{"type": "subscribe",
		"subscription": map[string]any{"id": subscriptionID, "sql": sql}}); err != nil {
		return err
	}
	for {
		m, err := recv()
		if err != nil {
			return err
		}
		var ev LiveEvent
		switch m.Type {
		case "subscription_ack":
			ev = LiveEvent{Kind: "ack", Schema: m.Schema, TotalRows: m.TotalRows}
		case "initial_data_batch":
			if err := handle(LiveEvent{Kind: "initial", Rows: m.Rows}); err != nil {
				return err
			}
			if m.BatchControl.HasMore {
				if err := send(map[string]any{"type": "next_batch", "subscription_id": subscriptionID}); err != nil {
					return err
				}
				continue
			}
			ev = LiveEvent{Kind: "ready"}
		case "change":
			ev = LiveEvent{Kind: m.ChangeType, Rows: m.Rows, Old: m.OldValues}
		case "error":
			return &apierror.Error{Code: apierror.Code(m.Code), Message: m.Message}
		default:
			continue
		}
		if err := handle(ev); err != nil {
			return err
		}
	}
}

type frame struct {
	data []byte
	err  error
}

// subscribe runs a live query and prints it: as JSON lines when stream is
// set (--subscribe) or the format is json, otherwise the initial rows as a
// result and then one line per change. It ends with ctx (Ctrl-C).
func (s *session) subscribe(ctx context.Context, sql string, stream bool) error {
	sql = strings.TrimRight(strings.TrimSpace(sql), "; \t\r\n")
	if sql == "" {
		return &usageError{msg: "a live query needs a SELECT: \\subscribe SELECT * FROM ns.table"}
	}
	asJSON := stream || s.p.format == FormatJSON
	var schema []Column
	var initial [][]json.RawMessage
	initialCount := int64(0)
	out := s.p.out
	handle := func(ev LiveEvent) error {
		switch ev.Kind {
		case "ack":
			schema = ev.Schema
			return nil
		case "initial":
			for _, row := range ev.Rows {
				initialCount++
				if asJSON {
					if err := writeLiveLine(out, "initial", schema, row, nil); err != nil {
						return err
					}
					continue
				}
				initial = append(initial, rowValues(schema, row))
			}
			return nil
		case "ready":
			if asJSON {
				_, err := fmt.Fprintf(out, "{\"kind\":\"ready\",\"initial_rows\":%d}\n", initialCount)
				return err
			}
			r := &Result{Schema: schema, Rows: initial, RowCount: initialCount}
			if s.p.format == FormatCSV {
				if err := s.p.resultCSV(r); err != nil {
					return err
				}
			} else if err := s.p.result(r, -1, ""); err != nil {
				return err
			}
			initial = nil
			_, err := fmt.Fprintln(s.stderr, styled(s.p.errColor, styleDim, "Live: waiting for changes (Ctrl-C to stop)"))
			return err
		}
		if asJSON {
			for i := 0; i < max(len(ev.Rows), len(ev.Old)); i++ {
				var row, old map[string]json.RawMessage
				if i < len(ev.Rows) {
					row = ev.Rows[i]
				}
				if i < len(ev.Old) {
					old = ev.Old[i]
				}
				if err := writeLiveLine(out, ev.Kind, schema, row, old); err != nil {
					return err
				}
			}
			return nil
		}
		return s.printChange(ev, schema)
	}
	err := s.client.Subscribe(ctx, sql, handle)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		if !stream {
			fmt.Fprintln(s.stderr, "Live query stopped.")
		}
	}
	return err
}

// rowValues orders a live row by the schema.
func rowValues(schema []Column, row map[string]json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, len(schema))
	for i, c := range schema {
		out[i] = row[c.Name]
	}
	return out
}

// writeLiveLine writes one event as a JSON line:
// {"kind":"insert","row":{...}} with "old" for updates and deletes.
func writeLiveLine(w *outWriter, kind string, schema []Column, row, old map[string]json.RawMessage) error {
	var b bytes.Buffer
	b.WriteString(`{"kind":`)
	writeJSONString(&b, kind)
	if row != nil {
		b.WriteString(`,"row":`)
		b.Write(orderedRow(schema, row))
	}
	if old != nil {
		b.WriteString(`,"old":`)
		b.Write(orderedRow(schema, old))
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// printChange shows a change on one line per row: its kind, then the
// columns as name=value, and for an update the values it replaced.
func (s *session) printChange(ev LiveEvent, schema []Column) error {
	style := map[string]string{"insert": styleGreen, "update": styleYel, "delete": styleRed}[ev.Kind]
	var b strings.Builder
	n := max(len(ev.Rows), len(ev.Old))
	for i := 0; i < n; i++ {
		b.WriteString(styled(s.p.color, style, fmt.Sprintf("%-6s", ev.Kind)))
		b.WriteString("  ")
		switch {
		case i < len(ev.Rows):
			b.WriteString(liveFields(schema, ev.Rows[i]))
			if i < len(ev.Old) && ev.Kind == "update" {
				b.WriteString(styled(s.p.color, styleDim, "  (was "+liveFields(schema, ev.Old[i])+")"))
			}
		default:
			b.WriteString(liveFields(schema, ev.Old[i]))
		}
		b.WriteByte('\n')
	}
	_, err := fmt.Fprint(s.p.out, b.String())
	return err
}

// liveFields renders a live row as name=value pairs in schema order.
func liveFields(schema []Column, row map[string]json.RawMessage) string {
	parts := make([]string, 0, len(schema))
	for _, c := range schema {
		v, ok := row[c.Name]
		if !ok {
			continue
		}
		parts = append(parts, c.Name+"="+sanitize(textOf(v, c.DataType).text))
	}
	return strings.Join(parts, ", ")
}
