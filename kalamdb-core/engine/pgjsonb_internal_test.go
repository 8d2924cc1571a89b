package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// jsonbOrderPG15 is PostgreSQL 15's jsonb order of these values: each
// value's rank is how many of the others are less than it, as
//
//	SELECT i, (SELECT count(*) FROM v u WHERE u.j < t.j) FROM v t ORDER BY j
//
// answers over a VALUES list of them (database collation C.UTF-8, which
// orders text by code point as KalamDB does). Equal values share a rank.
var jsonbOrderPG15 = []struct {
	json string
	rank int
}{
	{`[]`, 0},
	{`null`, 1},
	{`""`, 2},
	{`"B"`, 3},
	{`"a"`, 4},
	{`"ab"`, 5},
	{`"b"`, 6},
	{`"z"`, 7},
	{`"é"`, 8},
	{`-1`, 9},
	{`0`, 10},
	{`-0`, 10},
	{`0.5`, 12},
	{`1`, 13},
	{`1.0`, 13},
	{`99`, 15},
	{`1e2`, 16},
	{`false`, 17},
	{`true`, 18},
	{`[null]`, 19},
	{`["a"]`, 20},
	{`[1]`, 21},
	{`[1.0]`, 21},
	{`[9]`, 23},
	{`[false]`, 24},
	{`[true]`, 25},
	{`[[]]`, 26},
	{`[{}]`, 27},
	{`[1,null]`, 28},
	{`[1,"a"]`, 29},
	{`[1,1]`, 30},
	{`[1,2]`, 31},
	{`[1,[]]`, 32},
	{`[[1],[3,4]]`, 33},
	{`[[1,2],[3]]`, 34},
	{`{}`, 35},
	{`{"a":null}`, 36},
	{`{"a":"x"}`, 37},
	{`{"a":1}`, 38},
	{`{"a":2}`, 39},
	{`{"a":[]}`, 40},
	{`{"a":[1,2]}`, 41},
	{`{"a":{}}`, 42},
	{`{"a":{"z":0}}`, 43},
	{`{"a":{"x":1,"y":2}}`, 44},
	{`{"ab":1}`, 45},
	{`{"b":1}`, 46},
	{`{"b":[1,{"c":2}]}`, 47},
	{`{"a":1,"b":2}`, 48},
	{`{"a":1,"c":0}`, 49},
	{`{"a":2,"b":1}`, 50},
	{`{"b":1,"ab":1}`, 51},
	{`{"aa":1,"b":2}`, 52},
	{`{"z":1,"aa":1}`, 53},
}

// TestCompareJSONBMatchesPostgreSQL compares every pair both ways: the
// sign of compareJSONB, and of bytes.Compare of the two byte keys, is the
// sign of the difference of PostgreSQL's ranks, for every representation
// a JSON value has in the engine.
func TestCompareJSONBMatchesPostgreSQL(t *testing.T) {
	forms := map[string]func(string) any{
		"document": func(s string) any {
			var v any
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				t.Fatal(err)
			}
			return types.JSONDocument{Val: v}
		},
		"raw":  func(s string) any { return json.RawMessage(s) },
		"text": func(s string) any { return s },
	}
	sign := func(n int) int {
		switch {
		case n < 0:
			return -1
		case n > 0:
			return 1
		}
		return 0
	}
	for name, form := range forms {
		for _, a := range jsonbOrderPG15 {
			for _, b := range jsonbOrderPG15 {
				want := sign(a.rank - b.rank)
				got, err := compareJSONB(form(a.json), form(b.json))
				if err != nil {
					t.Fatalf("%s: %s vs %s: %v", name, a.json, b.json, err)
				}
				if sign(got) != want {
					t.Errorf("%s: compare(%s, %s) = %d, PostgreSQL: %d", name, a.json, b.json, got, want)
				}
				ka, err := appendJSONBKey(nil, form(a.json))
				if err != nil {
					t.Fatal(err)
				}
				kb, err := appendJSONBKey(nil, form(b.json))
				if err != nil {
					t.Fatal(err)
				}
				if got := bytes.Compare(ka, kb); got != want {
					t.Errorf("%s: keys of %s and %s compare %d, PostgreSQL: %d", name, a.json, b.json, got, want)
				}
			}
		}
	}
}

// TestJSONEqualityAgreesWithOrder: = on JSON stays the engine's
// comparison; it must hold exactly when the jsonb order calls two values
// equal, or an equality and a range over one value would disagree.
func TestJSONEqualityAgreesWithOrder(t *testing.T) {
	doc := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return types.JSONDocument{Val: v}
	}
	for _, a := range jsonbOrderPG15 {
		for _, b := range jsonbOrderPG15 {
			eq, err := types.JSON.Compare(nil, doc(a.json), doc(b.json))
			if err != nil {
				t.Fatal(err)
			}
			if (eq == 0) != (a.rank == b.rank) {
				t.Errorf("engine = of %s and %s: %v, PostgreSQL: %v", a.json, b.json, eq == 0, a.rank == b.rank)
			}
		}
	}
}

// TestJSONBKeyOfOtherGoValues: values a JSON function builds may hold Go
// types other than encoding/json's; they order as the JSON they print as.
func TestJSONBKeyOfOtherGoValues(t *testing.T) {
	for _, c := range []struct {
		built any
		json  string
	}{
		{types.JSONDocument{Val: map[string]any{"a": int64(1), "b": []any{float32(1.5), uint64(2)}}}, `{"a":1,"b":[1.5,2]}`},
		{types.JSONDocument{Val: []any{json.Number("1e2"), nil, true}}, `[100,null,true]`},
		{types.JSONDocument{Val: types.JsonObject{"x": "y"}}, `{"x":"y"}`},
		{types.JSONDocument{Val: -0.0}, `0`},
	} {
		got, err := compareJSONB(c.built, c.json)
		if err != nil || got != 0 {
			t.Errorf("%v vs %s: %d, %v", c.built, c.json, got, err)
		}
	}
	if _, err := compareJSONB(types.JSONDocument{Val: map[string]any{"a": make(chan int)}}, `{"a":1}`); err == nil {
		t.Error("a value that is not JSON compared")
	}
	if _, err := compareJSONB("{", "1"); err == nil {
		t.Error("text that is not JSON compared")
	}
}

// TestJSONBKeyAgreesWithCompare: on random values (few distinct leaves,
// so that many pairs are equal or differ deep inside), the byte key
// orders as compareJSONB does.
func TestJSONBKeyAgreesWithCompare(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var gen func(depth int) any
	gen = func(depth int) any {
		switch n := rng.Intn(8); {
		case depth > 2 || n < 4:
			return []any{nil, "", "a", "b", "ab", 0.0, -1.0, 1.0, true, false}[rng.Intn(10)]
		case n < 6:
			out := make([]any, rng.Intn(3))
			for i := range out {
				out[i] = gen(depth + 1)
			}
			return out
		default:
			out := map[string]any{}
			for i := rng.Intn(3); i > 0; i-- {
				out[[]string{"a", "b", "aa", "z"}[rng.Intn(4)]] = gen(depth + 1)
			}
			return out
		}
	}
	for i := 0; i < 20000; i++ {
		a, b := types.JSONDocument{Val: gen(0)}, types.JSONDocument{Val: gen(0)}
		c, err := compareJSONB(a, b)
		if err != nil {
			t.Fatal(err)
		}
		ka, _ := appendJSONBKey(nil, a)
		kb, _ := appendJSONBKey(nil, b)
		if k := bytes.Compare(ka, kb); k != c {
			sa, _ := a.JSONString()
			sb, _ := b.JSONString()
			t.Fatalf("%s vs %s: compare %d, keys %d", sa, sb, c, k)
		}
	}
}

// TestJSONBKeysOrder: object keys in jsonb's storage order, shorter
// first then by bytes, for small objects (insertion sort) and large ones.
func TestJSONBKeysOrder(t *testing.T) {
	for _, n := range []int{0, 1, 5, 16, 17, 40} {
		m := map[string]any{}
		for i := 0; i < n; i++ {
			m[strings.Repeat("k", i%4+1)+strconv.Itoa(n-i)] = i
		}
		keys := jsonbKeys(m, []string{"before"})
		if len(keys) != n+1 || keys[0] != "before" {
			t.Fatalf("%d keys: %v", n, keys)
		}
		want := append([]string(nil), keys[1:]...)
		sort.Slice(want, func(i, j int) bool {
			if len(want[i]) != len(want[j]) {
				return len(want[i]) < len(want[j])
			}
			return want[i] < want[j]
		})
		if got := strings.Join(keys[1:], ","); got != strings.Join(want, ",") {
			t.Errorf("%d keys: %s, want %s", n, got, strings.Join(want, ","))
		}
	}
}

// A JSON sort key's comparison fails with the statement's cause once its
// context has ended: the engine's sort never looks at the context, so
// without it a sort of large documents ran on past the statement's time
// limit. Without a context (or a nil one) it compares.
func TestJSONOrderCompareStopsWithItsStatement(t *testing.T) {
	a, b := types.JSONDocument{Val: []any{1.0}}, types.JSONDocument{Val: []any{2.0}}
	ctx, cancel := context.WithCancelCause(context.Background())
	sctx := sql.NewContext(ctx)
	if c, err := (jsonbOrderType{}).Compare(sctx, a, b); err != nil || c != -1 {
		t.Fatalf("live context: %d, %v", c, err)
	}
	stop := errors.New("statement cancelled")
	cancel(stop)
	if _, err := (jsonbOrderType{}).Compare(sctx, a, b); !errors.Is(err, stop) {
		t.Fatalf("ended context: err %v, want its cause", err)
	}
	var none *sql.Context
	for _, c := range []context.Context{nil, none} {
		if got, err := (jsonbOrderType{}).Compare(c, b, a); err != nil || got != 1 {
			t.Fatalf("context %#v: %d, %v", c, got, err)
		}
	}
}
