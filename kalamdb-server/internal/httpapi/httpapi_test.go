package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// fakeExecutor records requests and answers with a configurable function.
type fakeExecutor struct {
	mu    sync.Mutex
	reqs  []executor.Request
	reply func(ctx context.Context, req executor.Request) ([]executor.Result, error)
}

func (f *fakeExecutor) Execute(ctx context.Context, req executor.Request) ([]executor.Result, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	reply := f.reply
	f.mu.Unlock()
	if reply == nil {
		return []executor.Result{{RowCount: 0, Message: "ok"}}, nil
	}
	return reply(ctx, req)
}

func (f *fakeExecutor) calls() []executor.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]executor.Request(nil), f.reqs...)
}

type fakeUsers struct {
	mu    sync.Mutex
	users map[string]systable.User
}

func (f *fakeUsers) UserByName(name string) (*systable.User, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[name]
	if !ok {
		return nil, false
	}
	return &u, true
}

func (f *fakeUsers) UserByID(id string) (*systable.User, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.UserID == id {
			return &u, true
		}
	}
	return nil, false
}

// update changes the row of the user called name.
func (f *fakeUsers) update(name string, change func(*systable.User)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[name]
	change(&u)
	f.users[name] = u
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	srv   *Server
	setup *fakeSetup
	exec  *fakeExecutor
	users *fakeUsers
	clock *clock
	logs  *observer.ObservedLogs
}

const (
	remoteAddr   = "203.0.113.7:40000"
	loopbackAddr = "127.0.0.1:40000"
)

var created = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func newEnv(t *testing.T, mutate ...func(*Options)) *env {
	t.Helper()
	return newEnvWithAuth(t, nil, mutate...)
}

// newEnvWithAuth is newEnv with authMutate applied to the authenticator's
// options.
func newEnvWithAuth(t *testing.T, authMutate func(*auth.Options), mutate ...func(*Options)) *env {
	t.Helper()
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	e := &env{
		exec:  &fakeExecutor{},
		clock: &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)},
		users: &fakeUsers{users: map[string]systable.User{
			"alice": {UserID: "alice", Username: "alice", PasswordHash: hash("pw-alice"), Role: systable.RoleUser,
				Email: "alice@example.com", AuthType: "password", CreatedAt: created, UpdatedAt: created.Add(time.Hour)},
			"bob":  {UserID: "bob", Username: "bob", PasswordHash: hash("pw-bob"), Role: systable.RoleDBA, AuthType: "password", CreatedAt: created, UpdatedAt: created},
			"root": {UserID: "root", Username: "root", Role: systable.RoleSystem, AuthType: "password", CreatedAt: created, UpdatedAt: created},
		}},
	}
	authOpts := auth.Options{
		JWTSecret:       []byte("0123456789abcdef0123456789abcdef"),
		AccessTokenTTL:  time.Hour,
		RefreshTokenTTL: 24 * time.Hour,
		BcryptCost:      bcrypt.MinCost,
		CacheTTL:        time.Minute,
		CacheMaxEntries: 100,
		CheckWait:       time.Minute,
		Now:             e.clock.Now,
	}
	if authMutate != nil {
		authMutate(&authOpts)
	}
	authn, err := auth.New(e.users, authOpts)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	opts := Options{
		Version:             "1.2.3-test",
		MaxBodyBytes:        4096,
		MaxSQLBytes:         1024,
		MetricsLoopbackOnly: true,
		Now:                 e.clock.Now,
	}
	for _, m := range mutate {
		m(&opts)
	}
	e.setup = &fakeSetup{users: e.users}
	e.srv, err = New(Deps{Executor: e.exec, Auth: authn, Sessions: authn, Setup: e.setup, Logger: zap.New(core)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

type reqOpt func(*http.Request)

func withAuth(h string) reqOpt      { return func(r *http.Request) { r.Header.Set("Authorization", h) } }
func from(addr string) reqOpt       { return func(r *http.Request) { r.RemoteAddr = addr } }
func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func (e *env) do(t *testing.T, method, path string, body io.Reader, opts ...reqOpt) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = remoteAddr
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

func (e *env) sql(t *testing.T, body string, opts ...reqOpt) *httptest.ResponseRecorder {
	t.Helper()
	opts = append([]reqOpt{withAuth(basic("alice", "pw-alice"))}, opts...)
	return e.do(t, http.MethodPost, "/v1/api/sql", strings.NewReader(body), opts...)
}

// wireResponse decodes the envelope, keeping numbers exact.
type wireResponse struct {
	Status  string            `json:"status"`
	Results []json.RawMessage `json:"results"`
	Took    *json.Number      `json:"took"`
	Error   *struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

func decode(t *testing.T, w *httptest.ResponseRecorder) wireResponse {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, body %s", ct, w.Body)
	}
	var resp wireResponse
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("decode %q: %v", w.Body, err)
	}
	return resp
}

// wantError checks an error answer: status, code, envelope shape.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code apierror.Code) wireResponse {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	resp := decode(t, w)
	if resp.Status != "error" || resp.Error == nil || resp.Error.Code != string(code) {
		t.Fatalf("body %s, want status error with code %s", w.Body, code)
	}
	if resp.Results == nil || len(resp.Results) != 0 {
		t.Errorf("results = %v, want []", resp.Results)
	}
	if resp.Took == nil {
		t.Error("took missing from error answer")
	}
	if !strings.Contains(w.Body.String(), `"details":`) {
		t.Errorf("details missing (want null or an object): %s", w.Body)
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") != `Basic realm="kalamdb"` {
		t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
	}
	return resp
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/health", "/v1/api/healthcheck"} {
		w := e.do(t, http.MethodGet, path, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		var got map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"status": "healthy", "version": "1.2.3-test", "api_version": "v1"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
		if w := e.do(t, http.MethodHead, path, nil); w.Code != http.StatusOK {
			t.Errorf("HEAD %s: %d", path, w.Code)
		}
	}
}

func TestSQLSuccess(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(_ context.Context, req executor.Request) ([]executor.Result, error) {
		return []executor.Result{
			{Schema: []executor.Column{{Name: "id", DataType: "BigInt", Index: 0}, {Name: "content", DataType: "Text", Index: 1}},
				Rows: [][]any{{int64(1), "hello"}}, RowCount: 1, AsUser: req.UserID},
			{RowCount: 3, Message: "Inserted 3 row(s)"},
		}, nil
	}
	w := e.sql(t, `{"sql":"SELECT * FROM chat.messages; INSERT ...","namespace_id":"chat","extra_field":true}`)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	resp := decode(t, w)
	if resp.Status != "success" || resp.Error != nil || !strings.Contains(w.Body.String(), `"took":`) {
		t.Fatalf("body %s", w.Body)
	}
	if took, err := resp.Took.Float64(); err != nil || took < 0 {
		t.Errorf("took = %v (%v), want a non-negative number", resp.Took, err)
	}
	if len(resp.Results) != 2 {
		t.Fatalf("results %s", w.Body)
	}
	var first map[string]any
	if err := json.Unmarshal(resp.Results[0], &first); err != nil {
		t.Fatal(err)
	}
	wantFirst := `{"schema":[{"name":"id","data_type":"BigInt","index":0},{"name":"content","data_type":"Text","index":1}],"rows":[[1,"hello"]],"row_count":1,"as_user":"alice"}`
	if string(resp.Results[0]) != wantFirst {
		t.Errorf("first result\n got %s\nwant %s", resp.Results[0], wantFirst)
	}
	if string(resp.Results[1]) != `{"row_count":3,"message":"Inserted 3 row(s)"}` {
		t.Errorf("second result %s", resp.Results[1])
	}
	calls := e.exec.calls()
	if len(calls) != 1 {
		t.Fatalf("%d executor calls", len(calls))
	}
	got := calls[0]
	if got.UserID != "alice" || got.Role != systable.RoleUser || got.Namespace != "chat" ||
		got.SQL != "SELECT * FROM chat.messages; INSERT ..." || got.Params != nil {
		t.Errorf("executor request %+v", got)
	}
}

func TestSQLNilResultsAreAnEmptyArray(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) { return nil, nil }
	w := e.sql(t, `{"sql":"BEGIN"}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"results":[]`) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestParamsPassThroughExactly(t *testing.T) {
	e := newEnv(t)
	w := e.sql(t, `{"sql":"SELECT $1,$2,$3,$4,$5,$6,$7","params":[9007199254740993, 1.5, "x", null, true, [1,2], {"a": 18446744073709551615}]}`)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	p := e.exec.calls()[0].Params
	if len(p) != 7 {
		t.Fatalf("params %v", p)
	}
	if p[0] != json.Number("9007199254740993") {
		t.Errorf("big int param = %#v, want json.Number(\"9007199254740993\")", p[0])
	}
	if p[1] != json.Number("1.5") || p[2] != "x" || p[3] != nil || p[4] != true {
		t.Errorf("scalar params %#v", p[:5])
	}
	if arr, ok := p[5].([]any); !ok || len(arr) != 2 || arr[0] != json.Number("1") {
		t.Errorf("array param %#v", p[5])
	}
	if obj, ok := p[6].(map[string]any); !ok || obj["a"] != json.Number("18446744073709551615") {
		t.Errorf("object param %#v", p[6])
	}
	// An empty params array is no params.
	e.sql(t, `{"sql":"SELECT 1","params":[]}`)
	if got := e.exec.calls()[1].Params; got != nil {
		t.Errorf("empty params = %#v, want nil", got)
	}
}

func TestBigIntResultsStayExact(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
		return []executor.Result{{Schema: []executor.Column{{Name: "seq", DataType: "BigInt"}},
			Rows: [][]any{{int64(9007199254740993)}, {json.Number("123456789012345678")}}, RowCount: 2}}, nil
	}
	w := e.sql(t, `{"sql":"SELECT _seq FROM t"}`)
	for _, want := range []string{"[9007199254740993]", "[123456789012345678]"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("body %s lacks %s", w.Body, want)
		}
	}
}

func TestSQLWithBearerToken(t *testing.T) {
	e := newEnv(t)
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"bob","password":"pw-bob"}`))
	var tok tokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	w = e.sql(t, `{"sql":"SELECT 1"}`, withAuth("Bearer "+tok.AccessToken))
	if w.Code != http.StatusOK {
		t.Fatalf("bearer access: %d %s", w.Code, w.Body)
	}
	if c := e.exec.calls()[0]; c.UserID != "bob" || c.Role != systable.RoleDBA {
		t.Errorf("executor request %+v", c)
	}
	w = e.sql(t, `{"sql":"SELECT 1"}`, withAuth("Bearer "+tok.RefreshToken))
	wantError(t, w, http.StatusUnauthorized, apierror.Unauthorized)
	// Expired access token.
	e.clock.Advance(time.Hour)
	w = e.sql(t, `{"sql":"SELECT 1"}`, withAuth("Bearer "+tok.AccessToken))
	wantError(t, w, http.StatusUnauthorized, apierror.Unauthorized)
	if len(e.exec.calls()) != 1 {
		t.Error("executor called for a refused token")
	}
}

func TestSQLUnauthorized(t *testing.T) {
	e := newEnv(t)
	cases := map[string][]reqOpt{
		"no header":      nil,
		"wrong password": {withAuth(basic("alice", "nope"))},
		"unknown user":   {withAuth(basic("mallory", "x"))},
		"bad scheme":     {withAuth("Token abc")},
		"forged bearer":  {withAuth("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0.")},
		"root remote":    {withAuth(basic("root", ""))},
	}
	for name, opts := range cases {
		w := e.do(t, http.MethodPost, "/v1/api/sql", strings.NewReader(`{"sql":"SELECT 1"}`), opts...)
		t.Run(name, func(t *testing.T) { wantError(t, w, http.StatusUnauthorized, apierror.Unauthorized) })
	}
	if n := len(e.exec.calls()); n != 0 {
		t.Errorf("executor called %d times without valid credentials", n)
	}
	// Password-less root from loopback is accepted.
	w := e.do(t, http.MethodPost, "/v1/api/sql", strings.NewReader(`{"sql":"SELECT 1"}`),
		withAuth(basic("root", "")), from("[::1]:5000"))
	if w.Code != http.StatusOK {
		t.Errorf("root from ::1: %d %s", w.Code, w.Body)
	}
}

func TestExecutorErrorsMapToStatuses(t *testing.T) {
	cases := []struct {
		code   apierror.Code
		status int
	}{
		{apierror.InvalidSQL, 400}, {apierror.BatchParseError, 400}, {apierror.EmptySQL, 400},
		{apierror.InvalidParameter, 400}, {apierror.ParamsWithBatch, 400}, {apierror.InvalidInput, 400},
		{apierror.SQLExecutionError, 400},
		{apierror.NamespaceNotFound, 404}, {apierror.TableNotFound, 404}, {apierror.NotFound, 404},
		{apierror.AlreadyExists, 409},
		{apierror.Unauthorized, 401},
		{apierror.PermissionDenied, 403},
		{apierror.PayloadTooLarge, 413},
		{apierror.RateLimitExceeded, 429},
		{apierror.InternalError, 500},
	}
	e := newEnv(t)
	for _, c := range cases {
		t.Run(string(c.code), func(t *testing.T) {
			e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
				// Wrapped with context, as a layer in between would.
				return nil, fmt.Errorf("execute batch: %w",
					apierror.New(c.code, "message for %s", c.code).WithDetails(map[string]int{"position": 14}))
			}
			w := e.sql(t, `{"sql":"SELECT 1"}`)
			resp := wantError(t, w, c.status, c.code)
			if resp.Error.Message != "message for "+string(c.code) {
				t.Errorf("message %q", resp.Error.Message)
			}
			if string(resp.Error.Details) != `{"position":14}` {
				t.Errorf("details %s", resp.Error.Details)
			}
		})
	}
}

func TestDetailsNullWhenAbsent(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
		return nil, apierror.New(apierror.InvalidSQL, "syntax error at position 14 near 'FORM'")
	}
	w := e.sql(t, `{"sql":"SELECT * FORM t"}`)
	wantError(t, w, 400, apierror.InvalidSQL)
	if !strings.Contains(w.Body.String(), `"details":null`) {
		t.Errorf("body %s, want details null", w.Body)
	}
}

func TestUnclassifiedErrorsDoNotLeak(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
		return nil, errors.New("open /var/lib/kalamdb/secret/user_bob.parquet: permission denied")
	}
	w := e.sql(t, `{"sql":"SELECT 1"}`)
	wantError(t, w, 500, apierror.InternalError)
	if strings.Contains(w.Body.String(), "/var/lib") || strings.Contains(w.Body.String(), "bob") {
		t.Errorf("internal error text leaked: %s", w.Body)
	}
	if e.logs.FilterMessage("unclassified error").FilterField(zap.String("user_id", "alice")).Len() != 1 {
		t.Errorf("internal error not logged with its user: %v", e.logs.All())
	}
	found := false
	for _, entry := range e.logs.FilterMessage("unclassified error").All() {
		if strings.Contains(fmt.Sprint(entry.ContextMap()["error"]), "/var/lib/kalamdb") {
			found = true
		}
	}
	if !found {
		t.Error("the log lacks the real error text")
	}
}

func TestDeadlineExceededIsExecutionError(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
		return nil, fmt.Errorf("scan: %w", context.DeadlineExceeded)
	}
	wantError(t, e.sql(t, `{"sql":"SELECT 1"}`), 400, apierror.SQLExecutionError)
}

func TestPanicIsRecovered(t *testing.T) {
	e := newEnv(t)
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
		panic("boom at /src/secret/file.go:42")
	}
	w := e.sql(t, `{"sql":"SELECT 1"}`)
	wantError(t, w, 500, apierror.InternalError)
	if strings.Contains(w.Body.String(), "boom") || strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("panic details leaked: %s", w.Body)
	}
	logged := e.logs.FilterMessage("panic serving request").All()
	if len(logged) != 1 || !strings.Contains(fmt.Sprint(logged[0].ContextMap()["stack"]), "httpapi") {
		t.Errorf("panic not logged with a stack: %v", logged)
	}
	// The server still serves.
	e.exec.reply = nil
	if w := e.sql(t, `{"sql":"SELECT 1"}`); w.Code != 200 {
		t.Errorf("after panic: %d", w.Code)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t) // MaxBodyBytes 4096
	big := `{"sql":"SELECT '` + strings.Repeat("x", 5000) + `'"}`
	// Declared length: refused before reading.
	wantError(t, e.sql(t, big), http.StatusRequestEntityTooLarge, apierror.PayloadTooLarge)
	// Unknown length (chunked): refused while reading.
	w := e.do(t, http.MethodPost, "/v1/api/sql", io.MultiReader(strings.NewReader(big)), withAuth(basic("alice", "pw-alice")))
	wantError(t, w, http.StatusRequestEntityTooLarge, apierror.PayloadTooLarge)
	if len(e.exec.calls()) != 0 {
		t.Error("executor called for an oversized body")
	}
	// Exactly at the limit is fine.
	exact := `{"sql":"SELECT '` + strings.Repeat("x", 4096-len(`{"sql":"SELECT ''"}`)) + `'"}`
	if len(exact) != 4096 {
		t.Fatalf("fixture is %d bytes", len(exact))
	}
	e.srv.opts.MaxSQLBytes = 4096
	if w := e.sql(t, exact); w.Code != 200 {
		t.Errorf("body at the limit: %d %s", w.Code, w.Body)
	}
}

func TestSQLTextTooLarge(t *testing.T) {
	e := newEnv(t) // MaxSQLBytes 1024 < MaxBodyBytes 4096
	w := e.sql(t, `{"sql":"`+strings.Repeat("x", 1025)+`"}`)
	resp := wantError(t, w, http.StatusRequestEntityTooLarge, apierror.PayloadTooLarge)
	if !strings.Contains(resp.Error.Message, "1024") {
		t.Errorf("message %q does not state the limit", resp.Error.Message)
	}
}

func TestBadRequestBodies(t *testing.T) {
	e := newEnv(t)
	cases := map[string]struct {
		body string
		code apierror.Code
		msg  string
	}{
		"sql number":       {`{"sql": 1}`, apierror.InvalidInput, `"sql" must be a string`},
		"sql object":       {`{"sql": {"a":1}}`, apierror.InvalidInput, `"sql" must be a string`},
		"params object":    {`{"sql":"x","params":{"a":1}}`, apierror.InvalidInput, `"params" must be an array`},
		"params string":    {`{"sql":"x","params":"1"}`, apierror.InvalidInput, `"params" must be an array`},
		"namespace number": {`{"sql":"x","namespace_id":5}`, apierror.InvalidInput, `"namespace_id" must be a string`},
		"array body":       {`[1,2]`, apierror.InvalidInput, "JSON object"},
		"string body":      {`"SELECT 1"`, apierror.InvalidInput, "JSON object"},
		"syntax error":     {`{"sql": "x",}`, apierror.InvalidInput, "invalid JSON"},
		"truncated":        {`{"sql": "x"`, apierror.InvalidInput, "invalid JSON"},
		"trailing data":    {`{"sql":"x"} {"sql":"y"}`, apierror.InvalidInput, "after the request object"},
		"empty body":       {``, apierror.InvalidInput, "empty"},
		"missing sql":      {`{"params":[1]}`, apierror.InvalidInput, `missing field "sql"`},
		"null sql":         {`{"sql":null}`, apierror.InvalidInput, `missing field "sql"`},
		"empty sql":        {`{"sql":""}`, apierror.EmptySQL, "empty"},
		"blank sql":        {`{"sql":" \n\t "}`, apierror.EmptySQL, "empty"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := wantError(t, e.sql(t, c.body), http.StatusBadRequest, c.code)
			if !strings.Contains(resp.Error.Message, c.msg) {
				t.Errorf("message %q lacks %q", resp.Error.Message, c.msg)
			}
		})
	}
	if n := len(e.exec.calls()); n != 0 {
		t.Errorf("executor called %d times for bad bodies", n)
	}
}

func TestMethodNotAllowedAndNotFound(t *testing.T) {
	e := newEnv(t)
	w := e.do(t, http.MethodGet, "/v1/api/sql", nil, withAuth(basic("alice", "pw-alice")))
	wantError(t, w, http.StatusMethodNotAllowed, codeMethodNotAllowed)
	if got := w.Header().Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
	w = e.do(t, http.MethodPost, "/health", nil)
	wantError(t, w, http.StatusMethodNotAllowed, codeMethodNotAllowed)
	if got := w.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q, want GET, HEAD", got)
	}
	for _, path := range []string{"/nope", "/v1/api/sql/extra", "/v1/api", "/"} {
		wantError(t, e.do(t, http.MethodGet, path, nil), http.StatusNotFound, apierror.NotFound)
	}
}

func TestRateLimitPerUser(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RequestsPerSecond = 1; o.RequestsBurst = 2 })
	for i := 0; i < 2; i++ {
		if w := e.sql(t, `{"sql":"SELECT 1"}`); w.Code != 200 {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := e.sql(t, `{"sql":"SELECT 1"}`)
	wantError(t, w, http.StatusTooManyRequests, apierror.RateLimitExceeded)
	if w.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", w.Header().Get("Retry-After"))
	}
	// Another user has their own bucket.
	if w := e.sql(t, `{"sql":"SELECT 1"}`, withAuth(basic("bob", "pw-bob"))); w.Code != 200 {
		t.Errorf("bob limited by alice's bucket: %d", w.Code)
	}
	// Refused requests do not consume tokens: one second later, one more.
	e.clock.Advance(time.Second)
	if w := e.sql(t, `{"sql":"SELECT 1"}`); w.Code != 200 {
		t.Errorf("after refill: %d %s", w.Code, w.Body)
	}
	wantError(t, e.sql(t, `{"sql":"SELECT 1"}`), http.StatusTooManyRequests, apierror.RateLimitExceeded)
	if n := len(e.exec.calls()); n != 4 {
		t.Errorf("executor calls %d, want 4 (limited requests never reach it)", n)
	}
	// /me counts against the same bucket.
	wantError(t, e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withAuth(basic("alice", "pw-alice"))),
		http.StatusTooManyRequests, apierror.RateLimitExceeded)
}

func TestRateLimiterForgetsIdleUsers(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	l := newUserLimiter(10, 0, c.Now)
	for i := 0; i < 50; i++ {
		if ok, _ := l.allow(fmt.Sprintf("u%d", i)); !ok {
			t.Fatal("first request refused")
		}
	}
	c.Advance(2 * time.Minute)
	l.allow("fresh")
	if n := l.size(); n != 1 {
		t.Errorf("%d buckets after the idle users' buckets refilled, want 1", n)
	}
	if newUserLimiter(0, 5, c.Now) != nil {
		t.Error("rate 0 should mean no limiter")
	}
}

func TestExecutorGetsTheRequestContext(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	e.exec.reply = func(ctx context.Context, _ executor.Request) ([]executor.Result, error) {
		close(started)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	}
	ts := httptest.NewServer(e.srv)
	defer ts.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/api/sql", strings.NewReader(`{"sql":"SELECT sleep(1000)"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", basic("alice", "pw-alice"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel() // the client goes away
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("executor ctx error %v, want context.Canceled", err)
	}
	<-done
	ts.Close() // waits for the handler to finish, so its metrics are recorded
	if e.logs.FilterMessage("unclassified error").Len() != 0 {
		t.Error("a client going away was logged as an internal error")
	}
	w := e.do(t, http.MethodGet, "/metrics", nil, from(loopbackAddr))
	if !strings.Contains(w.Body.String(), `kalamdb_http_requests_total{code="CLIENT_CLOSED",endpoint="/v1/api/sql",status="499"} 1`) {
		t.Errorf("cancelled request not counted as CLIENT_CLOSED:\n%s", grep(w.Body.String(), "requests_total"))
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	w := e.do(t, http.MethodGet, "/health", nil)
	if id := w.Header().Get(RequestIDHeader); len(id) != 32 {
		t.Errorf("generated request id %q", id)
	}
	w = e.do(t, http.MethodGet, "/health", nil, withHeader(RequestIDHeader, "trace-abc.123:4"))
	if id := w.Header().Get(RequestIDHeader); id != "trace-abc.123:4" {
		t.Errorf("client request id not kept: %q", id)
	}
	w = e.do(t, http.MethodGet, "/health", nil, withHeader(RequestIDHeader, "evil\x1b[31mred"))
	if id := w.Header().Get(RequestIDHeader); strings.Contains(id, "evil") {
		t.Errorf("unsafe request id kept: %q", id)
	}
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	e.sql(t, `{"sql":"SELECT 1"}`, withHeader(RequestIDHeader, "req-1"))
	entries := e.logs.FilterMessage("http request").FilterField(zap.String("request_id", "req-1")).All()
	if len(entries) != 1 {
		t.Fatalf("access log entries: %v", e.logs.All())
	}
	m := entries[0].ContextMap()
	if m["route"] != "/v1/api/sql" || m["user_id"] != "alice" || m["code"] != "OK" || m["status"] != int64(200) ||
		m["method"] != "POST" || m["path"] != "/v1/api/sql" || m["remote"] != remoteAddr {
		t.Errorf("access log fields %v", m)
	}
	if entries[0].Caller.Defined {
		t.Errorf("access log entry carries a caller (a stack walk per request): %v", entries[0].Caller)
	}

	// A refused request is logged with what was answered.
	w := e.sql(t, `{"sql":"SELECT 1"}`, withHeader(RequestIDHeader, "req-2"), withAuth(basic("alice", "wrong")))
	entries = e.logs.FilterMessage("http request").FilterField(zap.String("request_id", "req-2")).All()
	if len(entries) != 1 {
		t.Fatalf("access log entries: %v", e.logs.All())
	}
	m = entries[0].ContextMap()
	if m["code"] != "UNAUTHORIZED" || m["status"] != int64(401) || m["user_id"] != "" || m["bytes"] != int64(w.Body.Len()) {
		t.Errorf("access log fields of a refused request %v (answer %d bytes)", m, w.Body.Len())
	}
	if _, ok := m["duration"].(time.Duration); !ok {
		t.Errorf("access log entry without its duration: %v", m)
	}
}

type loginJSON struct {
	User struct {
		ID        string  `json:"id"`
		Username  string  `json:"username"`
		Role      string  `json:"role"`
		Email     *string `json:"email"`
		CreatedAt string  `json:"created_at"`
		UpdatedAt string  `json:"updated_at"`
	} `json:"user"`
	AdminUIAccess    bool   `json:"admin_ui_access"`
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	ExpiresAt        string `json:"expires_at"`
	RefreshExpiresAt string `json:"refresh_expires_at"`
}

func decodeLogin(t *testing.T, w *httptest.ResponseRecorder) loginJSON {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var l loginJSON
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields() // exactly the documented shape
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("login answer %s: %v", w.Body, err)
	}
	if strings.Contains(w.Body.String(), "password") || strings.Contains(w.Body.String(), "$2a$") {
		t.Errorf("password material in answer: %s", w.Body)
	}
	return l
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`))
	l := decodeLogin(t, w)
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("token answer is cacheable")
	}
	if l.User.ID != "alice" || l.User.Username != "alice" || l.User.Role != "user" ||
		l.User.Email == nil || *l.User.Email != "alice@example.com" ||
		l.User.CreatedAt != "2025-01-02T03:04:05Z" || l.User.UpdatedAt != "2025-01-02T04:04:05Z" {
		t.Errorf("user %+v", l.User)
	}
	if l.AdminUIAccess {
		t.Error("a user-role login reports admin_ui_access")
	}
	exp, err := time.Parse(time.RFC3339, l.ExpiresAt)
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Errorf("expires_at %q (%v), want %s", l.ExpiresAt, err, now.Add(time.Hour))
	}
	rexp, err := time.Parse(time.RFC3339, l.RefreshExpiresAt)
	if err != nil || !rexp.Equal(now.Add(24*time.Hour)) {
		t.Errorf("refresh_expires_at %q (%v)", l.RefreshExpiresAt, err)
	}
	if l.AccessToken == "" || l.RefreshToken == "" || l.AccessToken == l.RefreshToken {
		t.Error("tokens missing or equal")
	}

	// "username" is accepted as a synonym; email is null when unset.
	l = decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"username":"bob","password":"pw-bob"}`)))
	if l.User.ID != "bob" || l.User.Role != "dba" || l.User.Email != nil {
		t.Errorf("bob %+v", l.User)
	}
	// curl -u style: Basic header, no body.
	decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", nil, withAuth(basic("bob", "pw-bob"))))
	// Password-less root from loopback.
	decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"root"}`), from(loopbackAddr)))
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	cases := map[string]struct {
		body   string
		status int
		code   apierror.Code
		opts   []reqOpt
	}{
		"wrong password":   {`{"user":"alice","password":"x"}`, 401, apierror.Unauthorized, nil},
		"unknown user":     {`{"user":"zed","password":"x"}`, 401, apierror.Unauthorized, nil},
		"root from remote": {`{"user":"root","password":""}`, 401, apierror.Unauthorized, nil},
		"missing user":     {`{"password":"x"}`, 400, apierror.InvalidInput, nil},
		"user not string":  {`{"user":7,"password":"x"}`, 400, apierror.InvalidInput, nil},
		"password number":  {`{"user":"alice","password":123}`, 400, apierror.InvalidInput, nil},
		"disagreeing":      {`{"user":"alice","username":"bob","password":"x"}`, 400, apierror.InvalidInput, nil},
		"not json":         {`user=alice`, 400, apierror.InvalidInput, nil},
		"empty":            {``, 400, apierror.InvalidInput, nil},
		"huge":             {`{"user":"` + strings.Repeat("a", 70000) + `"}`, 413, apierror.PayloadTooLarge, nil},
	}
	e.srv.opts.MaxBodyBytes = 1 << 20 // the login cap (64 KiB) must apply on its own
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(c.body), c.opts...)
			wantError(t, w, c.status, c.code)
		})
	}
	wantError(t, e.do(t, http.MethodGet, "/v1/api/auth/login", nil), 405, codeMethodNotAllowed)
}

func TestRefreshFlow(t *testing.T) {
	e := newEnv(t)
	l := decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`)))
	e.clock.Advance(2 * time.Hour) // access token expired, refresh token valid
	w := e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, withAuth("Bearer "+l.RefreshToken))
	next := decodeLogin(t, w)
	if next.User.ID != "alice" {
		t.Errorf("refresh user %+v", next.User)
	}
	if exp, _ := time.Parse(time.RFC3339, next.ExpiresAt); !exp.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("new expires_at %s", next.ExpiresAt)
	}
	if w := e.sql(t, `{"sql":"SELECT 1"}`, withAuth("Bearer "+next.AccessToken)); w.Code != 200 {
		t.Errorf("new access token refused: %d %s", w.Code, w.Body)
	}
	// An access token is not a refresh token; neither is Basic or nothing.
	wantError(t, e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, withAuth("Bearer "+next.AccessToken)), 401, apierror.Unauthorized)
	wantError(t, e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, withAuth(basic("alice", "pw-alice"))), 401, apierror.Unauthorized)
	wantError(t, e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil), 401, apierror.Unauthorized)
	// Expired refresh token.
	e.clock.Advance(25 * time.Hour)
	wantError(t, e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, withAuth("Bearer "+next.RefreshToken)), 401, apierror.Unauthorized)
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	l := decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`)))
	for name, h := range map[string]string{"basic": basic("alice", "pw-alice"), "bearer": "Bearer " + l.AccessToken} {
		w := e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withAuth(h))
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		want := `{"id":"alice","username":"alice","role":"user","email":"alice@example.com","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T04:04:05Z","admin_ui_access":false}` + "\n"
		if w.Body.String() != want {
			t.Errorf("%s:\n got %s\nwant %s", name, w.Body, want)
		}
	}
	wantError(t, e.do(t, http.MethodGet, "/v1/api/auth/me", nil), 401, apierror.Unauthorized)
	wantError(t, e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withAuth("Bearer "+l.RefreshToken)), 401, apierror.Unauthorized)
}

func grep(text, substr string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.sql(t, `{"sql":"SELECT 1"}`)
	e.sql(t, `{"sql":"SELECT 1"}`)
	e.sql(t, `{"sql":"SELECT 1"}`, withAuth(basic("alice", "bad")))
	e.do(t, http.MethodGet, "/v1/api/sql", nil)
	e.do(t, http.MethodGet, "/does/not/exist/12345", nil)

	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "kalamdb_test_extra_total", Help: "registered by another component"})
	if err := e.srv.Registry().Register(extra); err != nil {
		t.Fatal(err)
	}
	extra.Add(7)

	w := e.do(t, http.MethodGet, "/metrics", nil, from(loopbackAddr))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{
		`kalamdb_http_requests_total{code="OK",endpoint="/v1/api/sql",status="200"} 2`,
		`kalamdb_http_requests_total{code="UNAUTHORIZED",endpoint="/v1/api/sql",status="401"} 1`,
		`kalamdb_http_requests_total{code="METHOD_NOT_ALLOWED",endpoint="/v1/api/sql",status="405"} 1`,
		`kalamdb_http_requests_total{code="NOT_FOUND",endpoint="unmatched",status="404"} 1`,
		`kalamdb_http_request_duration_seconds_count{code="OK",endpoint="/v1/api/sql",status="200"} 2`,
		`kalamdb_http_request_duration_seconds_bucket{code="OK",endpoint="/v1/api/sql",status="200",le="+Inf"} 2`,
		`kalamdb_http_requests_in_flight 1`, // this very request
		`kalamdb_test_extra_total 7`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q\n%s", want, grep(body, "kalamdb_"))
		}
	}
	if strings.Contains(body, "12345") {
		t.Error("raw path leaked into metric labels")
	}
}

func TestMetricsLoopbackOnly(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.do(t, http.MethodGet, "/metrics", nil), http.StatusForbidden, apierror.PermissionDenied)
	if w := e.do(t, http.MethodGet, "/metrics", nil, from("[::1]:9")); w.Code != 200 {
		t.Errorf("::1: %d", w.Code)
	}
	open := newEnv(t, func(o *Options) { o.MetricsLoopbackOnly = false })
	if w := open.do(t, http.MethodGet, "/metrics", nil); w.Code != 200 {
		t.Errorf("loopback-only off: %d", w.Code)
	}
}

func TestHandleMountsBehindMiddleware(t *testing.T) {
	e := newEnv(t)
	e.srv.Handle("GET /v1/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
	}))
	// The client sees the 101 before the hijacking handler returns, and
	// the middleware records the request only after it returns; neither
	// the response nor ts.Close (which does not wait for hijacked
	// connections) orders the two, so wait for ServeHTTP itself.
	served := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.srv.ServeHTTP(w, r)
		close(served)
	}))
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/v1/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("hijacked answer %d, want 101 (Hijack must work through the middleware)", resp.StatusCode)
	}
	<-served
	wantError(t, e.do(t, http.MethodPost, "/v1/ws", nil), 405, codeMethodNotAllowed)
	body := e.do(t, http.MethodGet, "/metrics", nil, from(loopbackAddr)).Body.String()
	if !strings.Contains(body, `kalamdb_http_requests_total{code="OK",endpoint="/v1/ws",status="101"} 1`) {
		t.Errorf("mounted route not measured:\n%s", grep(body, "requests_total"))
	}
}

func TestNewValidates(t *testing.T) {
	ok := Options{MaxBodyBytes: 1, MaxSQLBytes: 1}
	if _, err := New(Deps{Auth: nil, Executor: &fakeExecutor{}}, ok); err == nil {
		t.Error("nil auth accepted")
	}
	e := newEnv(t)
	if _, err := New(Deps{Auth: e.srv.auth}, ok); err == nil {
		t.Error("nil executor accepted")
	}
	if _, err := New(Deps{Auth: e.srv.auth, Executor: &fakeExecutor{}}, Options{}); err == nil {
		t.Error("zero limits accepted")
	}
}

func TestStatusForCodeCoversTheTable(t *testing.T) {
	// Every code the HTTP table lists must map away from the 500 default,
	// except INTERNAL_ERROR itself.
	for _, c := range []apierror.Code{
		apierror.InvalidSQL, apierror.BatchParseError, apierror.EmptySQL, apierror.InvalidParameter,
		apierror.ParamsWithBatch, apierror.InvalidInput, apierror.NamespaceNotFound, apierror.TableNotFound,
		apierror.NotFound, apierror.AlreadyExists, apierror.Unauthorized, apierror.PermissionDenied,
		apierror.PayloadTooLarge, apierror.RateLimitExceeded, apierror.SQLExecutionError,
		apierror.QueryTimeout, apierror.ResourceLimitExceeded,
	} {
		if StatusForCode(c) == http.StatusInternalServerError {
			t.Errorf("%s maps to 500", c)
		}
	}
	// The resource codes are the client's to fix, never a retryable 5xx.
	for _, c := range []apierror.Code{apierror.QueryTimeout, apierror.ResourceLimitExceeded} {
		if got := StatusForCode(c); got != http.StatusBadRequest {
			t.Errorf("%s maps to %d, want 400", c, got)
		}
	}
	if StatusForCode("SOMETHING_NEW") != 500 {
		t.Error("unknown code should be 500")
	}
}

func TestNewHTTPServerUsesConfig(t *testing.T) {
	c := config.Default()
	c.Server.Host, c.Server.Port = "0.0.0.0", 9999
	c.Server.ReadHeaderTimeout = 7 * time.Second
	c.Server.IdleTimeout = 11 * time.Second
	c.Server.MaxConnections, c.Server.MaxUnauthenticatedConnections = 20, 10
	hs, err := NewHTTPServer(&c, newEnv(t).srv, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := hs.srv
	if s.Addr != "0.0.0.0:9999" || s.ReadHeaderTimeout != 7*time.Second || s.IdleTimeout != 11*time.Second ||
		s.MaxHeaderBytes != maxHeaderBytes || s.ErrorLog == nil || s.Handler == nil || s.BaseContext == nil {
		t.Errorf("server %+v", s)
	}
	if hs.conns.max != 20 || hs.conns.maxUnauth != 10 {
		t.Errorf("connection limits %d/%d", hs.conns.max, hs.conns.maxUnauth)
	}
}

func TestOptionsFromConfig(t *testing.T) {
	c := config.Default()
	c.Limits.RequestsPerSecond = 3
	c.Limits.MetricsLoopbackOnly = false
	o := OptionsFromConfig(&c, "9.9.9")
	if o.Version != "9.9.9" || o.MaxBodyBytes != c.Server.MaxBodyBytes || o.MaxSQLBytes != c.Limits.MaxSQLBytes ||
		o.RequestsPerSecond != 3 || o.MetricsLoopbackOnly {
		t.Errorf("options %+v", o)
	}
}
