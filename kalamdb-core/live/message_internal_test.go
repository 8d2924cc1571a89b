package live

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// A change message written by AppendJSON is byte for byte what
// encoding/json writes for it (through Row.MarshalJSON), for inserts,
// updates and deletes, empty and several rows, odd column names and every
// kind of wire value; a value JSON cannot hold fails both ways.
func TestChangeMessageAppendJSONMatchesEncodingJSON(t *testing.T) {
	shape := newRowShape([]string{"id", "body", `we"ird <&> ☃`, "n", "f", "ok", "raw"})
	row := func(id int64, body string, f any) Row {
		return Row{shape: shape, vals: []any{id, body, nil, json.Number("-1.5e3"), f, true, json.RawMessage(` {"a": [1, "<"]} `)}}
	}
	a, b := row(1, "hello\n\"you\" <b>&\u2028", 0.1), row(2, "bad\xff", 1e21)
	for _, m := range []*ChangeMessage{
		{Type: "change", SubscriptionID: "s1", ChangeType: "insert", Rows: []Row{a}},
		{Type: "change", SubscriptionID: `sub "x" <&>`, ChangeType: "update", Rows: []Row{a}, OldValues: []Row{b}},
		{Type: "change", SubscriptionID: "s1", ChangeType: "delete", OldValues: []Row{a, b}},
		{Type: "change", SubscriptionID: "s1", ChangeType: "insert", Rows: []Row{}, OldValues: nil},
		{Type: "change", SubscriptionID: "s1", ChangeType: "insert", Rows: []Row{{shape: newRowShape(nil)}}},
		{Type: "change", SubscriptionID: "s1", ChangeType: "insert", Rows: []Row{row(3, "", math.NaN())}},
	} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		wantErr := enc.Encode(m)
		got, err := m.AppendJSON([]byte("x"))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%+v: error %v, encoding/json %v", m, err, wantErr)
		}
		if want := "x" + string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))); err == nil && string(got) != want {
			t.Fatalf("AppendJSON\n%s\nencoding/json\n%s", got, want)
		}
	}
}
