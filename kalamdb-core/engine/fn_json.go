package engine

import (
	"encoding/json"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// JSON values share structure: JSON_ARRAY(j, j) holds j twice without
// copying it, so a recursive CTE that doubles a document per step builds,
// in a few kilobytes of memory, a document whose text is 2^n bytes, which
// the next function to print it (or the wire encoder) then tries to
// allocate. Every function that builds a document from other documents is
// therefore checked on the size of its result's text, by a walk that stops
// as soon as it passes the largest value (so the walk itself is bounded),
// and JSON_PRETTY and JSON_SEARCH, whose results can be much larger than
// their argument (indentation per level; a path per match), are bounded
// from their argument before they run.

// jsonBuilders are the engine's JSON functions checked on their result.
func jsonBuilders() []string {
	return []string{
		"json_array", "json_object", "json_array_append", "json_array_insert", "json_insert", "json_replace",
		"json_set", "json_merge", "json_merge_patch", "json_merge_preserve", "json_extract", "json_remove",
	}
}

// jsonResultSize is the text size of a built document (sizedSpec.result).
func jsonResultSize(ctx *sql.Context, v any) int64 {
	if v == nil {
		return 0
	}
	limit := valueLimit(ctx)
	n, _ := jsonSize(v, limit)
	return n
}

// jsonPrettySize bounds JSON_PRETTY(doc): every value on its own line,
// indented two spaces per level, member names quoted.
func jsonPrettySize(ctx *sql.Context, a []any) (int64, error) {
	limit := valueLimit(ctx)
	return jsonCost(ctx, a[0], limit,
		func(string) int64 { return 1 },
		func(v any, depth int64, key string) int64 {
			n := 2*depth + 2 + int64(len(key))
			if key != "" {
				n += 4
			}
			switch v.(type) {
			case []any, map[string]any:
				return n
			}
			m, _ := jsonSize(v, limit)
			return addSize(n, m)
		}), nil
}

// jsonSearchSize bounds JSON_SEARCH(doc, ...): at worst the path of every
// string in the document.
func jsonSearchSize(ctx *sql.Context, a []any) (int64, error) {
	return jsonCost(ctx, a[0], valueLimit(ctx),
		func(key string) int64 {
			if key == "" {
				return 22 // "[n]" with any index
			}
			return int64(len(key)) + 3
		},
		func(v any, path int64, _ string) int64 {
			if _, ok := v.(string); ok {
				return path + 4
			}
			return 0
		}), nil
}

// jsonCost sums cost over every value of the JSON argument arg, stopping
// (and returning more than limit) once the sum passes limit. Each value is
// given the sum of step over the members leading to it (key is the member
// name, "" in an array) and its own member name.
func jsonCost(ctx *sql.Context, arg any, limit int64, step func(key string) int64, cost func(v any, path int64, key string) int64) int64 {
	doc, ok := jsonArg(ctx, arg)
	if !ok {
		return 0
	}
	var n int64
	var walk func(v any, path int64, key string) bool
	walk = func(v any, path int64, key string) bool {
		n = addSize(n, cost(v, path, key))
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if !walk(e, path+step(""), "") {
					return false
				}
			}
		case map[string]any:
			for k, e := range x {
				if !walk(e, path+step(k), k) {
					return false
				}
			}
		}
		return n <= limit
	}
	if !walk(doc, 0, "") {
		return addSize(limit, 1)
	}
	return n
}

// jsonArg is a function argument as a Go JSON value.
func jsonArg(ctx *sql.Context, v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case sql.JSONWrapper:
		doc, err := x.ToInterface()
		return doc, err == nil
	}
	doc, _, err := types.JSON.Convert(ctx, v)
	if err != nil {
		return nil, false
	}
	if w, ok := doc.(sql.JSONWrapper); ok {
		d, err := w.ToInterface()
		return d, err == nil
	}
	return doc, true
}

// jsonSize is about the length of the text of a JSON value, counted until
// it passes limit (ok false): the walk visits at most limit bytes' worth
// of values however much structure the document shares.
func jsonSize(v any, limit int64) (n int64, ok bool) {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case nil:
			n += 4
		case bool:
			n += 5
		case string:
			n += int64(len(x)) + 2
		case json.RawMessage:
			n += int64(len(x))
		case []any:
			n += 2
			for _, e := range x {
				n++
				if !walk(e) {
					return false
				}
			}
		case map[string]any:
			n += 2
			for k, e := range x {
				n += int64(len(k)) + 4
				if !walk(e) {
					return false
				}
			}
		case types.JSONDocument:
			return walk(x.Val)
		case sql.JSONWrapper:
			doc, err := x.ToInterface()
			if err != nil {
				n += 24
			} else if !walk(doc) {
				return false
			}
		default:
			n += 24 // numbers
		}
		return n <= limit
	}
	ok = walk(v)
	return n, ok
}

// valueLimit is the largest value of ctx's statement.
func valueLimit(ctx *sql.Context) int64 {
	if s, err := sessionOf(ctx); err == nil && s.budget.limits != nil {
		return s.budget.limits.MaxValueBytes
	}
	return DefaultMaxValueBytes
}
