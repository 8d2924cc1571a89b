package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Format is how results are printed.
type Format string

// The output formats.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
)

// parseFormat reads a format name.
func parseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatJSON, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want table, json or csv", s)
}

// outWriter remembers the first error writing to it, so that output to a
// closed pipe ends the run instead of going on unseen.
type outWriter struct {
	w   io.Writer
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = &outputError{err: err}
		return n, o.err
	}
	return n, nil
}

// outputError is a failure to write the results: the reader went away (a
// closed pipe) or the disk is full. Nothing more can be shown, so the run
// ends.
type outputError struct{ err error }

func (e *outputError) Error() string { return "writing the output: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// printer writes results in the chosen format.
type printer struct {
	out    *outWriter
	errOut io.Writer
	format Format
	color  bool // colour on stdout
	// errColor is colour on stderr.
	errColor bool
	// width returns the width to fit tables to; 0 means unlimited.
	width  func() int
	timing bool
}

// footer is the closing line of a result: its row count, who it ran as
// when that is not the signed-in user, and the time.
func (p *printer) footer(r *Result, took float64, me string) string {
	parts := []string{plural(r.RowCount, "row")}
	if r.AsUser != "" && r.AsUser != me {
		parts = append(parts, "as "+r.AsUser)
	}
	if p.timing && took >= 0 {
		parts = append(parts, formatMillisTook(took))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func formatMillisTook(ms float64) string {
	return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

// result prints one statement's result. took < 0 leaves the time out (the
// results of a transaction share one time, shown on the last).
func (p *printer) result(r *Result, took float64, me string) error {
	switch p.format {
	case FormatJSON:
		return p.resultJSON(r, took)
	case FormatCSV:
		if !r.HasRows() {
			_, err := fmt.Fprintln(p.errOut, r.Message)
			return err
		}
		return p.resultCSV(r)
	}
	var b strings.Builder
	if r.HasRows() {
		t := &table{headers: columnNames(r.Schema), color: p.color, width: p.width()}
		t.rows = make([][]cell, len(r.Rows))
		for i, row := range r.Rows {
			t.rows[i] = rowCells(r.Schema, row)
		}
		if err := t.render(p.out); err != nil {
			return err
		}
	} else {
		b.WriteString(sanitize(r.Message))
		b.WriteByte('\n')
	}
	b.WriteString(styled(p.color, styleDim, p.footer(r, took, me)))
	b.WriteString("\n\n")
	_, err := io.WriteString(p.out, b.String())
	return err
}

func columnNames(schema []Column) []string {
	out := make([]string, len(schema))
	for i, c := range schema {
		out[i] = c.Name
	}
	return out
}

func rowCells(schema []Column, row []json.RawMessage) []cell {
	cells := make([]cell, len(schema))
	for i := range schema {
		if i < len(row) {
			cells[i] = textOf(row[i], schema[i].DataType)
		} else {
			cells[i] = cell{text: "NULL", null: true}
		}
	}
	return cells
}

// uniqueNames returns the column names as JSON object keys: a name that
// repeats (two tables' "id" in a join) gets a suffix _2, _3, ... so no
// value is lost.
func uniqueNames(schema []Column) []string {
	seen := make(map[string]bool, len(schema))
	out := make([]string, len(schema))
	for i, c := range schema {
		name := c.Name
		for k := 2; seen[name]; k++ {
			name = c.Name + "_" + strconv.Itoa(k)
		}
		seen[name] = true
		out[i] = name
	}
	return out
}

// resultJSON writes one result as one JSON line: its columns, its rows as
// objects, its row count, who it ran as and the request's time.
func (p *printer) resultJSON(r *Result, took float64) error {
	var b bytes.Buffer
	b.WriteByte('{')
	if r.HasRows() {
		cols := make([]map[string]string, len(r.Schema))
		for i, c := range r.Schema {
			cols[i] = map[string]string{"name": c.Name, "type": c.DataType}
		}
		colsJSON, err := json.Marshal(cols)
		if err != nil {
			return err
		}
		b.WriteString(`"columns":`)
		b.Write(colsJSON)
		b.WriteString(`,"rows":[`)
		names := uniqueNames(r.Schema)
		for i, row := range r.Rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, name := range names {
				if j > 0 {
					b.WriteByte(',')
				}
				writeJSONString(&b, name)
				b.WriteByte(':')
				var v json.RawMessage
				if j < len(row) {
					v = row[j]
				}
				b.Write(jsonValueOf(v, r.Schema[j].DataType))
			}
			b.WriteByte('}')
		}
		b.WriteString(`],`)
	} else {
		b.WriteString(`"message":`)
		writeJSONString(&b, r.Message)
		b.WriteByte(',')
	}
	fmt.Fprintf(&b, `"row_count":%d`, r.RowCount)
	if r.AsUser != "" {
		b.WriteString(`,"as_user":`)
		writeJSONString(&b, r.AsUser)
	}
	if took >= 0 {
		b.WriteString(`,"took_ms":`)
		b.WriteString(strconv.FormatFloat(took, 'f', -1, 64))
	}
	b.WriteString("}\n")
	_, err := p.out.Write(b.Bytes())
	return err
}

func writeJSONString(b *bytes.Buffer, s string) {
	raw, _ := json.Marshal(s)
	b.Write(raw)
}

// resultCSV writes a header and the rows. NULL is an empty field and the
// empty string a quoted empty field, as PostgreSQL's CSV does, so the two
// stay apart.
func (p *printer) resultCSV(r *Result) error {
	var b strings.Builder
	for i, c := range r.Schema {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(csvField(c.Name, false))
	}
	b.WriteString("\r\n")
	for _, row := range r.Rows {
		for i, c := range rowCells(r.Schema, row) {
			if i > 0 {
				b.WriteByte(',')
			}
			if !c.null {
				b.WriteString(csvField(c.text, true))
			}
		}
		b.WriteString("\r\n")
		if b.Len() > 64<<10 {
			if _, err := io.WriteString(p.out, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(p.out, b.String())
	return err
}

// csvField quotes a field when it needs it (RFC 4180); quoteEmpty quotes
// the empty string, which an unquoted empty field (NULL) is not.
func csvField(s string, quoteEmpty bool) string {
	if s == "" {
		if quoteEmpty {
			return `""`
		}
		return ""
	}
	if !strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[len(s)-1] != ' ' {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// orderedRow writes a live row (an object keyed by column name) as a JSON
// object: the schema's columns in order, typed, then any other keys (such
// as _seq) sorted.
func orderedRow(schema []Column, row map[string]json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	done := make(map[string]bool, len(schema))
	first := true
	write := func(name string, v json.RawMessage) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, name)
		b.WriteByte(':')
		b.Write(v)
	}
	for _, c := range schema {
		if v, ok := row[c.Name]; ok && !done[c.Name] {
			write(c.Name, jsonValueOf(v, c.DataType))
			done[c.Name] = true
		}
	}
	var rest []string
	for k := range row {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		write(k, jsonValueOf(row[k], ""))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonRow makes a result row of strings.
func jsonRow(values ...string) []json.RawMessage {
	row := make([]json.RawMessage, len(values))
	for i, v := range values {
		raw, _ := json.Marshal(v)
		row[i] = raw
	}
	return row
}
