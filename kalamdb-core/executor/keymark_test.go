package executor_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// These tests hold the skip of the duplicate check of generated keys
// (txn, keymarks.go) to its promise: a key written explicitly (by an
// INSERT naming it, INSERT ... SELECT, the engine's INSERT, a restore)
// marks its table, and from then on a generated key that meets it fails as
// a duplicate, as it always did, instead of replacing the row.
//
// To make the generator meet explicit keys, a test restarts the database
// with the _seq lease planted an hour ahead: the generator's logical clock
// then starts at a known millisecond, ahead of the wall clock, and issues
// that millisecond's ids in order (each generated INSERT takes two: its
// key, then its _seq), so keys a little above the first can be written
// explicitly before the generator reaches them.

const chatTable = "CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT)"

func keysClean(t *testing.T, e *env, ns, name string) bool {
	t.Helper()
	ct, ok := e.db.Catalog.Snapshot().Table(ns, name)
	if !ok {
		t.Fatalf("no table %s.%s", ns, name)
	}
	clean, err := e.db.Txns.KeysClean(ct)
	if err != nil {
		t.Fatal(err)
	}
	return clean
}

// restartAt restarts the database with the _seq lease at lease and
// returns the first id its generator then issues.
func restartAt(t *testing.T, e *env, lease time.Time) int64 {
	t.Helper()
	node := ids.NodeOf(e.root().must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64))
	cf, err := e.kv.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(lease.UnixMilli()))
	if err := cf.Put([]byte("seq_lease"), raw[:]); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	return ids.FirstOfMillisecond(lease.Add(time.Millisecond)) | node<<ids.SeqBits
}

// window is n keys from first+from on, as an INSERT's VALUES list.
func window(first int64, from, n int) (keys []int64, values string) {
	var b strings.Builder
	for i := range n {
		k := first + int64(from+i)
		keys = append(keys, k)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'explicit')", k)
	}
	return keys, b.String()
}

// generateThrough runs n generated INSERTs as c and returns how many
// failed as duplicates; any other failure fails the test.
func generateThrough(t *testing.T, c *caller, table string, n int) (dups int) {
	t.Helper()
	for i := range n {
		_, err := c.exec("INSERT INTO "+table+" (body) VALUES ($1)", fmt.Sprint("generated ", i))
		if err == nil {
			continue
		}
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "duplicate primary key id = ") {
			t.Fatalf("generated insert %d: %v", i, err)
		}
		dups++
	}
	return dups
}

// wantExplicitRows checks that the rows of keys are there once each, as
// written explicitly.
func wantExplicitRows(t *testing.T, c *caller, table string, keys []int64) {
	t.Helper()
	got := c.rows(fmt.Sprintf("SELECT COUNT(*), COUNT(DISTINCT id), MIN(body), MAX(body) FROM %s WHERE id >= %d AND id <= %d",
		table, keys[0], keys[len(keys)-1]))
	if want := fmt.Sprintf(`[[%d,%d,"explicit","explicit"]]`, len(keys), len(keys)); got != want {
		t.Fatalf("explicit rows: %s, want %s", got, want)
	}
}

// TestGeneratedKeysKeepTheTableClean: INSERTs whose keys the fast path
// generates, one row or many, on their own or in a transaction, leave
// the table clean, across a restart; the rows are all there.
func TestGeneratedKeysKeepTheTableClean(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; " + chatTable + "; CREATE TABLE app.nopk (body TEXT)")
	if !keysClean(t, e, "app", "t") || !keysClean(t, e, "app", "nopk") {
		t.Fatal("a new table is not clean")
	}
	alice := e.as("alice", systable.RoleUser)
	alice.must("INSERT INTO app.t (body) VALUES ('a')")
	alice.must("INSERT INTO app.t (body) VALUES ('b'), ('c'), ('d')")
	alice.must("BEGIN; INSERT INTO app.t (body) VALUES ('e'); INSERT INTO app.t (body) VALUES ('f'), ('g'); COMMIT")
	alice.must("UPDATE app.t SET body = 'A' WHERE body = 'a'")
	alice.must("DELETE FROM app.t WHERE body = 'b'")
	// A table keyed by _seq: every INSERT's key is its fresh _seq, on the
	// engine's path too.
	alice.must("INSERT INTO app.nopk (body) VALUES ('x'), ('y')")
	alice.must("INSERT INTO app.nopk (body) SELECT body FROM app.t")
	e.reopen()
	if !keysClean(t, e, "app", "t") || !keysClean(t, e, "app", "nopk") {
		t.Fatal("generated keys marked a table")
	}
	alice = e.as("alice", systable.RoleUser)
	if got := alice.rows("SELECT body FROM app.t ORDER BY id"); got != `[["A"],["c"],["d"],["e"],["f"],["g"]]` {
		t.Fatalf("rows: %s", got)
	}
	if got := alice.rows("SELECT COUNT(*) FROM app.nopk"); got != `[[8]]` {
		t.Fatalf("nopk rows: %s", got)
	}
	// A primary key cannot be updated: that writes no new key.
	alice.fails(apierror.InvalidInput, "UPDATE app.t SET id = id + 1 WHERE body = 'c'")
	if !keysClean(t, e, "app", "t") {
		t.Fatal("a refused UPDATE of the key marked the table")
	}
}

// TestGeneratedKeyMeetsExplicitKey: whichever way a key is written
// without the generator, the table is marked, durably, and a generated
// INSERT that meets that key fails as a duplicate, leaving the row.
func TestGeneratedKeyMeetsExplicitKey(t *testing.T) {
	type setup struct {
		// create makes app.t (and what else the case needs).
		create func(t *testing.T, e *env)
		// explicit writes keys (as alice) without the generator.
		explicit func(t *testing.T, e *env, keys []int64, values string)
		// restartBetween restarts between the explicit writes and the
		// generated ones (else the restart comes first).
		restartBetween bool
	}
	createChat := func(t *testing.T, e *env) { e.root().must("CREATE NAMESPACE app; " + chatTable) }
	insertValues := func(t *testing.T, e *env, _ []int64, values string) {
		e.as("alice", systable.RoleUser).must("INSERT INTO app.t (id, body) VALUES " + values)
	}
	cases := map[string]setup{
		"insert naming the key":               {create: createChat, explicit: insertValues},
		"insert naming the key, then restart": {create: createChat, explicit: insertValues, restartBetween: true},
		"insert naming the key in a transaction": {create: createChat, explicit: func(t *testing.T, e *env, _ []int64, values string) {
			e.as("alice", systable.RoleUser).must("BEGIN; INSERT INTO app.t (id, body) VALUES " + values + "; COMMIT")
		}},
		"insert of one row naming the key": {create: createChat, explicit: func(t *testing.T, e *env, keys []int64, _ string) {
			for _, k := range keys {
				e.as("alice", systable.RoleUser).must("INSERT INTO app.t (id, body) VALUES ($1, 'explicit')", k)
			}
		}},
		"insert select": {create: func(t *testing.T, e *env) {
			createChat(t, e)
			e.root().must("CREATE TABLE app.src (id BIGINT PRIMARY KEY, body TEXT)")
		}, explicit: func(t *testing.T, e *env, _ []int64, values string) {
			alice := e.as("alice", systable.RoleUser)
			alice.must("INSERT INTO app.src (id, body) VALUES " + values)
			alice.must("INSERT INTO app.t (id, body) SELECT id, body FROM app.src")
		}},
		"insert planned by the engine": {create: createChat, explicit: func(t *testing.T, e *env, keys []int64, _ string) {
			for _, k := range keys {
				// CONCAT is no literal: the fast path leaves this INSERT
				// to the engine.
				e.as("alice", systable.RoleUser).must("INSERT INTO app.t (id, body) VALUES ($1, CONCAT('expl', 'icit'))", k)
			}
		}},
		"table older than the record": {create: func(t *testing.T, e *env) {
			e.root().must("CREATE NAMESPACE app")
			st, err := dialect.ParseOne(chatTable)
			if err != nil {
				t.Fatal(err)
			}
			// Created as before the record existed: without it.
			if _, err := e.db.Catalog.CreateTable(st.(*dialect.CreateTable), nil); err != nil {
				t.Fatal(err)
			}
		}, explicit: insertValues, restartBetween: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			c.create(t, e)
			lease := time.Now().Add(time.Hour).Truncate(time.Millisecond)
			var first int64
			if !c.restartBetween {
				first = restartAt(t, e, lease)
			} else {
				first = ids.FirstOfMillisecond(lease.Add(time.Millisecond)) |
					ids.NodeOf(e.root().must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64))<<ids.SeqBits
			}
			// Well above the ids the explicit writes take for their _seq.
			keys, values := window(first, 200, 10)
			c.explicit(t, e, keys, values)
			if keysClean(t, e, "app", "t") {
				t.Fatal("the explicit writes did not mark the table")
			}
			if c.restartBetween {
				if got := restartAt(t, e, lease); got != first {
					t.Fatalf("generator starts at %d, want %d", got, first)
				}
				if keysClean(t, e, "app", "t") {
					t.Fatal("the mark did not survive the restart")
				}
			}
			alice := e.as("alice", systable.RoleUser)
			// 2 ids per INSERT: the generator passes the window.
			if dups := generateThrough(t, alice, "app.t", 160); dups == 0 {
				t.Fatal("no generated key met an explicit one")
			}
			wantExplicitRows(t, alice, "app.t", keys)
		})
	}
}

// TestExplicitAndGeneratedInsertsConcurrently: explicit INSERTs of keys
// the generator is about to issue race generated INSERTs in one
// partition. Every INSERT that succeeded is there, once, as written.
func TestExplicitAndGeneratedInsertsConcurrently(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; " + chatTable)
	first := restartAt(t, e, time.Now().Add(time.Hour).Truncate(time.Millisecond))
	alice := e.as("alice", systable.RoleUser)
	const n = 150
	var mu sync.Mutex
	explicitOK := map[int64]string{}
	generatedOK := map[string]bool{}
	var wg sync.WaitGroup
	wg.Add(2)
	errs := make(chan error, 2*n)
	dupOrFail := func(err error) {
		if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "duplicate primary key") {
			errs <- err
		}
	}
	go func() {
		defer wg.Done()
		for i := range n {
			// Keys the generator reaches while this runs.
			k := first + int64(2*i+40)
			body := fmt.Sprint("explicit ", i)
			if _, err := alice.exec("INSERT INTO app.t (id, body) VALUES ($1, $2)", k, body); err != nil {
				dupOrFail(err)
				continue
			}
			mu.Lock()
			explicitOK[k] = body
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			body := fmt.Sprint("generated ", i)
			if _, err := alice.exec("INSERT INTO app.t (body) VALUES ($1)", body); err != nil {
				dupOrFail(err)
				continue
			}
			mu.Lock()
			generatedOK[body] = true
			mu.Unlock()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows := alice.must("SELECT id, body FROM app.t")[0].Rows
	if len(rows) != len(explicitOK)+len(generatedOK) {
		t.Fatalf("%d rows, %d explicit and %d generated inserts succeeded", len(rows), len(explicitOK), len(generatedOK))
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		id, body := r[0].(int64), r[1].(string)
		if seen[id] {
			t.Fatalf("key %d twice", id)
		}
		seen[id] = true
		if want, ok := explicitOK[id]; ok && want != body {
			t.Fatalf("row %d is %q, written as %q", id, body, want)
		}
		if _, ok := explicitOK[id]; !ok && !generatedOK[body] {
			t.Fatalf("row %d %q was not written by a successful INSERT", id, body)
		}
	}
}

// TestGeneratedKeysProperty runs random mixes of explicit INSERTs (often
// of the keys the generator issues next), generated INSERTs, UPDATEs,
// DELETEs, flushes and restarts against a model of the table: every
// INSERT succeeds or fails as the model says, and the table always holds
// exactly the model's rows.
func TestGeneratedKeysProperty(t *testing.T) {
	slowParallel(t)
	seeds := []uint64{1, 2, 3, uint64(time.Now().UnixNano())}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel() // each seed has its own environment
			runKeysProperty(t, seed)
		})
	}
}

func runKeysProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; " + chatTable)
	restartAt(t, e, time.Now().Add(time.Hour).Truncate(time.Millisecond))
	model := map[int64]string{}
	explicitYet := false
	anyKey := func() (int64, bool) {
		if len(model) == 0 {
			return 0, false
		}
		keys := make([]int64, 0, len(model))
		for k := range model {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		return keys[rng.IntN(len(keys))], true
	}
	check := func(step int, op string) {
		t.Helper()
		rows := e.as("alice", systable.RoleUser).must("SELECT id, body FROM app.t ORDER BY id")[0].Rows
		keys := make([]int64, 0, len(model))
		for k := range model {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		bad := len(rows) != len(keys)
		for i := 0; !bad && i < len(rows); i++ {
			bad = rows[i][0] != keys[i] || rows[i][1] != model[keys[i]]
		}
		if bad {
			t.Fatalf("seed %d, step %d (%s): table %v, model %v", seed, step, op, rows, model)
		}
		if !explicitYet && !keysClean(t, e, "app", "t") {
			t.Fatalf("seed %d, step %d (%s): marked without an explicit key", seed, step, op)
		}
	}
	const steps = 220
	for step := range steps {
		alice := e.as("alice", systable.RoleUser)
		var op string
		switch p := rng.IntN(100); {
		case p < 45: // generated
			body := fmt.Sprint("g", step)
			op = "generated insert"
			_, err := alice.exec("INSERT INTO app.t (body) VALUES ($1)", body)
			if err != nil {
				ae, ok := apierror.As(err)
				if !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "duplicate primary key id = ") {
					t.Fatalf("seed %d, step %d: generated insert: %v", seed, step, err)
				}
				if !explicitYet {
					t.Fatalf("seed %d, step %d: a generated key met a key nobody wrote explicitly: %v", seed, step, err)
				}
				break
			}
			id := alice.must("SELECT id FROM app.t WHERE body = $1", body)[0].Rows
			if len(id) != 1 {
				t.Fatalf("seed %d, step %d: generated row: %v", seed, step, id)
			}
			k := id[0][0].(int64)
			if _, dup := model[k]; dup {
				t.Fatalf("seed %d, step %d: generated key %d replaced the live row %q", seed, step, k, model[k])
			}
			model[k] = body
		case p < 70: // explicit, mostly of the ids coming next
			var k int64
			switch q := rng.IntN(10); {
			case q < 7:
				next := alice.must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64)
				k = next + 1 + int64(rng.IntN(12))
			case q < 9:
				var ok bool
				if k, ok = anyKey(); !ok {
					k = int64(rng.IntN(1000) + 1)
				}
			default:
				k = int64(rng.IntN(1000) + 1)
			}
			op = fmt.Sprint("explicit insert of ", k)
			body := fmt.Sprint("e", step)
			_, err := alice.exec("INSERT INTO app.t (id, body) VALUES ($1, $2)", k, body)
			if _, live := model[k]; live {
				ae, ok := apierror.As(err)
				if !ok || ae.Code != apierror.InvalidInput || ae.Message != fmt.Sprintf("duplicate primary key id = %d in app.t", k) {
					t.Fatalf("seed %d, step %d: explicit insert of live key %d: %v", seed, step, k, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("seed %d, step %d: explicit insert of %d: %v", seed, step, k, err)
			}
			model[k], explicitYet = body, true
		case p < 80:
			k, ok := anyKey()
			if !ok {
				continue
			}
			op = fmt.Sprint("update of ", k)
			body := fmt.Sprint("u", step)
			alice.must("UPDATE app.t SET body = $1 WHERE id = $2", body, k)
			model[k] = body
		case p < 90:
			k, ok := anyKey()
			if !ok {
				continue
			}
			op = fmt.Sprint("delete of ", k)
			alice.must("DELETE FROM app.t WHERE id = $1", k)
			delete(model, k)
		case p < 95:
			op = "flush"
			if j := waitJob(t, e, e.root().must("STORAGE FLUSH TABLE app.t")); j.Status != systable.JobCompleted {
				t.Fatalf("seed %d, step %d: flush %s: %s", seed, step, j.Status, j.ErrorMessage)
			}
		default:
			op = "restart"
			e.reopen()
		}
		check(step, op)
	}
}

// TestDropRemovesTheKeysRecord: a dropped table's record goes with it
// (DROP TABLE and DROP NAMESPACE ... CASCADE); a table created again
// under the name writes its own and is clean.
func TestDropRemovesTheKeysRecord(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	cf, err := e.kv.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	recorded := func() bool {
		t.Helper()
		_, err := cf.Get([]byte("keys_generated/" + systable.TableID("app", "t")))
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	root.must("CREATE NAMESPACE app; " + chatTable)
	if !recorded() {
		t.Fatal("CREATE TABLE wrote no record")
	}
	root.must("DROP TABLE app.t")
	if recorded() {
		t.Fatal("DROP TABLE left the record")
	}
	root.must(chatTable)
	if !recorded() || !keysClean(t, e, "app", "t") {
		t.Fatal("the table created again is not clean")
	}
	root.must("DROP NAMESPACE app CASCADE")
	if recorded() {
		t.Fatal("DROP NAMESPACE left the record")
	}
}

// TestGeneratedKeysInsideTransactions: a statement inside BEGIN ... COMMIT
// checks a generated key of a clean table against its transaction's own
// writes alone, and those still make it a duplicate: a key the same
// transaction wrote explicitly is not replaced. A marked table's generated
// keys are checked against the committed rows when the statement runs.
func TestGeneratedKeysInsideTransactions(t *testing.T) {
	for name, generated := range map[string]string{
		"one row":   "INSERT INTO app.t (body) VALUES ('generated')",
		"many rows": "INSERT INTO app.t (body) VALUES ('generated'), ('generated'), ('generated')",
		// CONCAT is no literal: the engine plans this INSERT, and flags
		// the key its SNOWFLAKE_ID() issued.
		"planned by the engine": "INSERT INTO app.t (body) VALUES (CONCAT('gener', 'ated'))",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.root().must("CREATE NAMESPACE app; " + chatTable)
			first := restartAt(t, e, time.Now().Add(time.Hour).Truncate(time.Millisecond))
			alice := e.as("alice", systable.RoleUser)

			// The explicit rows take the ids below first+200 for their
			// _seq, so the generator's next keys fall in their window.
			_, values := window(first, 100, 200)
			var b strings.Builder
			b.WriteString("BEGIN; INSERT INTO app.t (id, body) VALUES " + values)
			for range 10 {
				b.WriteString("; " + generated)
			}
			b.WriteString("; COMMIT")
			_, err := alice.exec(b.String())
			if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "duplicate primary key id = ") {
				t.Fatalf("a generated key met a key its own transaction named: got %v, want a duplicate", err)
			}
			if got := alice.rows("SELECT COUNT(*) FROM app.t"); got != "[[0]]" {
				t.Fatalf("the failed transaction left rows: %s", got)
			}
			if !keysClean(t, e, "app", "t") {
				t.Fatal("a transaction that failed marked the table")
			}

			// Generated keys alone commit, and keep the table clean.
			alice.must("BEGIN; " + generated + "; " + generated + "; COMMIT")
			perStatement := len(strings.Split(generated, "),")) // rows per statement
			if got, want := alice.rows("SELECT COUNT(*), COUNT(DISTINCT id) FROM app.t"), fmt.Sprintf("[[%d,%d]]", 2*perStatement, 2*perStatement); got != want {
				t.Fatalf("rows: %s, want %s", got, want)
			}
			if !keysClean(t, e, "app", "t") {
				t.Fatal("generated keys in a transaction marked the table")
			}

			// A marked table: keys named and committed ahead of the
			// generator make its generated keys duplicates inside BEGIN too.
			first = restartAt(t, e, time.Now().Add(2*time.Hour).Truncate(time.Millisecond))
			keys, values := window(first, 200, 10)
			alice = e.as("alice", systable.RoleUser)
			alice.must("INSERT INTO app.t (id, body) VALUES " + values)
			dups := 0
			for range 160 {
				_, err := alice.exec("BEGIN; " + generated + "; COMMIT")
				if err == nil {
					continue
				}
				ae, ok := apierror.As(err)
				if !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "duplicate primary key id = ") {
					t.Fatalf("generated insert in a transaction: %v", err)
				}
				dups++
			}
			if dups == 0 {
				t.Fatal("no generated key met a named one")
			}
			wantExplicitRows(t, alice, "app.t", keys)
		})
	}
}
