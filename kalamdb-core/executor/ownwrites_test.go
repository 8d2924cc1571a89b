package executor_test

import "testing"

// A statement reads the data as it was when the statement began, as in
// PostgreSQL: its own writes are invisible to it, whichever of its scans
// opens after it wrote (the second branch of a UNION ALL, a subquery run
// per row, the inner side of a nested loop). Inside BEGIN it still sees
// what the transaction's earlier statements wrote.
func TestStatementDoesNotSeeItsOwnWrites(t *testing.T) {
	e, alice, _ := chatEnv(t)
	root := e.root()
	root.must(`INSERT INTO chat.rooms VALUES (1, 'a'), (2, 'b')`)

	// The second branch scans after the first branch's rows were written.
	root.must(`INSERT INTO chat.rooms (id, name) SELECT id + 10, name FROM chat.rooms
		UNION ALL SELECT id + 20, name FROM chat.rooms`)
	if got, want := root.rows(`SELECT id FROM chat.rooms ORDER BY id`), `[[1],[2],[11],[12],[21],[22]]`; got != want {
		t.Fatalf("after INSERT ... UNION ALL: %s, want %s", got, want)
	}

	// A correlated subquery runs once per row, after earlier rows were
	// written: it counts only the rows there were before the statement.
	root.must(`INSERT INTO chat.rooms (id, name)
		SELECT r.id + 100, CAST((SELECT COUNT(*) FROM chat.rooms q WHERE q.id <= r.id + 100) AS TEXT)
		FROM chat.rooms r WHERE r.id < 3`)
	if got, want := root.rows(`SELECT id, name FROM chat.rooms WHERE id > 100 ORDER BY id`), `[[101,"6"],[102,"6"]]`; got != want {
		t.Fatalf("after INSERT with a subquery per row: %s, want %s", got, want)
	}

	// UPDATE with a subquery per row sees every row as it was before:
	// both rows count two '6's, although the first one's is gone when the
	// second one's subquery runs.
	root.must(`UPDATE chat.rooms SET name = CAST((SELECT COUNT(*) FROM chat.rooms q WHERE q.name = '6') AS TEXT) WHERE id > 100`)
	if got, want := root.rows(`SELECT id, name FROM chat.rooms WHERE id > 100 ORDER BY id`), `[[101,"2"],[102,"2"]]`; got != want {
		t.Fatalf("after UPDATE with a subquery per row: %s, want %s", got, want)
	}

	// Inside BEGIN: the first statement's rows are seen by the second,
	// the second's own rows are not; a later statement sees them all.
	res := alice.must(`BEGIN;
		INSERT INTO chat.conversations VALUES (1, 'a'), (2, 'b');
		INSERT INTO chat.conversations (id, title) SELECT id + 10, title FROM chat.conversations
			UNION ALL SELECT id + 20, title FROM chat.conversations;
		SELECT id FROM chat.conversations ORDER BY id;
		COMMIT`)
	if len(res) < 4 {
		t.Fatalf("%d results", len(res))
	}
	if got, want := res[2].RowCount, int64(4); got != want {
		t.Fatalf("INSERT ... UNION ALL inside BEGIN affected %d rows, want %d", got, want)
	}
	if got, want := alice.rows(`SELECT id FROM chat.conversations ORDER BY id`), `[[1],[2],[11],[12],[21],[22]]`; got != want {
		t.Fatalf("inside BEGIN: %s, want %s", got, want)
	}

	// A key the transaction wrote in an earlier statement and changes
	// again: the statement's scans see the earlier statement's version.
	alice.must(`BEGIN;
		UPDATE chat.conversations SET title = 'x' WHERE id = 1;
		UPDATE chat.conversations SET title = 'y' WHERE id = 1;
		INSERT INTO chat.conversations (id, title) SELECT 100, title FROM chat.conversations WHERE id = 1
			UNION ALL SELECT 101, title FROM chat.conversations WHERE id = 1;
		COMMIT`)
	if got, want := alice.rows(`SELECT id, title FROM chat.conversations WHERE id IN (1, 100, 101) ORDER BY id`), `[[1,"y"],[100,"y"],[101,"y"]]`; got != want {
		t.Fatalf("rewritten key: %s, want %s", got, want)
	}

	// A statement that rewrites a key an earlier statement wrote reads the
	// earlier statement's version of it: row 2's subquery runs after row 1
	// changed and still reads 'x'.
	alice.must(`BEGIN;
		UPDATE chat.conversations SET title = 'x' WHERE id = 1;
		UPDATE chat.conversations SET title = (SELECT c2.title FROM chat.conversations c2
			WHERE c2.id = 1 AND c2.id < chat.conversations.id + 100) || '!' WHERE id IN (1, 2);
		COMMIT`)
	if got, want := alice.rows(`SELECT id, title FROM chat.conversations WHERE id IN (1, 2) ORDER BY id`), `[[1,"x!"],[2,"x!"]]`; got != want {
		t.Fatalf("rewritten key read by its own statement: %s, want %s", got, want)
	}
}
