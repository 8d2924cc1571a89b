package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestStreamTablesArePerUser: a STREAM table has one partition per user,
// like a USER table. A user reads and writes only their own events, for
// every role; a service delivers an event to another user with EXECUTE AS
// USER; nothing Bob can write lands in Alice's partition, and nothing Bob
// can read comes from it.
func TestStreamTablesArePerUser(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE chat;
		CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 60);
		CREATE STREAM TABLE chat.keyed (event_id TEXT PRIMARY KEY, payload TEXT) WITH (TTL_SECONDS = 60);
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service`)
	alice, bob := e.user("alice"), e.user("bob")
	svc := e.user("svc")

	alice.must("INSERT INTO chat.typing VALUES ('alice', 7)")
	if got := bob.rows("SELECT who, conv FROM chat.typing"); got != `[]` {
		t.Fatalf("bob reads alice's events: %s", got)
	}
	if got := bob.rows("SELECT count(*) FROM chat.typing WHERE conv = 7 OR conv <> 7 OR conv IS NULL"); got != `[[0]]` {
		t.Fatalf("bob counts alice's events: %s", got)
	}
	bob.must("INSERT INTO chat.typing VALUES ('bob', 7), ('bob', 8)")
	if got := alice.rows("SELECT who, conv FROM chat.typing ORDER BY _seq"); got != `[["alice",7]]` {
		t.Fatalf("alice's partition after bob wrote: %s", got)
	}
	if got := bob.rows("SELECT who, conv FROM chat.typing ORDER BY _seq"); got != `[["bob",7],["bob",8]]` {
		t.Fatalf("bob's own events: %s", got)
	}
	// The privileged roles are no exception: root reads root's partition.
	if got := root.rows("SELECT count(*) FROM chat.typing"); got != `[[0]]` {
		t.Fatalf("root reads other users' events: %s", got)
	}
	// A service delivers to alice with EXECUTE AS USER; only alice sees it.
	svc.must("EXECUTE AS USER 'alice' (INSERT INTO chat.typing VALUES ('svc', 9))")
	if got := alice.rows("SELECT who, conv FROM chat.typing ORDER BY _seq"); got != `[["alice",7],["svc",9]]` {
		t.Fatalf("alice after delivery: %s", got)
	}
	if got := bob.rows("SELECT count(*) FROM chat.typing"); got != `[[2]]` {
		t.Fatalf("bob after delivery to alice: %s", got)
	}
	if got := svc.rows("SELECT count(*) FROM chat.typing"); got != `[[0]]` {
		t.Fatalf("the service's own partition: %s", got)
	}
	if got := svc.rows("EXECUTE AS USER 'alice' (SELECT who FROM chat.typing ORDER BY _seq)"); got != `[["alice"],["svc"]]` {
		t.Fatalf("service reading as alice: %s", got)
	}
	// A user may not act as another (the role matrix of EXECUTE AS USER).
	bob.fails(apierror.PermissionDenied, "EXECUTE AS USER 'alice' (INSERT INTO chat.typing VALUES ('bob', 1))")
	// A declared primary key is a column like any other: lookups by it
	// find the caller's own events only.
	alice.must("INSERT INTO chat.keyed VALUES ('e1', 'alice')")
	bob.must("INSERT INTO chat.keyed VALUES ('e1', 'bob')")
	if got := alice.rows("SELECT payload FROM chat.keyed WHERE event_id = 'e1'"); got != `[["alice"]]` {
		t.Fatalf("alice's lookup by key: %s", got)
	}
	if got := bob.rows("SELECT payload FROM chat.keyed WHERE event_id = 'e1'"); got != `[["bob"]]` {
		t.Fatalf("bob's lookup by key: %s", got)
	}
	// SHOW STATS: a user sees their own partition's events, a dba all.
	if got := alice.must("SHOW STATS FOR TABLE chat.typing")[0].Rows[0][2]; got != int64(2) {
		t.Fatalf("alice's stats count %v events", got)
	}
	if got := root.must("SHOW STATS FOR TABLE chat.typing")[0].Rows[0][2]; got != int64(4) {
		t.Fatalf("the dba's stats count %v events", got)
	}

	// In the store, each event sits under its owner's partition prefix.
	cf, ok := e.kv.LookupColumnFamily("stream_table:chat:typing")
	if !ok {
		t.Fatal("no stream family")
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	owners := map[string]int{}
	for ok := it.First(); ok; ok = it.Next() {
		u, _, _, err := keyenc.DecodeStreamKey(it.Key())
		if err != nil {
			t.Fatalf("stored key %x: %v", it.Key(), err)
		}
		owners[u]++
	}
	if owners[alice.user] != 2 || owners[bob.user] != 2 || len(owners) != 2 {
		t.Fatalf("events per partition: %v", owners)
	}
}
