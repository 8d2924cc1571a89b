package cli

import (
	"strings"
	"testing"
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
