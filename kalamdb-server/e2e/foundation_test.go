package e2e_test

import (
	"encoding/json"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, path := range []string{"/health", "/v1/api/healthcheck"} {
		r := s.do(http.MethodGet, path, nil, nil)
		var body map[string]string
		if err := json.Unmarshal([]byte(r.raw), &body); err != nil || r.httpStatus != 200 ||
			body["status"] != "healthy" || body["api_version"] != "v1" || body["version"] == "" {
			t.Fatalf("%s: %s", path, r)
		}
	}
}

func TestFirstSessionDDLAndSystemTables(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.ok(root, `CREATE NAMESPACE chat;
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT NOT NULL, content TEXT, created_at TIMESTAMP DEFAULT NOW()) WITH (FLUSH_POLICY = 'rows:1000');
		CREATE SHARED TABLE chat.rooms (id BIGINT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE STREAM TABLE chat.typing (conversation_id BIGINT, user_id TEXT) WITH (TTL_SECONDS = 10)`)
	if len(r.Results) != 4 || r.Results[1].Message == "" || r.Results[0].AsUser != "root" {
		t.Fatalf("DDL results: %s", r)
	}
	got := s.ok(root, "SELECT table_name, table_type FROM system.tables ORDER BY table_name").rows(t)
	if got != `[["messages","USER"],["rooms","SHARED"],["typing","STREAM"]]` {
		t.Fatalf("system.tables: %s", got)
	}
	r = s.ok(root, "SELECT namespace_id, created_at FROM system.namespaces")
	if r.Results[0].Schema[1].DataType != "Timestamp" || !strings.HasPrefix(r.rows(t), `[["chat",1`) {
		t.Fatalf("system.namespaces: %s", r)
	}
	if got := s.ok(root, "SHOW NAMESPACES").rows(t); !strings.Contains(got, `"chat"`) {
		t.Fatalf("SHOW NAMESPACES: %s", got)
	}
	r = s.ok(root, "DESCRIBE TABLE chat.messages")
	if !strings.Contains(r.rows(t), `["id","BIGINT",false,true,"SNOWFLAKE_ID()",1,null,1]`) {
		t.Fatalf("DESCRIBE: %s", r)
	}
	if got := s.ok(root, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'chat' ORDER BY table_name").rows(t); got != `[["messages"],["rooms"],["typing"]]` {
		t.Fatalf("information_schema.tables: %s", got)
	}
	// The namespace_id request field selects the namespace.
	body := map[string]any{"sql": "SELECT count(*) FROM messages", "namespace_id": "chat"}
	if r := s.do(http.MethodPost, "/v1/api/sql", &root, body); r.httpStatus != 200 || r.rows(t) != `[[0]]` {
		t.Fatalf("namespace_id: %s", r)
	}
}

func TestUsersRolesAndRefusals(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user EMAIL 'alice@example.com';
		CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE dba`)
	alice := basic("alice", "alice-pw")
	for _, stmt := range []string{"CREATE NAMESPACE x", "DROP TABLE app.notes", "CREATE TABLE app.t (id INT)",
		"CREATE USER 'eve' WITH PASSWORD 'x' ROLE user", "SELECT * FROM system.tables", "DROP NAMESPACE app CASCADE"} {
		s.fail(alice, http.StatusForbidden, "PERMISSION_DENIED", stmt)
	}
	// Nothing changed.
	if got := s.ok(root, "SELECT count(*) FROM system.tables").rows(t); got != `[[1]]` {
		t.Fatalf("tables after refusals: %s", got)
	}
	if got := s.ok(root, "SELECT count(*) FROM system.users").rows(t); got != `[[3]]` {
		t.Fatalf("users after refusals: %s", got)
	}
	// A user reads their own system.users row only, never a hash.
	r := s.ok(alice, "SELECT * FROM system.users")
	if got := r.rows(t); !strings.Contains(got, `"alice"`) || strings.Contains(got, `"root"`) || strings.Contains(got, "$2") {
		t.Fatalf("alice's system.users: %s", got)
	}
	ops := basic("ops", "ops-pw")
	s.ok(ops, "CREATE TABLE app.more (id INT PRIMARY KEY)")
	s.fail(ops, http.StatusForbidden, "PERMISSION_DENIED", "CREATE USER 'sys' WITH PASSWORD 'x' ROLE system")
	// Bad credentials.
	for _, c := range []creds{basic("alice", "wrong"), basic("nobody", "x"), basic("root", "not-empty")} {
		r := s.sql(c, "SELECT 1")
		checkError(t, r, http.StatusUnauthorized, "UNAUTHORIZED", "bad credentials")
		if !strings.Contains(r.header.Get("WWW-Authenticate"), `Basic realm="kalamdb"`) {
			t.Fatalf("401 without WWW-Authenticate: %v", r.header)
		}
	}
	r = s.do(http.MethodPost, "/v1/api/sql", nil, map[string]any{"sql": "SELECT 1"})
	checkError(t, r, http.StatusUnauthorized, "UNAUTHORIZED", "no credentials")
	// A password change applies at once, also to cached credentials.
	s.ok(root, "ALTER USER 'alice' SET PASSWORD 'second-pw'")
	s.fail(alice, http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
	s.ok(basic("alice", "second-pw"), "SELECT 1")
	s.ok(root, "DROP USER 'alice'")
	s.fail(basic("alice", "second-pw"), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
}

func TestErrorTable(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) { c.Server.MaxBodyBytes = 4096 })
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, n INT NOT NULL)")
	r := s.fail(root, 400, "INVALID_SQL", "SELECT * FORM app.t")
	if pos, ok := r.Error.Details["position"]; !ok || pos == nil {
		t.Fatalf("INVALID_SQL without a position: %s", r)
	}
	s.fail(root, 400, "EMPTY_SQL", "   ")
	s.fail(root, 400, "PARAMS_WITH_BATCH", "SELECT 1; SELECT 2", 1)
	s.fail(root, 400, "INVALID_PARAMETER", "SELECT * FROM app.t WHERE id = $1")
	s.fail(root, 404, "NAMESPACE_NOT_FOUND", "SELECT * FROM nope.t")
	s.fail(root, 404, "TABLE_NOT_FOUND", "SELECT * FROM app.nope")
	s.fail(root, 404, "NAMESPACE_NOT_FOUND", "CREATE TABLE nope.t (id INT)")
	s.fail(root, 409, "ALREADY_EXISTS", "CREATE NAMESPACE app")
	s.fail(root, 400, "INVALID_INPUT", "INSERT INTO app.t (id, n) VALUES (1, NULL)")
	s.ok(root, "INSERT INTO app.t (id, n) VALUES (1, 1)")
	s.fail(root, 400, "INVALID_INPUT", "INSERT INTO app.t (id, n) VALUES (1, 2)")
	s.fail(root, 400, "SQL_EXECUTION_ERROR", "BEGIN; INSERT INTO app.t (id, n) VALUES (5, 5)")
	// Wrong JSON shapes.
	for _, body := range []string{`{"sql": 1}`, `{"sql": "SELECT 1", "params": {}}`, `not json`, `{"sql": "SELECT 1"} trailing`} {
		r := s.do(http.MethodPost, "/v1/api/sql", &root, body)
		checkError(t, r, 400, "INVALID_INPUT", body)
	}
	big := `{"sql": "SELECT '` + strings.Repeat("x", 5000) + `'"}`
	checkError(t, s.do(http.MethodPost, "/v1/api/sql", &root, big), 413, "PAYLOAD_TOO_LARGE", "big body")
	// Nothing of the failed statements landed.
	if got := s.ok(root, "SELECT id, n FROM app.t").rows(t); got != `[[1,1]]` {
		t.Fatalf("rows after errors: %s", got)
	}
}

func TestJWTLoginRefreshMe(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE service EMAIL 'a@x.io'")
	r := s.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": "alice", "password": "alice-pw"})
	var login struct {
		User struct {
			ID, Username, Role, Email string
		} `json:"user"`
		AccessToken      string `json:"access_token"`
		RefreshToken     string `json:"refresh_token"`
		ExpiresAt        string `json:"expires_at"`
		RefreshExpiresAt string `json:"refresh_expires_at"`
	}
	if err := json.Unmarshal([]byte(r.raw), &login); err != nil || r.httpStatus != 200 || login.AccessToken == "" ||
		login.User.Username != "alice" || login.User.Role != "service" || login.ExpiresAt == "" {
		t.Fatalf("login: %s", r)
	}
	if strings.Contains(r.raw, "password") || strings.Contains(r.raw, "$2") {
		t.Fatalf("login leaks the hash: %s", r.raw)
	}
	if got := s.ok(bearer(login.AccessToken), "SELECT CURRENT_USER()").rows(t); got != `[["alice"]]` {
		t.Fatalf("bearer: %s", got)
	}
	s.fail(bearer(login.RefreshToken), 401, "UNAUTHORIZED", "SELECT 1")
	s.fail(bearer(login.AccessToken+"x"), 401, "UNAUTHORIZED", "SELECT 1")
	me := s.do(http.MethodGet, "/v1/api/auth/me", &creds{bearer: login.AccessToken}, nil)
	if me.httpStatus != 200 || !strings.Contains(me.raw, `"username":"alice"`) || strings.Contains(me.raw, "$2") {
		t.Fatalf("me: %s", me)
	}
	ref := s.do(http.MethodPost, "/v1/api/auth/refresh", &creds{bearer: login.RefreshToken}, nil)
	if ref.httpStatus != 200 || !strings.Contains(ref.raw, "access_token") {
		t.Fatalf("refresh: %s", ref)
	}
	checkError(t, s.do(http.MethodPost, "/v1/api/auth/refresh", &creds{bearer: login.AccessToken}, nil), 401, "UNAUTHORIZED", "refresh with access token")
	checkError(t, s.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": "alice", "password": "bad"}), 401, "UNAUTHORIZED", "bad login")
}

func TestMetrics(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, "SELECT 1")
	s.fail(root, 400, "INVALID_SQL", "SELEC 1")
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)
	for _, want := range []string{"# TYPE", `endpoint="/v1/api/sql"`, `code="INVALID_SQL"`, `code="OK"`, "_bucket"} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %s:\n%s", want, body)
		}
	}
}

func TestRestartKeepsCatalog(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE SHARED TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		INSERT INTO app.cfg (k, v) VALUES ('theme', 'dark')`)
	s.ok(basic("alice", "alice-pw"), "INSERT INTO app.notes (id, body) VALUES (1, 'kept')")
	s = s.restart()
	if got := s.ok(root, "SELECT namespace_id FROM system.namespaces").rows(t); got != `[["app"]]` {
		t.Fatalf("namespaces after restart: %s", got)
	}
	if got := s.ok(root, "SELECT table_name FROM system.tables ORDER BY table_name").rows(t); got != `[["cfg"],["notes"]]` {
		t.Fatalf("tables after restart: %s", got)
	}
	if got := s.ok(basic("alice", "alice-pw"), "SELECT id, body FROM app.notes").rows(t); got != `[[1,"kept"]]` {
		t.Fatalf("alice's rows after restart: %s", got)
	}
	if got := s.ok(root, "SELECT v FROM app.cfg WHERE k = 'theme'").rows(t); got != `[["dark"]]` {
		t.Fatalf("shared rows after restart: %s", got)
	}
}
