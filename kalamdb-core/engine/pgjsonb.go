package engine

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"

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
// The order is defined once, as a byte key (appendJSONBKey) whose
// bytes.Compare order is jsonb's: compareJSONB compares two keys, and an
// ORDER BY, a GROUP BY and count(DISTINCT) on JSON read the key
// (kdb_json_order), so every path agrees. Two values are equal in it
// exactly when jsonb's = holds (-0 equals 0, 1.0 equals 1).

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
// representation) as jsonb does.
func compareJSONB(a, b any) (int, error) {
	ka, err := appendJSONBKey(nil, a)
	if err != nil {
		return 0, err
	}
	kb, err := appendJSONBKey(nil, b)
	if err != nil {
		return 0, err
	}
	return bytes.Compare(ka, kb), nil
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
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, jsonbNull), nil
	case string:
		return keyenc.AppendString(append(b, jsonbString), x), nil
	case bool:
		return keyenc.AppendBool(append(b, jsonbBool), x), nil
	case []any:
		b = keyenc.AppendUint64(append(b, jsonbArray), uint64(len(x)))
		for _, e := range x {
			if b, err = appendJSONBValue(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// jsonb's storage order of keys: by length, then by bytes.
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		b = keyenc.AppendUint64(append(b, jsonbObject), uint64(len(keys)))
		for _, k := range keys {
			b = keyenc.AppendString(append(b, jsonbString), k)
			if b, err = appendJSONBValue(b, x[k]); err != nil {
				return nil, err
			}
		}
		return b, nil
	case json.Number:
		f, perr := strconv.ParseFloat(string(x), 64)
		if perr != nil {
			return nil, execError("invalid JSON number %q", string(x))
		}
		return keyenc.AppendFloat64(append(b, jsonbNumber), f), nil
	}
	if f, ok := toFloat64(v); ok {
		// Numbers are doubles (docs/sql.md): -0 is 0, as in jsonb.
		return keyenc.AppendFloat64(append(b, jsonbNumber), f), nil
	}
	// A value of another Go type (a JSON function's result may hold
	// one) is ordered as the JSON it marshals to.
	plain, err := plainJSON(v)
	if err != nil {
		return nil, err
	}
	switch plain.(type) {
	case nil, string, bool, []any, map[string]any, float64:
		return appendJSONBValue(b, plain)
	}
	return nil, execError("value of type %T is not JSON", v)
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

// jsonOrderKey is a JSON value's place in jsonb's order as bytes
// (kdb_json_order): an ORDER BY, GROUP BY or count(DISTINCT) on JSON
// reads it, so they sort and group as the comparisons order.
func jsonOrderKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_json_order takes one argument")
	}
	f := newFuncOfType(args, types.LongBlob, func(_ *sql.Context, vals []any) (any, error) {
		return appendJSONBKey(nil, vals[0])
	})
	f.name, f.build = "kdb_json_order", jsonOrderKey
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
