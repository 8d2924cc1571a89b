package engine

// This file is longer than most on purpose: it is the whole JSON operator
// and function library, sharing one path and key model.

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// JSON operators and functions: PostgreSQL's (-> ->> #> #>> ?,
// json_typeof, json_build_object, ...) and KalamDB's (DataFusion's
// json_get, json_get_str, json_as_text, json_contains, json_length, ...).
// A key is a text (object field) or an integer (array element, counted
// from 0, negative from the end). A path that does not exist gives NULL.
// TEXT holding JSON is accepted where JSON is (KalamDB's JSON is text
// underneath); text that is not JSON gives NULL.

// jsonDoc types the document argument: JSON, TEXT, or an untyped literal
// read as JSON.
func jsonDoc(name string, args []sql.Expression) ([]sql.Expression, error) {
	out := append([]sql.Expression(nil), args...)
	switch familyOf(args[0]) {
	case famJSON, famText, famNull:
	case famUnknown:
		c, err := coerce(args[0], jsonType)
		if err != nil {
			return nil, err
		}
		out[0] = c
	default:
		return nil, noFunction(name, args)
	}
	return out, nil
}

// jsonKeys types path arguments: text or integer keys.
func jsonKeys(name string, args []sql.Expression, from int) ([]sql.Expression, error) {
	out := append([]sql.Expression(nil), args...)
	for i := from; i < len(args); i++ {
		switch familyOf(args[i]) {
		case famText, famInt, famNull:
		case famUnknown:
			var err error
			if out, err = textArgs(name, out, i); err != nil {
				return nil, err
			}
		default:
			return nil, noFunction(name, args)
		}
	}
	return out, nil
}

// docValue decodes a document argument; ok is false for text that is not
// JSON.
func docValue(v any) (any, bool, error) {
	if s, isText := v.(string); isText {
		val, err := decodeJSON([]byte(s))
		if ae, ok := apierror.As(err); ok && ae.Code == apierror.ResourceLimitExceeded {
			return nil, false, err // valid JSON, too deep: not "not JSON"
		}
		return val, err == nil, nil
	}
	val, err := jsonValue(v)
	return val, err == nil, nil
}

// step follows one key.
func step(val any, key any) (any, bool) {
	switch k := key.(type) {
	case string:
		obj, ok := val.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := obj[k]
		return v, ok
	default:
		n, ok := toInt64(key)
		arr, isArr := val.([]any)
		if !ok || !isArr {
			return nil, false
		}
		if n < 0 {
			n += int64(len(arr))
		}
		if n < 0 || n >= int64(len(arr)) {
			return nil, false
		}
		return arr[n], true
	}
}

// operatorStep is a step of -> and ->>: step, but an integer key 0 or -1
// of a scalar is the scalar itself, as in jsonb, which stores a scalar as
// a one-element array ('"x"'::jsonb -> 0 is "x"; #> and
// json_extract_path do not do this).
func operatorStep(val any, key any) (any, bool) {
	if _, isText := key.(string); !isText {
		switch val.(type) {
		case []any, map[string]any:
		default:
			if n, ok := toInt64(key); ok && (n == 0 || n == -1) {
				return val, true
			}
			return nil, false
		}
	}
	return step(val, key)
}

// pathStep is a step of a PostgreSQL path (#>, json_extract_path): a text
// key is an object's field, or an array's index (negative from the end)
// when it reads as an integer, as PostgreSQL's strtoint reads it.
func pathStep(val any, key any) (any, bool) {
	k, isText := key.(string)
	if !isText {
		return step(val, key)
	}
	if _, isArr := val.([]any); !isArr {
		return step(val, k)
	}
	n, err := strconv.ParseInt(strings.TrimLeft(k, " \t\n\v\f\r"), 10, 32)
	if err != nil {
		return nil, false
	}
	return step(val, n)
}

func follow(val any, keys []any, next func(val, key any) (any, bool)) (any, bool) {
	for _, k := range keys {
		if k == nil {
			return nil, false
		}
		var ok bool
		if val, ok = next(val, k); !ok {
			return nil, false
		}
	}
	return val, true
}

// jsonScalarText is ->> of a value: a string unquoted, JSON null NULL,
// anything else its JSON text.
func jsonScalarText(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return jsonStringText(x)
	}
	return marshalJSON(v)
}

// errJSONNUL is PostgreSQL's refusal to make text of a JSON string that
// holds \u0000: text cannot hold NUL.
var errJSONNUL = execError(`unsupported Unicode escape sequence: \u0000 cannot be converted to text`)

// jsonStringText is a JSON string as text, refused when it holds NUL.
func jsonStringText(s string) (any, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errJSONNUL
	}
	return s, nil
}

// buildJSONPathFn builds a function of a document and a key path, whose
// keys next follows; result makes the answer of the value found.
func buildJSONPathFn(name string, dt dialect.DataType, next func(val, key any) (any, bool), result func(v any) (any, error)) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) < 1 {
			return nil, noFunction(name, args)
		}
		a, err := jsonDoc(name, args)
		if err != nil {
			return nil, err
		}
		if a, err = jsonKeys(name, a, 1); err != nil {
			return nil, err
		}
		f := newFunc(a, dt, func(_ *sql.Context, vals []any) (any, error) {
			if vals[0] == nil {
				return nil, nil
			}
			doc, ok, err := docValue(vals[0])
			if err != nil || !ok {
				return nil, err
			}
			v, ok := follow(doc, vals[1:], next)
			if !ok {
				return nil, nil
			}
			return result(v)
		})
		f.nullIn = true
		return f, nil
	}
}

func asJSON(v any) (any, error) { return types.JSONDocument{Val: v}, nil }

// buildJSONPathOp builds #> and #>>: the path is a PostgreSQL text array
// literal such as '{a,0,b}'.
func buildJSONPathOp(text bool) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 2 {
			return nil, sqlError("#> takes a document and a path")
		}
		a, err := jsonDoc("#>", args)
		if err != nil {
			return nil, err
		}
		if a, err = textArgs("#>", a, 1); err != nil {
			return nil, err
		}
		dt := jsonType
		if text {
			dt = textType
		}
		return newFunc(a, dt, func(_ *sql.Context, vals []any) (any, error) {
			keys, err := parseTextArray(str(vals[1]))
			if err != nil {
				return nil, err
			}
			doc, ok, err := docValue(vals[0])
			if err != nil || !ok {
				return nil, err
			}
			var v any = doc
			for _, k := range keys {
				if v, ok = pathStep(v, k); !ok {
					return nil, nil
				}
			}
			if text {
				return jsonScalarText(v)
			}
			return asJSON(v)
		}), nil
	}
}

// parseTextArray reads a one-dimensional PostgreSQL array literal of
// text: {a,b,"c d"}.
func parseTextArray(s string) ([]string, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return nil, execError("malformed array literal: %q", s)
	}
	body := t[1 : len(t)-1]
	var out []string
	var cur strings.Builder
	quoted, inQuotes := false, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inQuotes && c == '\\' && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case c == '"':
			inQuotes, quoted = !inQuotes, true
		case c == ',' && !inQuotes:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
			quoted = false
		default:
			cur.WriteByte(c)
		}
	}
	if inQuotes {
		return nil, execError("malformed array literal: %q", s)
	}
	if body != "" || quoted {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out, nil
}

func buildJSONExists(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 2 {
		return nil, sqlError("? takes a document and a key")
	}
	a, err := jsonDoc("?", args)
	if err != nil {
		return nil, err
	}
	if a, err = textArgs("?", a, 1); err != nil {
		return nil, err
	}
	return newFunc(a, boolType, func(_ *sql.Context, vals []any) (any, error) {
		doc, ok, err := docValue(vals[0])
		if err != nil || !ok {
			return nil, err
		}
		k := str(vals[1])
		switch x := doc.(type) {
		case map[string]any:
			_, found := x[k]
			return boolValue(found), nil
		case []any:
			for _, e := range x {
				if s, isStr := e.(string); isStr && s == k {
					return boolValue(true), nil
				}
			}
		case string:
			return boolValue(x == k), nil
		}
		return boolValue(false), nil
	}), nil
}

func jsonInt(v any) (any, error) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 9.007199254740992e15 {
		return nil, nil
	}
	return int64(f), nil
}

func jsonFloat(v any) (any, error) {
	if f, ok := v.(float64); ok {
		return f, nil
	}
	return nil, nil
}

func jsonBool(v any) (any, error) {
	if b, ok := v.(bool); ok {
		return boolValue(b), nil
	}
	return nil, nil
}

func jsonStr(v any) (any, error) {
	if s, ok := v.(string); ok {
		return jsonStringText(s)
	}
	return nil, nil
}

func jsonTextOf(v any) (any, error) { return marshalJSON(v) }

func jsonLength(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		return int64(len(x)), nil
	case map[string]any:
		return int64(len(x)), nil
	}
	return nil, nil
}

func jsonObjectKeys(v any) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil
	}
	keys := make([]any, 0, len(obj))
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		keys = append(keys, k)
	}
	return types.JSONDocument{Val: keys}, nil
}

func jsonContains(_ any) (any, error) { return boolValue(true), nil }

func buildJSONContains(args []sql.Expression) (*pgFunc, error) {
	f, err := buildJSONPathFn("json_contains", boolType, step, jsonContains)(args)
	if err != nil {
		return nil, err
	}
	inner := f.eval
	f.eval = func(ctx *sql.Context, vals []any) (any, error) {
		v, err := inner(ctx, vals)
		if v == nil && err == nil && vals[0] != nil {
			return boolValue(false), nil
		}
		return v, err
	}
	return f, nil
}

func jsonTypeof(v any) (any, error) {
	switch v.(type) {
	case map[string]any:
		return "object", nil
	case []any:
		return "array", nil
	case string:
		return "string", nil
	case float64, int64:
		return "number", nil
	case bool:
		return "boolean", nil
	case nil:
		return "null", nil
	}
	return "unknown", nil
}

func buildJSONOne(name string, dt dialect.DataType, fn func(v any) (any, error)) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 1 {
			return nil, noFunction(name, args)
		}
		a, err := jsonDoc(name, args)
		if err != nil {
			return nil, err
		}
		return newFunc(a, dt, func(_ *sql.Context, vals []any) (any, error) {
			doc, ok, err := docValue(vals[0])
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, execError("invalid input syntax for type json")
			}
			return fn(doc)
		}), nil
	}
}

// toJSONValue is to_json of a value of family f.
func toJSONValue(v any, f family) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch f {
	case famJSON:
		return jsonValue(v)
	case famBool:
		b, _ := toBool(v)
		return b, nil
	case famInt:
		n, _ := toInt64(v)
		return float64(n), nil
	case famFloat:
		x, _ := toFloat64(v)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return formatFloat(x, 64), nil
		}
		return x, nil
	case famNumeric:
		d, _ := v.(decimal.Decimal)
		x, _ := d.Float64()
		return x, nil
	case famTimestamp:
		t, _ := toTime(v)
		return t.Format("2006-01-02T15:04:05.999999"), nil
	case famDate:
		t, _ := toTime(v)
		return t.Format(time.DateOnly), nil
	}
	return textOf(v, f)
}

func buildToJSON(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, noFunction("to_json", args)
	}
	f := familyOf(args[0])
	return newFunc(args, jsonType, func(ctx *sql.Context, vals []any) (any, error) {
		v, err := toJSONValue(vals[0], f)
		if err != nil {
			return nil, err
		}
		// A text's JSON may print several times as long as the text.
		if err := checkJSONSize(ctx, v); err != nil {
			return nil, err
		}
		return types.JSONDocument{Val: v}, nil
	}), nil
}

func buildJSONBuildArray(args []sql.Expression) (*pgFunc, error) {
	fams := make([]family, len(args))
	for i, a := range args {
		fams[i] = familyOf(a)
	}
	f := newFunc(args, jsonType, func(ctx *sql.Context, vals []any) (any, error) {
		out := make([]any, len(vals))
		for i, v := range vals {
			j, err := toJSONValue(v, fams[i])
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		if err := checkJSONSize(ctx, out); err != nil {
			return nil, err
		}
		return types.JSONDocument{Val: out}, nil
	})
	f.nullIn = true
	return f, nil
}

func buildJSONBuildObject(args []sql.Expression) (*pgFunc, error) {
	if len(args)%2 != 0 {
		return nil, sqlError("json_build_object() needs an even number of arguments (key, value, ...)")
	}
	fams := make([]family, len(args))
	for i, a := range args {
		fams[i] = familyOf(a)
	}
	f := newFunc(args, jsonType, func(ctx *sql.Context, vals []any) (any, error) {
		out := make(map[string]any, len(vals)/2)
		for i := 0; i < len(vals); i += 2 {
			if vals[i] == nil {
				return nil, execError("argument %d: key must not be null", i+1)
			}
			if fams[i] == famJSON {
				return nil, execError("key value must be scalar, not array, composite, or json")
			}
			k, err := textOf(vals[i], fams[i])
			if err != nil {
				return nil, err
			}
			v, err := toJSONValue(vals[i+1], fams[i+1])
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		if err := checkJSONSize(ctx, out); err != nil {
			return nil, err
		}
		return types.JSONDocument{Val: out}, nil
	})
	f.nullIn = true
	return f, nil
}

func buildJSONArrayLength(args []sql.Expression) (*pgFunc, error) {
	return buildJSONOne("json_array_length", intType, func(v any) (any, error) {
		arr, ok := v.([]any)
		if !ok {
			return nil, execError("cannot get array length of a non-array")
		}
		return int32(len(arr)), nil
	})(args)
}

func (fs functionSet) registerJSONFunctions() {
	fs.register("kdb_json_get", buildJSONPathFn("->", jsonType, operatorStep, asJSON))
	fs.register("kdb_json_text", buildJSONPathFn("->>", textType, operatorStep, jsonScalarText))
	fs.register("kdb_json_path", buildJSONPathOp(false))
	fs.register("kdb_json_path_text", buildJSONPathOp(true))
	fs.register("kdb_json_exists", buildJSONExists)
	fs.register("kdb_json_get_fn", buildJSONPathFn("json_get", jsonType, step, asJSON))
	fs.register("kdb_json_get_str", buildJSONPathFn("json_get_str", textType, step, jsonStr))
	fs.register("kdb_json_as_text", buildJSONPathFn("json_as_text", textType, step, jsonScalarText))
	fs.register("kdb_json_get_int", buildJSONPathFn("json_get_int", bigintType, step, jsonInt))
	fs.register("kdb_json_get_float", buildJSONPathFn("json_get_float", doubleType, step, jsonFloat))
	fs.register("kdb_json_get_bool", buildJSONPathFn("json_get_bool", boolType, step, jsonBool))
	fs.register("kdb_json_get_json", buildJSONPathFn("json_get_json", textType, step, jsonTextOf))
	fs.register("kdb_json_contains", buildJSONContains)
	fs.register("kdb_json_length", buildJSONPathFn("json_length", bigintType, step, jsonLength))
	fs.register("kdb_json_object_keys", buildJSONPathFn("json_object_keys", jsonType, step, jsonObjectKeys))
	fs.register("kdb_json_extract_path", buildJSONPathFn("json_extract_path", jsonType, pathStep, asJSON))
	fs.register("kdb_json_extract_path_text", buildJSONPathFn("json_extract_path_text", textType, pathStep, jsonScalarText))
	fs.register("kdb_json_typeof", buildJSONOne("json_typeof", textType, jsonTypeof))
	fs.register("kdb_json_array_length", buildJSONArrayLength)
	fs.register("kdb_json_build_object", buildJSONBuildObject)
	fs.register("kdb_json_build_array", buildJSONBuildArray)
	fs.register("kdb_to_json", buildToJSON)
}
