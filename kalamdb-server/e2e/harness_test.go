// Package e2e_test starts the real server (the fx app of cmd/kalamdb-server)
// on a random port with a temporary data directory and talks to it over
// HTTP like a client.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/app"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

type server struct {
	t    testing.TB
	dir  string
	cfg  *config.Config
	srv  *app.Server
	base string
}

// startServer starts a server on a random loopback port over dir.
func startServer(t testing.TB, dir string, mutate ...func(*config.Config)) *server {
	t.Helper()
	return startServerLog(t, dir, zap.NewNop(), mutate...)
}

// startServerLog is startServer with log as the server's logger.
func startServerLog(t testing.TB, dir string, log *zap.Logger, mutate ...func(*config.Config)) *server {
	t.Helper()
	cfg := config.Default()
	cfg.Server.Port = 0
	cfg.Storage.DataDir = dir
	cfg.Auth.BcryptCost = bcrypt.MinCost
	cfg.Logging.Level = "error"
	for _, m := range mutate {
		m(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := config.EnsureJWTSecret(&cfg); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir, cfg: &cfg, srv: app.New(&cfg, log)}
	if err := s.srv.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	s.base = "http://" + s.srv.Addr().String()
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.srv.Stop(ctx); err != nil {
		// A stop past its deadline is some goroutine not ending: the
		// server runs in this process, so its stacks say which.
		var stacks strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		s.t.Errorf("stop: %v\ngoroutines:\n%s", err, stacks.String())
	}
	s.srv = nil
}

// restart stops the server and starts a new one over the same data.
func (s *server) restart() *server {
	s.stop()
	return startServer(s.t, s.dir, func(c *config.Config) { *c = *s.cfg; c.Server.Port = 0 })
}

// response is the JSON body of every /v1/api/sql answer.
type response struct {
	Status  string `json:"status"`
	Results []struct {
		Schema []struct {
			Name     string `json:"name"`
			DataType string `json:"data_type"`
			Index    int    `json:"index"`
		} `json:"schema"`
		Rows     [][]any `json:"rows"`
		RowCount int64   `json:"row_count"`
		Message  string  `json:"message"`
		AsUser   string  `json:"as_user"`
	} `json:"results"`
	Took  *float64 `json:"took"`
	Error *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
	httpStatus int
	header     http.Header
	raw        string
}

// creds is how a request authenticates.
type creds struct {
	user, password, bearer string
}

var root = creds{user: "root"}

func basic(user, password string) creds { return creds{user: user, password: password} }
func bearer(token string) creds         { return creds{bearer: token} }

func (s *server) do(method, path string, c *creds, body any) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c != nil {
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		} else {
			req.SetBasicAuth(c.user, c.password)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	out := &response{httpStatus: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return out
}

// sql posts one batch.
func (s *server) sql(c creds, sqlText string, params ...any) *response {
	s.t.Helper()
	body := map[string]any{"sql": sqlText}
	if len(params) > 0 {
		body["params"] = params
	}
	return s.do(http.MethodPost, "/v1/api/sql", &c, body)
}

// ok posts a batch that must succeed.
func (s *server) ok(c creds, sqlText string, params ...any) *response {
	s.t.Helper()
	r := s.sql(c, sqlText, params...)
	if r.httpStatus != http.StatusOK || r.Status != "success" {
		s.t.Fatalf("%s: HTTP %d %s", sqlText, r.httpStatus, r.raw)
	}
	return r
}

// fail posts a batch that must fail with code and HTTP status, and checks
// the error envelope of the wire contract (docs/api.md).
func (s *server) fail(c creds, status int, code, sqlText string, params ...any) *response {
	s.t.Helper()
	r := s.sql(c, sqlText, params...)
	checkError(s.t, r, status, code, sqlText)
	return r
}

func checkError(t testing.TB, r *response, status int, code, what string) {
	t.Helper()
	if r.httpStatus != status || r.Error == nil || r.Error.Code != code || r.Status != "error" {
		t.Fatalf("%s: got HTTP %d %s, want %d %s", what, r.httpStatus, r.raw, status, code)
	}
	if r.Results == nil || len(r.Results) != 0 || r.Took == nil || r.Error.Message == "" {
		t.Fatalf("%s: error envelope incomplete: %s", what, r.raw)
	}
}

// userID is the user id of the user called name: ids are generated when
// a user is created, not the name (only root's id is "root").
func (s *server) userID(name string) string {
	s.t.Helper()
	r := s.ok(root, "SELECT user_id FROM system.users WHERE username = $1", name)
	if len(r.Results) != 1 || len(r.Results[0].Rows) != 1 {
		s.t.Fatalf("no user %s: %s", name, r.raw)
	}
	return r.Results[0].Rows[0][0].(string)
}

// rows returns the rows of the only result as compact JSON.
func (r *response) rows(t testing.TB) string {
	t.Helper()
	if len(r.Results) != 1 {
		t.Fatalf("want 1 result, got %s", r.raw)
	}
	raw, err := json.Marshal(r.Results[0].Rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func (r *response) String() string { return fmt.Sprintf("HTTP %d %s", r.httpStatus, r.raw) }

// jsonNumber is a request param sent as an exact JSON number.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// startBenchServer starts a quiet server for benchmarks over dir.
func startBenchServer(b *testing.B, dir string) *server {
	return startServer(b, dir)
}
