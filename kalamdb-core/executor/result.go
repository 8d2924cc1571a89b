package executor

import "time"

// table builds a row-returning Result for KalamDB statements whose values
// the handler already holds in wire form.
type table struct{ res Result }

func newTable(cols ...string) *table {
	t := &table{}
	// cols alternate name, wire data type.
	for i := 0; i+1 < len(cols); i += 2 {
		t.res.Schema = append(t.res.Schema, Column{Name: cols[i], DataType: cols[i+1], Index: i / 2})
	}
	t.res.Rows = [][]any{}
	return t
}

func (t *table) add(vals ...any) { t.res.Rows = append(t.res.Rows, vals) }

func (t *table) result() Result {
	t.res.RowCount = int64(len(t.res.Rows))
	return t.res
}

// wireTime encodes a timestamp as on the wire: integer milliseconds since
// the Unix epoch, or null when unset.
func wireTime(ts time.Time) any {
	if ts.IsZero() {
		return nil
	}
	return ts.UnixMilli()
}

// wireString encodes an optional string: null when empty.
func wireString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func message(rows int64, format string) Result {
	return Result{RowCount: rows, Message: format}
}
