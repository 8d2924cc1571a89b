package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/app"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// The server's own logger (what the binary builds) writes one access-log
// line per request with what was answered, a refused one included, and
// without a caller.
func TestAccessLogOfTheRealLogger(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "server.log")
	log, err := app.NewLogger(config.Default().Logging, logPath)
	if err != nil {
		t.Fatal(err)
	}
	s := startServerLog(t, dir, log, func(c *config.Config) { c.Logging = config.Default().Logging })
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")

	send := func(id string, c creds) int {
		req, err := http.NewRequest(http.MethodPost, s.base+"/v1/api/sql", bytes.NewReader([]byte(`{"sql":"SELECT 1"}`)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Request-Id", id)
		req.SetBasicAuth(c.user, c.password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}
	if code := send("e2e-ok", basic("alice", "pw")); code != http.StatusOK {
		t.Fatalf("HTTP %d", code)
	}
	if code := send("e2e-refused", basic("alice", "wrong")); code != http.StatusUnauthorized {
		t.Fatalf("HTTP %d", code)
	}
	s.stop() // every request has been answered and logged
	_ = log.Sync()

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries := map[string]map[string]any{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "http request" {
			if id, _ := m["request_id"].(string); id != "" {
				entries[id] = m
			}
		}
	}
	for id, want := range map[string]map[string]any{
		"e2e-ok":      {"status": 200.0, "code": "OK", "route": "/v1/api/sql", "method": "POST"},
		"e2e-refused": {"status": 401.0, "code": "UNAUTHORIZED", "route": "/v1/api/sql", "user_id": ""},
	} {
		m, ok := entries[id]
		if !ok {
			t.Fatalf("no access-log line for %s in %s", id, logPath)
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v (%v)", id, k, m[k], v, m)
			}
		}
		if _, ok := m["caller"]; ok {
			t.Errorf("%s: access-log line with a caller: %v", id, m)
		}
		if n, _ := m["bytes"].(float64); n <= 0 || m["remote"] == "" {
			t.Errorf("%s: %v", id, m)
		}
	}
	if id := entries["e2e-ok"]["user_id"]; id == "" || id == "alice" {
		t.Errorf("user_id %v: want alice's generated id", id)
	}
}
