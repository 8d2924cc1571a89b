package executor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestChangeFeed(t *testing.T) {
	e, alice, bob := chatEnv(t)
	sink := e.changes
	alice.must("INSERT INTO chat.conversations VALUES (1, 'a')")
	bob.must("INSERT INTO chat.conversations VALUES (1, 'b')")
	alice.must("UPDATE chat.conversations SET title = 'a2' WHERE id = 1")
	alice.must("DELETE FROM chat.conversations WHERE id = 1")
	alice.must("BEGIN; INSERT INTO chat.conversations VALUES (2, 'x'); UPDATE chat.conversations SET title = 'y' WHERE id = 2; COMMIT")
	alice.must("BEGIN; INSERT INTO chat.conversations VALUES (3, 'gone'); DELETE FROM chat.conversations WHERE id = 3; COMMIT")
	alice.fails(apierror.InvalidInput, "INSERT INTO chat.conversations VALUES (4, 'ok'), (4, 'dup')")
	got := strings.NewReplacer(alice.user, "alice", bob.user, "bob").Replace(fmt.Sprint(sink.summary()))
	want := "[alice insert []->[1 a] bob insert []->[1 b] alice update [1 a]->[1 a2] alice delete [1 a2]->[] alice insert []->[2 y]]"
	if got != want {
		t.Fatalf("changes:\n got %s\nwant %s", got, want)
	}
}

func TestLiveFilterAndFeedSnapshot(t *testing.T) {
	e, alice, _ := chatEnv(t)
	ctx := context.Background()
	alice.must("INSERT INTO chat.messages (id, conversation_id, content) VALUES (1, 7, 'in'), (2, 8, 'out')")
	f, err := e.db.Engine.CompileFilter(ctx, alice.user, systable.RoleUser, "", "SELECT id, content FROM chat.messages WHERE conversation_id = 7 AND content <> 'skip'")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.Columns) != "[id content]" {
		t.Fatalf("columns: %v", f.Columns)
	}
	match := func(conv int64, content string) bool {
		row := []any{int64(1), conv, nil, content, nil, int8(0), int64(5), int8(0)}
		ok, err := f.Match(ctx, row)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !match(7, "x") || match(8, "x") || match(7, "skip") {
		t.Fatal("filter evaluates wrongly")
	}
	// Rows committed before the feed opens are in the snapshot; rows
	// committed after arrive as changes.
	sink := e.changes
	sink.reset()
	snap, err := e.db.Tier.OpenPartitionFeed(f.Table, alice.user, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	alice.must("INSERT INTO chat.messages (id, conversation_id, content) VALUES (3, 7, 'later')")
	res, err := e.db.Engine.Query(ctx, engine.QueryRequest{UserID: alice.user, Role: systable.RoleUser, Statement: mustStandard(t, f.SQL), MaxRows: 100, Snapshot: snap.Snapshot})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != int64(1) {
		t.Fatalf("initial data at the snapshot: %v", res.Rows)
	}
	if s := sink.summary(); len(s) != 1 {
		t.Fatalf("feed after the snapshot: %v", s)
	}
	for _, bad := range []string{"SELECT count(*) FROM chat.messages", "SELECT * FROM chat.messages ORDER BY id",
		"SELECT * FROM chat.messages m JOIN chat.conversations c ON c.id = m.conversation_id", "DELETE FROM chat.messages"} {
		if _, err := e.db.Engine.CompileFilter(ctx, alice.user, systable.RoleUser, "", bad); !apierror.Is(err, apierror.Unsupported) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := e.db.Engine.CompileFilter(ctx, alice.user, systable.RoleUser, "", "SELECT * FROM chat.vault"); !apierror.Is(err, apierror.PermissionDenied) {
		t.Errorf("restricted table: %v", err)
	}
	if _, err := e.db.Engine.CompileFilter(ctx, alice.user, systable.RoleUser, "", "SELECT * FROM chat.nope"); !apierror.Is(err, apierror.NotFound) {
		t.Errorf("missing table: %v", err)
	}
}
