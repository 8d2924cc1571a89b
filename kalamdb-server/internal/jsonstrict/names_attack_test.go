package jsonstrict

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// decodeWithNamesAgrees asserts that decoding with reused key names (what
// DecodeObject does) gives exactly what Decode gives: the same value, the
// same error (duplicates found, also a name against its escaped spelling),
// so that the reuse is invisible.
func decodeWithNamesAgrees(t *testing.T, in []byte) {
	t.Helper()
	names := []string{"sql", "params", "namespace_id", "a", "", "\u00e9", "k"}
	want, wantErr := Decode(in)
	got, err := decode(in, names)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, Decode's %v", in, err, wantErr)
	}
	var dup, wantDup *DuplicateKeyError
	if errors.As(err, &dup) != errors.As(wantErr, &wantDup) || dup != nil && *dup != *wantDup {
		t.Fatalf("%q: duplicate %v, Decode's %v", in, dup, wantDup)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %#v, Decode's %#v", in, got, want)
	}
}

// Keys equal to a reused name, spelled plainly or with escapes, at any
// depth, repeated: decoding with names is Decode.
func TestDecodeWithNamesIsDecode(t *testing.T) {
	for _, in := range []string{
		`{"sql":"a","s\u0071l":"b"}`, `{"s\u0071l":"a","sql":"b"}`, `{"\u0073\u0071\u006c":1}`,
		`{"params":[{"sql":1,"sql":2}]}`, `{"":1,"":2}`, `{"\u00e9":1,"` + "\xc3\xa9" + `":2}`,
		`{"sql\u0000":1,"sql":2}`, `{"sq":1,"sql":2,"sqll":3}`, `{"SQL":1,"sql":2}`,
		`{"params":[1,2,3,4,5,6,7,8,9],"params2":[[],[1],[1,2,3,4]]}`,
		`{"namespace_id":"\ud800"}`, `{"k":{"k":{"k":{"k":1}}},"k":2}`,
	} {
		decodeWithNamesAgrees(t, []byte(in))
	}
	r := rand.New(rand.NewPCG(9, 13))
	for range 20000 {
		doc := genValue(r, 0)
		decodeWithNamesAgrees(t, doc)
		decodeWithNamesAgrees(t, damage(r, doc))
	}
}

// Arrays that are appended to are not aliased: every decoded array is its
// own, whatever capacity it was made with (an append through one cannot
// show up in another decoded from the same or a later body).
func TestDecodedArraysAreNotShared(t *testing.T) {
	v1, err := decode([]byte(`{"params":[1],"b":[2]}`), []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := decode([]byte(`{"params":[3]}`), []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := v1.(map[string]any)["params"].([]any)
	b1 := v1.(map[string]any)["b"].([]any)
	p2 := v2.(map[string]any)["params"].([]any)
	_ = append(p1, "x")
	_ = append(b1, "y")
	if len(p2) != 1 || p2[0] != any(p2[0]) || cap(p1[:cap(p1)]) > 0 && &p1[:cap(p1)][0] == &p2[:cap(p2)][0] {
		t.Fatal("two bodies' params share an array")
	}
	if got := p2[0]; got.(interface{ String() string }).String() != "3" {
		t.Fatalf("second body's params changed: %v", p2)
	}
}

// Only an array that is a field of the top object (a statement's params)
// starts with room for a few elements: every other array, nested in
// params or elsewhere, is as large as append makes it, so that a body of
// many one-element arrays does not decode to four times their heap (48
// heap bytes per body byte, not 36, with the capacity given to all; none
// of it is charged to the request's memory account).
func TestOnlyTopLevelArraysArePreallocated(t *testing.T) {
	obj, err := DecodeObject([]byte(`{"params":[[0],[1,2]],"x":{"y":[0]}}`), "params")
	if err != nil {
		t.Fatal(err)
	}
	params, err := obj.Array("params")
	if err != nil {
		t.Fatal(err)
	}
	if cap(params) < 4 {
		t.Fatalf("params: capacity %d, want room for a few", cap(params))
	}
	if a, b := params[0].([]any), params[1].([]any); cap(a) != 1 || cap(b) != 2 {
		t.Fatalf("nested arrays' capacities %d and %d, want 1 and 2 (append's)", cap(a), cap(b))
	}
	x, _, err := obj.Object("x")
	if err != nil {
		t.Fatal(err)
	}
	if y, _ := x.Array("y"); cap(y) != 1 {
		t.Fatalf("x.y: capacity %d, want 1", cap(y))
	}
	v, err := Decode([]byte(`[[0],[0]]`))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v.([]any) {
		if c := cap(e.([]any)); c != 1 {
			t.Fatalf("top-level array's element: capacity %d, want 1", c)
		}
	}
	// What it saves, for the record (noisy on a shared machine: logged).
	const n = 200_000
	body := []byte(`{"sql":"x","params":[` + strings.TrimSuffix(strings.Repeat("[0],", n), ",") + `]}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept, err := DecodeObject(body, "sql", "params")
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	t.Logf("body %d bytes: %.1f heap bytes allocated per body byte", len(body),
		float64(after.TotalAlloc-before.TotalAlloc)/float64(len(body)))
	runtime.KeepAlive(kept)
}
