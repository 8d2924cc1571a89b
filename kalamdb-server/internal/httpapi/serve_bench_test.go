package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// BenchmarkServe is what this package adds to a request, without the
// network and without the statement: the middleware, authentication
// (Basic with the credential cache warm, Bearer with the token verified
// before), reading and decoding the body and encoding a one-row answer,
// against an executor that returns at once. The e2e BenchmarkRequestPath
// measures the same over a real connection with the real core.
func BenchmarkServe(b *testing.B) {
	e := newEnv(&testing.T{})
	e.srv.log, e.srv.accessLog = zap.NewNop(), zap.NewNop()
	row := []executor.Result{{
		Schema: []executor.Column{{Name: "id", DataType: "BIGINT"}, {Name: "sender", DataType: "TEXT", Index: 1},
			{Name: "content", DataType: "TEXT", Index: 2}, {Name: "created_at", DataType: "TIMESTAMP", Index: 3}},
		Rows:     [][]any{{int64(4242), "alice", strings.Repeat("chat text ", 10), int64(1764900000123)}},
		RowCount: 1,
	}}
	e.srv.exec = execFunc(func(context.Context, executor.Request) ([]executor.Result, error) { return row, nil })
	login := e.do(&testing.T{}, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`))
	token := decodeLogin(&testing.T{}, login).AccessToken
	const body = `{"sql":"SELECT id, sender, content, created_at FROM chat.messages WHERE id = $1","params":[4242]}`
	for _, c := range []struct {
		name, method, path, auth, body string
	}{
		{"health", http.MethodGet, "/health", "", ""},
		{"sql/basic", http.MethodPost, "/v1/api/sql", basic("alice", "pw-alice"), body},
		{"sql/bearer", http.MethodPost, "/v1/api/sql", "Bearer " + token, body},
	} {
		b.Run(c.name, func(b *testing.B) {
			body := strings.NewReader(c.body)
			r := httptest.NewRequest(c.method, c.path, io.NopCloser(body))
			r.RemoteAddr = remoteAddr
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(c.body)
				clear(w.header)
				w.status = 0
				e.srv.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status, so that
// the benchmark measures the server rather than a recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
func (w *discardWriter) Flush() {}

// execFunc is an SQLExecutor made of a function.
type execFunc func(ctx context.Context, req executor.Request) ([]executor.Result, error)

func (f execFunc) Execute(ctx context.Context, req executor.Request) ([]executor.Result, error) {
	return f(ctx, req)
}
