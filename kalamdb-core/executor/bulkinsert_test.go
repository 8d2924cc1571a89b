package executor_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// An INSERT of many rows checks and writes them together (one read of
// their keys, one batch); these tests hold it to what the same rows
// inserted one statement at a time give, and to the same refusals.

func bulkEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE USER TABLE app.msgs (id BIGINT PRIMARY KEY, conv BIGINT, role TEXT, body TEXT, at TIMESTAMP DEFAULT NOW());
		CREATE INDEX msgs_conv ON app.msgs (conv, id);
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user`)
	return e
}

// bulkValues is INSERT INTO app.msgs (id, conv, role, body) VALUES of n
// parameter rows, and its parameters (as an HTTP request decodes them).
func bulkValues(ids []int) (string, []any) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO app.msgs (id, conv, role, body) VALUES ")
	var params []any
	for i, id := range ids {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d)", 4*i+1, 4*i+2, 4*i+3, 4*i+4)
		params = append(params, json.Number(fmt.Sprint(id)), json.Number(fmt.Sprint(id%3)), []string{"user", "assistant"}[id%2],
			fmt.Sprintf("message %d <&> \"quoted\"", id))
	}
	return sb.String(), params
}

// TestBulkInsertMatchesSingleInserts: alice's 40 rows in one statement and
// bob's same 40 rows in 40 statements give the same rows, the same index
// reads and the same live changes (per row, in order).
func TestBulkInsertMatchesSingleInserts(t *testing.T) {
	e := bulkEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	ids := make([]int, 40)
	for i := range ids {
		ids[i] = 1000 - 7*i // not in key order
	}
	sqlText, params := bulkValues(ids)
	res := alice.must(sqlText, params...)
	if res[0].RowCount != int64(len(ids)) {
		t.Fatalf("bulk insert: %d rows, want %d", res[0].RowCount, len(ids))
	}
	aliceChanges := e.changes.summary()
	e.changes.reset()
	for _, id := range ids {
		one, p := bulkValues([]int{id})
		bob.must(one, p...)
	}
	bobChanges := e.changes.summary()
	for _, q := range []string{
		"SELECT id, conv, role, body FROM app.msgs ORDER BY id",
		"SELECT id, body FROM app.msgs WHERE conv = 2 ORDER BY id DESC LIMIT 5",
		"SELECT conv, count(*) FROM app.msgs GROUP BY conv ORDER BY conv",
	} {
		if a, b := alice.rows(q), bob.rows(q); a != b || a == "[]" {
			t.Fatalf("%s:\nbulk   %s\nsingle %s", q, a, b)
		}
	}
	strip := func(cs []string, user string) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			// The rows' times (last) differ; the columns before them do not.
			c = strings.TrimPrefix(c, user+" ")
			out[i] = c[:strings.LastIndex(c, `"quoted"`)]
		}
		return out
	}
	a, b := strip(aliceChanges, alice.user), strip(bobChanges, bob.user)
	if len(a) != len(ids) || !slices.Equal(a, b) {
		t.Fatalf("changes:\nbulk   %q\nsingle %q", a, b)
	}
}

// TestBulkInsertDuplicates: a key repeated in the statement, a key already
// committed (hot or flushed to the cold tier) and a key the open
// transaction wrote each fail the whole statement with the key named, and
// nothing of it is written.
func TestBulkInsertDuplicates(t *testing.T) {
	e := bulkEnv(t)
	alice := e.user("alice")
	one, p := bulkValues([]int{1})
	alice.must(one, p...)
	two, p2 := bulkValues([]int{2})
	alice.must(two, p2...)
	waitJob(t, e, e.root().must("STORAGE FLUSH TABLE app.msgs"))
	alice.must("DELETE FROM app.msgs WHERE id = 1")
	one, p = bulkValues([]int{1})
	alice.must(one, p...) // 1 again: a deleted key is free
	const count = "SELECT count(*) FROM app.msgs"
	before := alice.rows(count)
	for _, c := range []struct {
		name string
		ids  []int
		key  int
	}{
		{"repeated in the statement", []int{10, 11, 10}, 10},
		{"committed, hot", []int{12, 1, 13}, 1},
		{"committed, cold", []int{14, 15, 2}, 2},
	} {
		sqlText, params := bulkValues(c.ids)
		ae := alice.fails(apierror.InvalidInput, sqlText, params...)
		if want := fmt.Sprintf("duplicate primary key id = %d in app.msgs", c.key); !strings.Contains(ae.Message, want) {
			t.Fatalf("%s: %q, want %q", c.name, ae.Message, want)
		}
		if got := alice.rows(count); got != before {
			t.Fatalf("%s: rows %s, were %s", c.name, got, before)
		}
	}
	// Single-row statements name the key too, hot and cold.
	for _, id := range []int{1, 2} {
		sqlText, params := bulkValues([]int{id})
		if ae := alice.fails(apierror.InvalidInput, sqlText, params...); !strings.Contains(ae.Message, fmt.Sprintf("id = %d", id)) {
			t.Fatalf("single %d: %q", id, ae.Message)
		}
	}
	// Inside a transaction the statement sees the transaction's own rows,
	// and the failed transaction writes nothing.
	ae := alice.fails(apierror.InvalidInput, `BEGIN;
		INSERT INTO app.msgs (id, conv, role, body) VALUES (20, 0, 'user', 'x'), (21, 0, 'user', 'y');
		INSERT INTO app.msgs (id, conv, role, body) VALUES (22, 0, 'user', 'z'), (20, 0, 'user', 'w');
		COMMIT`)
	if !strings.Contains(ae.Message, "duplicate primary key id = 20 in app.msgs") {
		t.Fatalf("in a transaction: %q", ae.Message)
	}
	if got := alice.rows(count); got != before {
		t.Fatalf("rows %s, were %s", got, before)
	}
	// The other user's partition is untouched by alice's keys.
	bob := e.user("bob")
	sqlText, params := bulkValues([]int{1, 2, 10})
	bob.must(sqlText, params...)
	if got := bob.rows(count); got != "[[3]]" {
		t.Fatalf("bob: %s", got)
	}
}
