package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func testPrinter(format Format, width int) (*printer, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &printer{out: &outWriter{w: &out}, errOut: &errOut, format: format, timing: true,
		width: func() int { return width }}, &out, &errOut
}

func sampleResult() *Result {
	return &Result{
		Schema: []Column{{"id", "BigInt"}, {"body", "Text"}, {"doc", "Json"}, {"at", "Timestamp"}, {"b", "Bytes"}},
		Rows: [][]json.RawMessage{
			{raw("1"), raw(`""`), raw(`{ "b": 1, "a": [1, 2] }`), raw("1796420785092"), raw(`"AQI="`)},
			{raw("22"), raw("null"), raw("null"), raw("null"), raw("null")},
		},
		RowCount: 2, AsUser: "root",
	}
}

func TestTableShowsTypedValues(t *testing.T) {
	p, out, _ := testPrinter(FormatTable, 0)
	if err := p.result(sampleResult(), 1.5, "root"); err != nil {
		t.Fatal(err)
	}
	want := ` id | body | doc               | at                       | b
----+------+-------------------+--------------------------+--------
  1 |      | {"b":1,"a":[1,2]} | 2026-12-04T21:46:25.092Z | \x0102
 22 | NULL | NULL              | NULL                     | NULL
(2 rows, 1.500 ms)

`
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestTableFooterNamesAnotherUserAndTimingOff(t *testing.T) {
	p, out, _ := testPrinter(FormatTable, 0)
	p.timing = false
	r := &Result{Message: "1 rows affected", RowCount: 1, AsUser: "alice"}
	if err := p.result(r, 2, "root"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "1 rows affected\n(1 row, as alice)\n\n" {
		t.Fatalf("got %q", got)
	}
}

func TestTableFitsTheTerminal(t *testing.T) {
	r := &Result{Schema: []Column{{"id", "Int"}, {"long", "Text"}, {"other", "Text"}},
		Rows: [][]json.RawMessage{{raw("1"), raw(`"` + strings.Repeat("x", 200) + `"`), raw(`"short"`)}}, RowCount: 1}
	p, out, _ := testPrinter(FormatTable, 40)
	if err := p.result(r, -1, ""); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if w := runewidth.StringWidth(line); w > 40 {
			t.Fatalf("line of width %d > 40: %q", w, line)
		}
	}
	if !strings.Contains(out.String(), "x…") || !strings.Contains(out.String(), "short") {
		t.Fatalf("the long column must be cut with an ellipsis and the short one kept:\n%s", out.String())
	}
}

func TestTooManyColumnsGoExpanded(t *testing.T) {
	var schema []Column
	var row []json.RawMessage
	for i := 0; i < 8; i++ {
		schema = append(schema, Column{"column_" + string(rune('a'+i)), "Text"})
		row = append(row, raw(`"value number `+string(rune('a'+i))+` `+strings.Repeat("v", 40)+`"`))
	}
	r := &Result{Schema: schema, Rows: [][]json.RawMessage{row}, RowCount: 1}
	p, out, _ := testPrinter(FormatTable, 30)
	if err := p.result(r, -1, ""); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, "-[ RECORD 1 ]") {
		t.Fatalf("want the expanded layout:\n%s", s)
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if w := runewidth.StringWidth(line); w > 30 {
			t.Fatalf("line of width %d > 30: %q", w, line)
		}
	}
	// Wrapped, not cut: every character of the value is there.
	joined := strings.ReplaceAll(s, "\n", "")
	if strings.Count(joined, "v") < 8*40 {
		t.Fatalf("values were cut in the expanded layout:\n%s", s)
	}
}

func TestFitWidths(t *testing.T) {
	w, ok := fitWidths([]int{2, 100, 5}, 40)
	if !ok || w[0] != 2 || w[2] != 5 || w[0]+w[1]+w[2]+3*3-1 != 40 {
		t.Fatalf("fitWidths = %v %v", w, ok)
	}
	if _, ok := fitWidths([]int{20, 20, 20, 20}, 30); ok {
		t.Fatal("four columns cannot fit 30 columns at the minimum width")
	}
	if w, ok := fitWidths([]int{3, 4}, 0); !ok || w[0] != 3 || w[1] != 4 {
		t.Fatal("width 0 keeps the natural widths")
	}
}

func TestSanitizeStopsTerminalEscapes(t *testing.T) {
	got := sanitize("a\x1b[31mb\nc\td\u009be")
	if strings.ContainsAny(got, "\x1b\n\t\u009b") {
		t.Fatalf("control characters survive: %q", got)
	}
	if got != `a\x1b[31mb↵c d\x9be` {
		t.Fatalf("sanitize = %q", got)
	}
}

func TestJSONFormat(t *testing.T) {
	p, out, _ := testPrinter(FormatJSON, 0)
	r := sampleResult()
	r.Schema = append(r.Schema, Column{"id", "BigInt"})
	r.Rows[0] = append(r.Rows[0], raw("9007199254740993"))
	r.Rows[1] = append(r.Rows[1], raw("2"))
	if err := p.result(r, 0.25, "root"); err != nil {
		t.Fatal(err)
	}
	want := `{"columns":[{"name":"id","type":"BigInt"},{"name":"body","type":"Text"},{"name":"doc","type":"Json"},{"name":"at","type":"Timestamp"},{"name":"b","type":"Bytes"},{"name":"id","type":"BigInt"}],` +
		`"rows":[{"id":1,"body":"","doc":{"b":1,"a":[1,2]},"at":"2026-12-04T21:46:25.092Z","b":"AQI=","id_2":9007199254740993},` +
		`{"id":22,"body":null,"doc":null,"at":null,"b":null,"id_2":2}],"row_count":2,"as_user":"root","took_ms":0.25}` + "\n"
	if out.String() != want {
		t.Fatalf("got  %s\nwant %s", out.String(), want)
	}
	var v any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}

func TestCSVKeepsNullApartFromEmpty(t *testing.T) {
	p, out, errOut := testPrinter(FormatCSV, 0)
	r := &Result{Schema: []Column{{"a", "Text"}, {"b", "Text"}, {"c", "Int"}},
		Rows: [][]json.RawMessage{{raw(`""`), raw("null"), raw("1")}, {raw(`"x,\"y\""`), raw(`" lead"`), raw("null")}}, RowCount: 2}
	if err := p.result(r, 1, ""); err != nil {
		t.Fatal(err)
	}
	want := "a,b,c\r\n\"\",,1\r\n\"x,\"\"y\"\"\",\" lead\",\r\n"
	if out.String() != want {
		t.Fatalf("got %q want %q", out.String(), want)
	}
	if err := p.result(&Result{Message: "Table created", RowCount: 1}, 1, ""); err != nil {
		t.Fatal(err)
	}
	if out.String() != want || !strings.Contains(errOut.String(), "Table created") {
		t.Fatal("a message must go to stderr, keeping stdout pure CSV")
	}
}

func TestOutputErrorIsKept(t *testing.T) {
	w := &outWriter{w: failingWriter{}}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("want the write error")
	}
	if _, err := w.Write([]byte("y")); err == nil || exitCode(err) != ExitFailed {
		t.Fatalf("later writes must keep failing with exit status 1: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errBrokenPipe }

var errBrokenPipe = &json.UnsupportedValueError{Str: "broken pipe"}

func TestLiveRowOrder(t *testing.T) {
	schema := []Column{{"id", "BigInt"}, {"at", "Timestamp"}}
	got := string(orderedRow(schema, map[string]json.RawMessage{"_seq": raw("9"), "at": raw("0"), "id": raw("1")}))
	if got != `{"id":1,"at":"1970-01-01T00:00:00.000Z","_seq":9}` {
		t.Fatalf("orderedRow = %s", got)
	}
}
