package executor

import (
	"encoding/json"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
)

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

// holdRows accounts for the rows of a result the executor built itself
// (SHOW, DESCRIBE) as the engine does for a query's: they count against
// the request's max_result_bytes, and they are reserved for the request
// that answers them (Request.Memory), given back once it has.
func (x *Executor) holdRows(b *batch, res Result) error {
	if len(res.Rows) == 0 {
		return nil
	}
	var size int64
	for _, r := range res.Rows {
		size += rowWireSize(r)
	}
	if b.resultBytes+size > x.limits.MaxResultBytes {
		return engine.ResultTooLarge(x.limits.MaxResultBytes)
	}
	if !b.memory.Reserve(size) {
		return b.memory.Refusal()
	}
	b.resultBytes += size
	return nil
}

// rowWireSize is about the size of a row of a result the executor built
// in the JSON answer: its values as the engine measures them, and the
// structured ones (DESCRIBE HISTORY's column lists) as encoded.
func rowWireSize(r []any) int64 {
	var n int64
	for _, v := range r {
		switch v.(type) {
		case map[string]any, []map[string]any, []any:
			enc, err := json.Marshal(v)
			if err != nil {
				return n + 24
			}
			n += int64(len(enc))
		default:
			n += engine.ValuesSize([]any{v})
		}
	}
	return n
}
