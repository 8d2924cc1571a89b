package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// attack26Patterns is a WHERE of n distinct constant patterns of about
// 16,000 instructions each (Go's regexp keeps about 36 bytes of each),
// in 60 bytes of SQL apiece.
func attack26Patterns(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("body ~ '(a|b){1000}(c|d){1000}(e|f){1000}(g|%d){1000}'", i)
	}
	return strings.Join(parts, " OR ")
}

// A compiled pattern is kept by the plan from planning to the statement's
// end, and each is bounded (20,000 instructions), but a statement may have
// any number of them: a regular user's SELECT of a thousand such
// patterns, 59 kB of SQL, held 2.8 GB of heap, none of it charged to the
// statement's budget or the server's memory account. They are charged
// now, so the statement fails with RESOURCE_LIMIT_EXCEEDED at the budget
// (failed before: it ran, holding what the patterns kept), and a few
// patterns still run.
func TestAttack26CompiledPatternsAreChargedToTheStatement(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.Limits.StatementMemoryBytes = 16 << 20 })
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'hi'), (2, 7, 'ab')")
	// 40 patterns hold about 40 MiB as charged (16,000 instructions of
	// 64 bytes), 23 MiB as measured: past the 16 MiB budget either way.
	r := s.fail(liveAlice, 400, "RESOURCE_LIMIT_EXCEEDED", "SELECT id FROM chat.messages WHERE "+attack26Patterns(40))
	if !strings.Contains(r.Error.Message, "statement_memory_bytes") || !strings.Contains(r.Error.Message, "regular expression") {
		t.Fatalf("40 large patterns: %s, want the budget named", r.raw)
	}
	// Patterns that are not constants are compiled per row into a cache
	// per call: charged as well, and given back as the cache is emptied,
	// so a column of many distinct patterns is read whole.
	s.ok(root, "CREATE SHARED TABLE chat.rules (id INT PRIMARY KEY, p TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')")
	s.ok(root, "INSERT INTO chat.rules SELECT g, '(a|b){1000}(c|d){1000}(e|f){1000}(g|' || g || '){1000}' FROM generate_series(1, 40) g")
	if got := s.ok(liveAlice, "SELECT count(*) FROM chat.rules WHERE 'x' ~ p OR 'y' ~ (p || 'z')").rows(t); got != "[[0]]" {
		t.Fatalf("patterns of a column: %s", got)
	}
	// A statement of a few such patterns runs as before.
	if got := s.ok(liveAlice, "SELECT id FROM chat.messages WHERE body ~ '^a' OR "+attack26Patterns(4)+" ORDER BY id").rows(t); got != "[[2]]" {
		t.Fatalf("a few patterns: %s", got)
	}
	s.waitMetric(t, "kalamdb_memory_reserved_bytes", "after the statements", func(v float64) bool { return v == 0 })
}
