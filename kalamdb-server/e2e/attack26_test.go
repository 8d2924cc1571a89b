package e2e_test

import (
	"fmt"
	"runtime"
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

// A subscription keeps its SQL and its compiled query for as long as it
// lasts, bounded per subscription only by the message size (1 MiB):
// three connections of one regular user, a hundred subscriptions each of
// a 0.9 MB string, held 1.1 GB of heap (a 200 kB IN list held 4.2 MB per
// subscription), none of it reserved; at the default of 1000
// subscriptions per user, gigabytes per user. What a subscription keeps
// is now reserved from the user's share for its life: past the share,
// SUBSCRIPTION_FAILED naming user_memory_bytes (failed before: every
// subscription was taken), another user subscribes meanwhile, and
// unsubscribing gives it back.
func TestAttack26SubscriptionsAreReservedForTheirLife(t *testing.T) {
	const mib = 1 << 20
	s := liveServer(t, func(c *config.Config) {
		c.Limits.StatementMemoryBytes = 24 * mib
		c.Limits.MaxResultBytes = 16 * mib
		c.Server.MaxBodyBytes = mib
		c.Limits.MaxSQLBytes = mib
		c.Limits.ServerMemoryBytes = 200 * mib
		c.Limits.UserMemoryBytes = 57 * mib
	})
	big := "SELECT id FROM chat.messages WHERE body <> '" + strings.Repeat("a", 900_000) + "'"
	alice := s.loginWS(t, "alice", "alice-pw")
	refused := -1
	for i := 0; i < 30 && refused < 0; i++ {
		id := fmt.Sprint("s", i)
		alice.subscribe(id, big, nil)
		m := alice.recv()
		switch {
		case m.Type == "error" && m.Code == "SUBSCRIPTION_FAILED" && strings.Contains(m.Message, "user_memory_bytes"):
			refused = i
		case m.Type == "subscription_ack":
			alice.expect("initial_data_batch", id)
		default:
			t.Fatalf("subscription %d: %s", i, m.raw)
		}
	}
	if refused < 0 {
		t.Fatalf("30 subscriptions of 0.9 MB each were taken within a share of 57 MiB (%v bytes reserved)", s.metric("kalamdb_memory_reserved_bytes"))
	}
	// Another user's share is their own.
	bob := s.loginWS(t, "bob", "bob-pw")
	bob.subscribeAll("b", big, nil)
	// Unsubscribing gives a subscription's reservation back.
	// (Unsubscribe has no answer: its row of system.live_queries goes.)
	alice.send(map[string]any{"type": "unsubscribe", "subscription_id": "s0"})
	eventually(t, "s0 to be unsubscribed", func() bool {
		return s.ok(root, "SELECT count(*) FROM system.live_queries WHERE subscription_id = 's0'").rows(t) == "[[0]]"
	})
	alice.subscribeAll("again", big, nil)
	_ = alice.c.CloseNow()
	_ = bob.c.CloseNow()
	s.waitMetric(t, "kalamdb_memory_reserved_bytes", "the sockets closed", func(v float64) bool { return v == 0 })
}

// The join optimizer evaluates the constant sides of a join condition's
// comparisons when it costs index scans, and keeps the values in the
// plan; a WHERE's are folded and charged (simplifyFilters), a join's
// were not: a regular user's inner join of two empty tables on sixty
// comparisons with repeat('a', 15000000) || 'b', 3.5 kB of SQL, held
// 1 GB under the default 256 MiB budget. The join optimizer's values are
// charged now; it drops a comparison whose value it cannot build (the
// join evaluates it per row instead), so the statement still answers,
// having built no more than its budget (failed before: it built all
// 900 MB). Measured in bytes the process allocated, against the 900 MB
// (the server runs in this process).
func TestAttack26JoinConditionConstantsAreCharged(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.Limits.StatementMemoryBytes = 64 << 20 })
	cond := strings.Repeat("a.name = repeat('a', 15000000) || 'b' OR ", 60)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.ok(liveAlice, "SELECT 1 FROM chat.rooms a JOIN chat.rooms b ON a.id = b.id AND ("+cond+"false)")
	runtime.ReadMemStats(&after)
	if built := after.TotalAlloc - before.TotalAlloc; built > 300_000_000 {
		t.Fatalf("planning a join on 60 constants of 15 MB allocated %d MB under a 64 MiB budget", built>>20)
	}
	// A join on such constants still finds its rows.
	s.ok(root, "INSERT INTO chat.rooms VALUES (1, 'lobby')")
	cond = strings.Repeat("a.name = repeat('a', 15000000) || 'b' OR ", 2)
	if got := s.ok(liveAlice, "SELECT a.name FROM chat.rooms a JOIN chat.rooms b ON a.id = b.id AND ("+cond+"a.name = 'lobby')").rows(t); got != `[["lobby"]]` {
		t.Fatalf("a join on 30 MB of constants: %s", got)
	}
}

// An UPDATE or DELETE of one table is planned with the engine's short
// rule list, whose join optimizer costs index scans over the WHERE's
// constants and keeps them, out of the reach of the wrapping that
// charges the full list's: a regular user's DELETE of an empty table on
// sixty comparisons with repeat('a', 15000000) || 'b' held 1 GB, and an
// UPDATE of a SHARED table it may not write built as much before its
// refusal. The short list's planning is charged now (failed before:
// each built the 900 MB). Measured as the join's test above.
func TestAttack26ShortPathConstantsAreCharged(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.Limits.StatementMemoryBytes = 64 << 20 })
	cond := strings.Repeat("body = repeat('a', 15000000) || 'b' OR ", 60)
	built := func(c creds, status int, sqlText string) {
		t.Helper()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if r := s.sql(c, sqlText); r.httpStatus != status {
			t.Fatalf("%.60s…: %d %s, want %d", sqlText, r.httpStatus, r.raw, status)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 300_000_000 {
			t.Fatalf("%.60s… allocated %d MB under a 64 MiB budget", sqlText, n>>20)
		}
	}
	built(liveAlice, 200, "DELETE FROM chat.messages WHERE "+cond+"false")
	built(liveAlice, 200, "UPDATE chat.messages SET conv = 1 WHERE "+cond+"false")
	built(liveAlice, 403, "UPDATE chat.rooms SET name = 'x' WHERE "+strings.ReplaceAll(cond, "body", "name")+"false")
	// Rows are still found and changed.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'hi'), (2, 7, 'bye')")
	cond = strings.Repeat("body = repeat('a', 15000000) || 'b' OR ", 2)
	if got := s.ok(liveAlice, "UPDATE chat.messages SET conv = 8 WHERE "+cond+"body = 'hi'"); got.Results[0].RowCount != 1 {
		t.Fatalf("update: %s", got.raw)
	}
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE "+cond+"body = 'bye'")
	if got := s.ok(liveAlice, "SELECT id, conv FROM chat.messages ORDER BY id").rows(t); got != "[[1,8]]" {
		t.Fatalf("after the update and delete: %s", got)
	}
}
