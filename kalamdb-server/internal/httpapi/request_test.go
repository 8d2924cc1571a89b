package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A known field in another case is refused: encoding/json (and so many
// proxies and loggers) read "SQL" as "sql", so such a body is ambiguous.
func TestFieldNamesAreCaseSensitive(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"SQL":"SELECT 1"}`,
		`{"sql":"SELECT 1","Sql":"DROP USER 'alice'"}`,
		`{"sql":"SELECT 1","Namespace_Id":"x"}`,
		`{"sql":"SELECT 1","PARAMS":[1]}`,
	} {
		resp := wantError(t, e.sql(t, body), http.StatusBadRequest, apierror.InvalidInput)
		if !strings.Contains(resp.Error.Message, "case-sensitive") {
			t.Errorf("%s: message %q", body, resp.Error.Message)
		}
	}
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","Password":"pw-alice"}`))
	wantError(t, w, http.StatusBadRequest, apierror.InvalidInput)
	if n := len(e.exec.calls()); n != 0 {
		t.Fatalf("executor ran %d ambiguous requests", n)
	}
	// Unknown fields are still ignored.
	if w := e.sql(t, `{"sql":"SELECT 1","client":"x","Client":"y"}`); w.Code != http.StatusOK {
		t.Fatalf("unknown fields: %d %s", w.Code, w.Body)
	}
}

// The executor gets the values encoding/json with UseNumber would give:
// exact numbers as json.Number, nested arrays and objects, unescaped
// strings.
func TestRequestValuesReachTheExecutor(t *testing.T) {
	e := newEnv(t)
	body := `{"sql":"SELECT $1","params":[9007199254740993,-1.5e3,"a\u00e9\ud83d\ude00",true,null,[1,{"k":"v"}],{}],` +
		"\"namespace_id\":\"n\ufffds\"}"
	if w := e.sql(t, body); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	got := e.exec.calls()[0]
	want := []any{json.Number("9007199254740993"), json.Number("-1.5e3"), "aé😀", true, nil,
		[]any{json.Number("1"), map[string]any{"k": "v"}}, map[string]any{}}
	if !reflect.DeepEqual(got.Params, want) {
		t.Errorf("params %#v, want %#v", got.Params, want)
	}
	if got.Namespace != "n\uFFFDs" || got.SQL != "SELECT $1" {
		t.Errorf("namespace %q, sql %q", got.Namespace, got.SQL)
	}
	// Empty params are no params.
	if w := e.sql(t, `{"sql":"SELECT 1","params":[]}`); w.Code != http.StatusOK || e.exec.calls()[1].Params != nil {
		t.Errorf("empty params: %d %#v", w.Code, e.exec.calls()[1].Params)
	}
}

// Text that is not UTF-8 is refused, not changed: encoding/json would
// run U+FFFD where the client sent a byte 0xff or a lone surrogate, other
// text than the client's.
func TestInvalidTextIsRefused(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		"{\"sql\":\"SELECT 'a\xff'\"}",
		"{\"sql\":\"SELECT $1\",\"params\":[\"\xed\xa0\x80\"]}",
		`{"sql":"SELECT $1","params":["\ud800"]}`,
		`{"sql":"SELECT '\udc00x'"}`,
		"{\"sql\":\"SELECT 1\",\"namespace_id\":\"n\xc3\"}",
	} {
		resp := wantError(t, e.sql(t, body), http.StatusBadRequest, apierror.InvalidInput)
		if !strings.Contains(resp.Error.Message, "UTF-8") {
			t.Errorf("%q: message %q", body, resp.Error.Message)
		}
	}
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader("{\"user\":\"alice\",\"password\":\"pw-\xe9\"}"))
	wantError(t, w, http.StatusBadRequest, apierror.InvalidInput)
	if n := len(e.exec.calls()); n != 0 {
		t.Fatalf("executor ran %d requests with invalid text", n)
	}
}

// A body that is JSON null has no fields, like an empty object.
func TestNullBodyHasNoFields(t *testing.T) {
	e := newEnv(t)
	resp := wantError(t, e.sql(t, `null`), http.StatusBadRequest, apierror.InvalidInput)
	if !strings.Contains(resp.Error.Message, `missing field "sql"`) {
		t.Errorf("message %q", resp.Error.Message)
	}
}

func BenchmarkDecodeSQLRequest(b *testing.B) {
	body := []byte(`{"sql":"SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE id = $1","params":[4242]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSQLRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// Bodies are read into pooled buffers: what the executor got must not
// change when the buffer serves the next request, whatever the body's
// size and framing (declared length or chunked).
func TestBodiesDoNotShareBuffers(t *testing.T) {
	e := newEnv(t)
	first := `{"sql":"SELECT 'first` + strings.Repeat("x", 900) + `'","params":["p1",{"k":"v1"}],"namespace_id":"ns1"}`
	if w := e.sql(t, first); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	second := `{"sql":"SELECT 'other` + strings.Repeat("y", 900) + `'","params":["p2",{"k":"v2"}],"namespace_id":"ns2"}`
	// Chunked: no Content-Length, read in pieces.
	chunked := func(r *http.Request) {
		r.ContentLength = -1
		r.Body = io.NopCloser(iotest.OneByteReader(strings.NewReader(second)))
	}
	if w := e.sql(t, second, chunked); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	calls := e.exec.calls()
	if calls[0].SQL != "SELECT 'first"+strings.Repeat("x", 900)+"'" || calls[0].Namespace != "ns1" ||
		!reflect.DeepEqual(calls[0].Params, []any{"p1", map[string]any{"k": "v1"}}) {
		t.Errorf("first request changed after the second: %+v", calls[0])
	}
	if calls[1].SQL != "SELECT 'other"+strings.Repeat("y", 900)+"'" || calls[1].Namespace != "ns2" {
		t.Errorf("second request: %+v", calls[1])
	}
}
