package live

import (
	"encoding/json"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Message is a server-to-client message of the wire contract (docs/api.md):
// one of *SubscriptionAck, *InitialDataBatch, *ChangeMessage and
// *ErrorMessage. Each marshals with encoding/json to its wire form.
type Message interface {
	// MessageType is the message's "type" field.
	MessageType() string
}

// Batch statuses of batch_control.status.
const (
	StatusLoading      = "loading"
	StatusLoadingBatch = "loading_batch"
	StatusReady        = "ready"
)

// BatchControl is the batch_control object of the ack and of each batch.
type BatchControl struct {
	BatchNum  int    `json:"batch_num"`
	HasMore   bool   `json:"has_more"`
	Status    string `json:"status"`
	LastSeqID int64  `json:"last_seq_id"`
}

// Column is one column of a subscription's schema.
type Column struct {
	Name     string `json:"name"`
	DataType string `json:"data_type"`
	Index    int    `json:"index"`
}

// SubscriptionAck confirms a subscription and gives its schema.
type SubscriptionAck struct {
	Type           string       `json:"type"`
	SubscriptionID string       `json:"subscription_id"`
	TotalRows      int64        `json:"total_rows"`
	BatchControl   BatchControl `json:"batch_control"`
	Schema         []Column     `json:"schema"`
}

// InitialDataBatch is one batch of a subscription's initial rows.
type InitialDataBatch struct {
	Type           string       `json:"type"`
	SubscriptionID string       `json:"subscription_id"`
	Rows           []Row        `json:"rows"`
	BatchControl   BatchControl `json:"batch_control"`
}

// ChangeMessage is one live change of a subscription's result: Rows for
// insert and update, OldValues for update and delete.
type ChangeMessage struct {
	Type           string `json:"type"`
	SubscriptionID string `json:"subscription_id"`
	ChangeType     string `json:"change_type"`
	Rows           []Row  `json:"rows,omitempty"`
	OldValues      []Row  `json:"old_values,omitempty"`
}

// ErrorMessage reports a refused request or the end of a subscription.
type ErrorMessage struct {
	Type           string        `json:"type"`
	SubscriptionID string        `json:"subscription_id,omitempty"`
	Code           apierror.Code `json:"code"`
	Message        string        `json:"message"`
}

// MessageType implements Message.
func (*SubscriptionAck) MessageType() string { return "subscription_ack" }

// MessageType implements Message.
func (*InitialDataBatch) MessageType() string { return "initial_data_batch" }

// MessageType implements Message.
func (*ChangeMessage) MessageType() string { return "change" }

// MessageType implements Message.
func (*ErrorMessage) MessageType() string { return "error" }

// NewError builds an error message; subscriptionID may be "". Like every
// client-facing message it repeats at most a bounded part of the input
// (apierror.Format), the subscription id included: a refused request's id
// may be anything the client sent.
func NewError(subscriptionID string, code apierror.Code, format string, args ...any) *ErrorMessage {
	return &ErrorMessage{Type: "error", SubscriptionID: apierror.Clip(subscriptionID), Code: code,
		Message: apierror.Format(format, args...)}
}

// Row is one result row as a JSON object keyed by column name, in the
// subscription's column order (a Go map would lose the order). Values are
// already wire-encoded (docs/api.md, "Values in rows").
type Row struct {
	// shape is shared by every row of a subscription.
	shape *rowShape
	vals  []any
}

// rowShape is the column names of a subscription's rows, with each name
// pre-encoded as a JSON object key (`"name":`).
type rowShape struct {
	names []string
	keys  [][]byte
}

func newRowShape(names []string) *rowShape {
	s := &rowShape{names: names, keys: make([][]byte, len(names))}
	for i, n := range names {
		k, _ := json.Marshal(n) // a string always marshals
		s.keys[i] = append(k, ':')
	}
	return s
}

// MarshalJSON implements json.Marshaler.
func (r Row) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, 2+24*len(r.vals)))
}

// appendJSON appends the row as a JSON object, its values written by
// row.AppendJSON ('<', '>' and '&' not rewritten as \u escapes, as the
// HTTP API).
func (r Row) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	var err error
	for i, key := range r.shape.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, key...)
		if b, err = row.AppendJSON(b, r.vals[i]); err != nil {
			return b, fmt.Errorf("column %s: %w", r.shape.names[i], err)
		}
	}
	return append(b, '}'), nil
}

func appendRows(b []byte, rows []Row) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = r.appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// AppendJSON appends the message's wire form, what encoding/json writes
// for it (without a newline), without going through reflection and
// MarshalJSON's copy and re-validation of each row: change messages are
// written on every commit a subscriber sees, right after it.
func (m *ChangeMessage) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = row.AppendJSONString(b, m.Type)
	b = append(b, `,"subscription_id":`...)
	b = row.AppendJSONString(b, m.SubscriptionID)
	b = append(b, `,"change_type":`...)
	b = row.AppendJSONString(b, m.ChangeType)
	var err error
	if len(m.Rows) > 0 {
		b = append(b, `,"rows":`...)
		if b, err = appendRows(b, m.Rows); err != nil {
			return b, err
		}
	}
	if len(m.OldValues) > 0 {
		b = append(b, `,"old_values":`...)
		if b, err = appendRows(b, m.OldValues); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
