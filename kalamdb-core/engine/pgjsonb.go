package engine

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// JSON values order as PostgreSQL's jsonb does (its btree order, which
// <, <=, >, >=, BETWEEN, GREATEST/LEAST and ORDER BY use):
//
//   - kinds: object > array > boolean > number > string > null;
//   - objects with more pairs are greater; objects with as many pairs
//     compare pair by pair, key then value, in jsonb's storage order of
//     keys (shorter keys first, then by bytes), each key compared as text;
//   - arrays with more elements are greater, then element by element;
//   - strings compare as text (by code point here, as all text does),
//     numbers by value, false < true;
//   - a top-level scalar is, in jsonb, stored as a one-element array
//     marked raw, and is compared as one: below every array of one or more
//     elements but above the empty array, so a top-level [] is the least
//     of all JSON values (below null), while a nested [] is above every
//     scalar.
//
// compareJSONB is the order, walking two values to their first
// difference: the comparisons call it, and a sort reads a JSON key as
// kdb_json_order, the value typed so that the sort compares with it.
// appendJSONBKey writes a byte key whose bytes.Compare order is the same
// (the tests check both against PostgreSQL on every pair): a GROUP BY,
// count(DISTINCT), DISTINCT aggregate or hash join on JSON reads it
// (kdb_json_key), so values group exactly when jsonb's = holds (-0 equals
// 0, 1.0 equals 1).

// Kind tags of a nested value, in jsonb's order of kinds.
const (
	jsonbNull   = 0x10
	jsonbString = 0x20
	jsonbNumber = 0x30
	jsonbBool   = 0x40
	jsonbArray  = 0x50
	jsonbObject = 0x60
)

// jsonbOps names the JSON order comparisons, for plans (EXPLAIN). = and
// <=> stay the engine's, which agree with the order (equal values compare
// 0) and keep hash joins on JSON.
var jsonbOps = map[string]string{
	"<": "kdb_json_lt", "<=": "kdb_json_le", ">": "kdb_json_gt", ">=": "kdb_json_ge",
}

// compareJSONB orders two non-NULL JSON values (any engine
// representation) as jsonb does. It walks both values and stops at their
// first difference: a sort calls it for every comparison it makes.
func compareJSONB(a, b any) (int, error) {
	x, err := jsonValue(a)
	if err != nil {
		return 0, err
	}
	y, err := jsonValue(b)
	if err != nil {
		return 0, err
	}
	if x, err = plainJSON(x); err != nil {
		return 0, err
	}
	if y, err = plainJSON(y); err != nil {
		return 0, err
	}
	// Objects are above everything else at the top, as nested.
	_, xObj := x.(map[string]any)
	_, yObj := y.(map[string]any)
	if xObj || yObj {
		return cmpJSONBValue(x, y)
	}
	// Arrays and scalars: the element count first (a scalar is a raw
	// one-element array), then a raw scalar before a real array.
	xs, xArr := x.([]any)
	ys, yArr := y.([]any)
	xn, yn := 1, 1
	if xArr {
		xn = len(xs)
	}
	if yArr {
		yn = len(ys)
	}
	switch {
	case xn != yn:
		return cmpInt(int64(xn), int64(yn)), nil
	case xArr != yArr:
		if xArr {
			return 1, nil
		}
		return -1, nil
	}
	return cmpJSONBValue(x, y)
}

// cmpJSONBValue orders two values nested in arrays or objects (or two
// top-level objects, or two top-level arrays of one length, or two
// top-level scalars): kinds first, then contents.
func cmpJSONBValue(x, y any) (int, error) {
	x, kx, err := jsonbKind(x)
	if err != nil {
		return 0, err
	}
	y, ky, err := jsonbKind(y)
	if err != nil {
		return 0, err
	}
	if kx != ky {
		return cmpInt(int64(kx), int64(ky)), nil
	}
	switch kx {
	case jsonbString:
		return strings.Compare(x.(string), y.(string)), nil
	case jsonbNumber:
		return cmpFloat(x.(float64), y.(float64)), nil // -0 is 0
	case jsonbBool:
		return cmpInt(boolInt(x.(bool)), boolInt(y.(bool))), nil
	case jsonbArray:
		xs, ys := x.([]any), y.([]any)
		if len(xs) != len(ys) {
			return cmpInt(int64(len(xs)), int64(len(ys))), nil
		}
		for i := range xs {
			if c, err := cmpJSONBValue(xs[i], ys[i]); c != 0 || err != nil {
				return c, err
			}
		}
	case jsonbObject:
		xm, ym := x.(map[string]any), y.(map[string]any)
		if len(xm) != len(ym) {
			return cmpInt(int64(len(xm)), int64(len(ym))), nil
		}
		var xbuf, ybuf [8]string
		xk, yk := jsonbKeys(xm, xbuf[:0]), jsonbKeys(ym, ybuf[:0])
		for i := range xk {
			if c := strings.Compare(xk[i], yk[i]); c != 0 {
				return c, nil
			}
			if c, err := cmpJSONBValue(xm[xk[i]], ym[yk[i]]); c != 0 || err != nil {
				return c, err
			}
		}
	}
	return 0, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// jsonbKind is a JSON value's kind tag, with the value as a plain Go
// value (numbers as float64).
func jsonbKind(v any) (any, int, error) {
	switch x := v.(type) {
	case nil:
		return nil, jsonbNull, nil
	case string:
		return x, jsonbString, nil
	case float64:
		return x, jsonbNumber, nil
	case bool:
		return x, jsonbBool, nil
	case []any:
		return x, jsonbArray, nil
	case map[string]any:
		return x, jsonbObject, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, 0, execError("invalid JSON number %q", string(x))
		}
		return f, jsonbNumber, nil
	}
	if f, ok := toFloat64(v); ok {
		return f, jsonbNumber, nil
	}
	// A value of another Go type (a JSON function's result may hold
	// one) is ordered as the JSON it marshals to.
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, 0, execError("invalid JSON value: %v", err)
	}
	plain, err := decodeJSON(raw)
	if err != nil {
		return nil, 0, err
	}
	return jsonbKind(plain)
}

// jsonbKeys appends m's keys to buf in jsonb's storage order: by length,
// then by bytes.
func jsonbKeys(m map[string]any, buf []string) []string {
	start := len(buf)
	if len(m) > 16 {
		for k := range m {
			buf = append(buf, k)
		}
		keys := buf[start:]
		sort.Slice(keys, func(i, j int) bool { return jsonbKeyLess(keys[i], keys[j]) })
		return buf
	}
	for k := range m {
		// Insertion sort: most objects are small, and sort.Slice's
		// closure and swapper cost more than the sort itself (it runs
		// at every comparison of two objects).
		i := len(buf)
		buf = append(buf, k)
		for ; i > start && jsonbKeyLess(k, buf[i-1]); i-- {
			buf[i] = buf[i-1]
		}
		buf[i] = k
	}
	return buf
}

// appendJSONBKey appends the order key of a top-level JSON value. A
// top-level array or scalar is, as in jsonb, an array first: its element
// count, then whether it is a real array (a scalar is a raw one-element
// array, which sorts first), then its contents.
func appendJSONBKey(b []byte, v any) ([]byte, error) {
	val, err := jsonValue(v)
	if err != nil {
		return nil, err
	}
	val, err = plainJSON(val)
	if err != nil {
		return nil, err
	}
	switch x := val.(type) {
	case map[string]any:
		return appendJSONBValue(b, x)
	case []any:
		b = keyenc.AppendUint64(append(b, jsonbArray), uint64(len(x)))
		b = append(b, 1)
		for _, e := range x {
			if b, err = appendJSONBValue(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	b = keyenc.AppendUint64(append(b, jsonbArray), 1)
	return appendJSONBValue(append(b, 0), val)
}

// appendJSONBValue appends the order key of a value nested in an array or
// object (or of a top-level object): its kind, then its contents. Every
// key is prefix-free, so the key of a container, its parts' keys one
// after the other, compares as its parts do in order.
func appendJSONBValue(b []byte, v any) ([]byte, error) {
	v, kind, err := jsonbKind(v)
	if err != nil {
		return nil, err
	}
	b = append(b, byte(kind))
	switch kind {
	case jsonbString:
		return keyenc.AppendString(b, v.(string)), nil
	case jsonbNumber:
		return keyenc.AppendFloat64(b, v.(float64)), nil // -0 is 0
	case jsonbBool:
		return keyenc.AppendBool(b, v.(bool)), nil
	case jsonbArray:
		xs := v.([]any)
		b = keyenc.AppendUint64(b, uint64(len(xs)))
		for _, e := range xs {
			if b, err = appendJSONBValue(b, e); err != nil {
				return nil, err
			}
		}
	case jsonbObject:
		m := v.(map[string]any)
		b = keyenc.AppendUint64(b, uint64(len(m)))
		for _, k := range jsonbKeys(m, make([]string, 0, len(m))) {
			b = keyenc.AppendString(b, k)
			if b, err = appendJSONBValue(b, m[k]); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// plainJSON is v as encoding/json's plain Go values (maps, slices,
// strings, float64, bools, nil): v itself when it is one of them at the
// top, else v marshalled and decoded again.
func plainJSON(v any) (any, error) {
	switch v.(type) {
	case nil, string, bool, []any, map[string]any, float64, json.Number:
		return v, nil
	}
	if _, ok := toFloat64(v); ok {
		return v, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, execError("invalid JSON value: %v", err)
	}
	return decodeJSON(raw)
}

// jsonOrderKey is a JSON sort key (kdb_json_order): the value itself,
// decoded, of a type whose Compare is jsonb's order. The engine's sort
// evaluates its keys at every comparison, so a byte key would be built
// O(n log n) times; the value is compared where it differs first.
func jsonOrderKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_json_order takes one argument")
	}
	f := newFuncOfType(args, jsonbOrderType{}, func(_ *sql.Context, vals []any) (any, error) {
		if d, ok := vals[0].(types.JSONDocument); ok {
			return d, nil
		}
		v, err := jsonValue(vals[0])
		return types.JSONDocument{Val: v}, err
	})
	f.name, f.build = "kdb_json_order", jsonOrderKey
	return f, nil
}

// jsonbOrderType is the type of kdb_json_order: JSON compared by jsonb's
// order. It is not the engine's JSON type, so a key is never wrapped
// twice.
type jsonbOrderType struct{ types.JsonType }

// Compare implements sql.Type: NULLs as the engine's types do, values by
// jsonb's order. It fails once ctx has ended: the engine's sort never
// looks at the statement's context, and a sort of large documents (or of
// keys computed from text, t::json, decoded at every comparison) could
// otherwise run long past the statement's time limit or a cancel. The
// sort keeps the first error and stops comparing.
func (jsonbOrderType) Compare(ctx context.Context, a, b any) (int, error) {
	if err := statementEnded(ctx); err != nil {
		return 0, err
	}
	if hasNulls, res := types.CompareNulls(a, b); hasNulls {
		return res, nil
	}
	return compareJSONB(a, b)
}

// jsonEqualKey is a JSON value's byte key (kdb_json_key): equal exactly
// when the values are jsonb-equal, for grouping.
func jsonEqualKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_json_key takes one argument")
	}
	f := newFuncOfType(args, types.LongBlob, func(_ *sql.Context, vals []any) (any, error) {
		return appendJSONBKey(nil, vals[0])
	})
	f.name, f.build = "kdb_json_key", jsonEqualKey
	return f, nil
}

// buildJSONCompare builds a JSON order comparison (<, <=, >, >=).
func buildJSONCompare(op string) fnBuilder {
	return buildOrderCompare(op, jsonbOps, compareJSONB)
}

// jsonComparison is the jsonb-ordered comparison that replaces the
// engine's <, <=, >, >= or BETWEEN e over the checked operands ops when
// one of them is JSON (the engine orders JSON as MySQL does: numbers
// below strings, objects below arrays below booleans). ok is false for
// another comparison, and for = and <=>, which stay the engine's.
func jsonComparison(e sql.Expression, ops []sql.Expression) (sql.Expression, bool, error) {
	if e == nil || !anyJSON(ops) {
		return nil, false, nil
	}
	if _, between := e.(*expression.Between); between && len(ops) == 3 {
		f, err := buildOrderBetween("kdb_json_between", compareJSONB)(ops)
		return f, err == nil, err
	}
	op, ok := comparisonOp(e)
	if !ok || len(ops) != 2 || jsonbOps[op] == "" {
		return nil, false, nil
	}
	f, err := buildJSONCompare(op)(ops)
	return f, err == nil, err
}

// anyJSON reports whether an operand is JSON.
func anyJSON(ops []sql.Expression) bool {
	for _, o := range ops {
		if familyOf(o) == famJSON {
			return true
		}
	}
	return false
}

// noJSONExtreme refuses min and max of JSON, which PostgreSQL does not
// have (neither for json nor for jsonb); the engine's would order by
// MySQL's rule.
func noJSONExtreme(e sql.Expression) error {
	var name string
	var child sql.Expression
	switch x := e.(type) {
	case *aggregation.Max:
		name, child = "max", x.Child
	case *aggregation.Min:
		name, child = "min", x.Child
	default:
		return nil
	}
	if familyOf(child) != famJSON {
		return nil
	}
	return noFunction(name, []sql.Expression{child})
}

// jsonHashKey is a JSON hash join key as the hex text of its order key
// (kdb_json_hash_key): the engine's hash lookup uses a key's Go value as
// a map key, which a JSON object or array cannot be (the join panicked),
// and equal JSON values (-0 and 0) have one order key.
func jsonHashKey(e sql.Expression) sql.Expression {
	f, _ := buildJSONHashKey([]sql.Expression{e})
	return f
}

func buildJSONHashKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_json_hash_key takes one argument")
	}
	f := newFuncOfType(args, types.LongText, func(_ *sql.Context, vals []any) (any, error) {
		k, err := appendJSONBKey(nil, vals[0])
		return hex.EncodeToString(k), err // the engine checks texts are UTF-8
	})
	f.name, f.build = "kdb_json_hash_key", buildJSONHashKey
	return f, nil
}

// jsonbKeyLess is jsonb's storage order of object keys: shorter first,
// then by bytes.
func jsonbKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
