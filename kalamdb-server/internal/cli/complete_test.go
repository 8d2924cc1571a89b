package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCompletion(t *testing.T) {
	s := &session{namespace: "app"}
	s.catalog = catalog{loaded: true, namespaces: []string{"app", "chat"},
		tables:  map[string][]string{"app": {"items", "orders"}, "chat": {"messages"}},
		columns: map[string][]string{"app.items": {"id", "name"}, "chat.messages": {"id", "content"}}}
	cases := []struct {
		line      string
		wantHead  string
		wantFirst string
		wantAll   []string
	}{
		{"sel", "", "select", nil},
		{"SELECT * FROM cha", "SELECT * FROM ", "chat", nil},
		{"SELECT * FROM chat.me", "SELECT * FROM ", "chat.messages", nil},
		{"SELECT * FROM ite", "SELECT * FROM ", "items", nil},
		{"SELECT con FROM chat.messages", "SELECT ", "content", nil},
		{`\us`, "", "", []string{`\users`, `\use`}},
		{`\use c`, `\use `, "chat", nil},
		{`\d chat.`, `\d `, "", []string{"chat.messages"}},
		{`\format j`, `\format `, "json", nil},
	}
	for _, c := range cases {
		pos := len([]rune(c.line))
		if c.line == "SELECT con FROM chat.messages" {
			pos = len("SELECT con")
		}
		head, list, _ := s.complete(c.line, pos)
		if head != c.wantHead {
			t.Errorf("%q: head %q, want %q", c.line, head, c.wantHead)
		}
		if c.wantAll != nil {
			if strings.Join(list, ",") != strings.Join(c.wantAll, ",") {
				t.Errorf("%q: completions %q, want %q", c.line, list, c.wantAll)
			}
			continue
		}
		if len(list) == 0 || list[0] != c.wantFirst {
			t.Errorf("%q: completions %q, want %q first", c.line, list, c.wantFirst)
		}
	}
}

// The names Tab completes come from SHOW NAMESPACES and
// information_schema.columns. The server's information_schema and its
// pg_catalog views are not namespaces and stay out; a namespace named
// pg_catalog that an older version created (SHOW NAMESPACES lists it)
// holds the user's tables, served under that name, and is completed as
// any namespace. Its tables were skipped with the views.
func TestCompletionCatalogLegacyPgCatalog(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		nsRows := `[["app"]]`
		pgRows := `["pg_catalog","pg_tables","schemaname"],["pg_catalog","pg_views","viewname"]`
		if legacy {
			nsRows = `[["app"],["pg_catalog"]]`
			pgRows = `["pg_catalog","old","id"]`
		}
		body := `{"status":"success","results":[` +
			`{"schema":[{"name":"namespace_id","data_type":"Text","index":0}],"rows":` + nsRows + `},` +
			`{"schema":[{"name":"table_schema","data_type":"Text","index":0},{"name":"table_name","data_type":"Text","index":1},{"name":"column_name","data_type":"Text","index":2}],"rows":[` +
			`["app","items","id"],["information_schema","tables","table_name"],` + pgRows + `]}]}`
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(body))
		}))
		c := NewClient(srv.URL, time.Minute, time.Minute)
		c.SetTokens(User{Username: "root"}, Tokens{Access: "a", Refresh: "r", AccessExpiresAt: time.Now().Add(time.Hour)})
		s := &session{client: c}
		err := s.catalog.load(context.Background(), s)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		wantNS, wantPG := "app", ""
		if legacy {
			wantNS, wantPG = "app,pg_catalog", "pg_catalog.old"
		}
		if got := strings.Join(s.catalogNamespaces(), ","); got != wantNS {
			t.Errorf("legacy=%v: namespaces %q, want %q", legacy, got, wantNS)
		}
		if got := strings.Join(s.qualifiedNames("pg_catalog"), ","); got != wantPG {
			t.Errorf("legacy=%v: pg_catalog. completes %q, want %q", legacy, got, wantPG)
		}
		if got := strings.Join(s.qualifiedNames("information_schema"), ","); got != "" {
			t.Errorf("legacy=%v: information_schema. completes %q", legacy, got)
		}
	}
}
