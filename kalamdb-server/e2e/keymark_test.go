package e2e_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestGeneratedAndExplicitKeysOverHTTP: INSERTs whose key the server
// generates (SNOWFLAKE_ID()) and INSERTs naming a key mix in one table:
// an explicit INSERT of a generated key fails as a duplicate, one of a new
// key succeeds, and generated INSERTs go on succeeding, before and after a
// restart; every row is there once.
func TestGeneratedAndExplicitKeysOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED')`)
	idOf := func(s *server, body string) json.Number {
		t.Helper()
		r := s.ok(root, "SELECT id FROM app.t WHERE body = $1", body)
		if len(r.Results[0].Rows) != 1 {
			t.Fatalf("rows of %q: %s", body, r.raw)
		}
		return r.Results[0].Rows[0][0].(json.Number)
	}
	s.ok(root, "INSERT INTO app.t (body) VALUES ($1)", "generated 1")
	g1 := idOf(s, "generated 1")
	r := s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", jsonNumber(g1), "explicit copy")
	if !strings.Contains(r.Error.Message, fmt.Sprintf("duplicate primary key id = %s", g1)) {
		t.Fatalf("duplicate: %s", r.raw)
	}
	s.ok(root, "INSERT INTO app.t (id, body) VALUES ($1, $2)", 42, "explicit 42")
	s.ok(root, "INSERT INTO app.t (body) VALUES ($1), ($2)", "generated 2", "generated 3")
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", 42, "explicit 42 again")

	s = s.restart()
	s.ok(root, "INSERT INTO app.t (body) VALUES ($1)", "generated 4")
	g4 := idOf(s, "generated 4")
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", jsonNumber(g4), "explicit copy")
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", 42, "explicit 42 again")
	got := s.ok(root, "SELECT body, COUNT(*) FROM app.t GROUP BY body ORDER BY body").rows(t)
	if want := `[["explicit 42",1],["generated 1",1],["generated 2",1],["generated 3",1],["generated 4",1]]`; got != want {
		t.Fatalf("rows: %s, want %s", got, want)
	}
}

// TestGeneratedKeysMarkSurvivesKill9: a table where keys were named is
// marked in the same batch as those rows, so after the real server is
// killed with SIGKILL a generated key that meets one of them still fails
// as a duplicate instead of replacing the row. Between the kill and the
// restart the test moves the _seq lease an hour ahead, so the restarted
// server's generator issues ids it knows, and the named keys are some of
// them.
func TestGeneratedKeysMarkSurvivesKill9(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir)
	s := &server{t: t, base: p.base}
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED')`)
	s.ok(root, "INSERT INTO app.t (body) VALUES ('generated before')")
	first, lease := insertKeysAhead(t, s)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	plantSeqLease(t, dir, lease)

	p = startProcess(t, bin, dir)
	s = &server{t: t, base: p.base}
	dups := 0
	for i := range 160 {
		r := s.sql(root, "INSERT INTO app.t (body) VALUES ($1)", fmt.Sprint("generated ", i))
		if r.httpStatus == http.StatusOK {
			continue
		}
		checkError(t, r, http.StatusBadRequest, "INVALID_INPUT", "generated insert")
		if !strings.Contains(r.Error.Message, "duplicate primary key id = ") {
			t.Fatalf("generated insert %d: %s", i, r.raw)
		}
		dups++
	}
	if dups == 0 {
		t.Fatal("no generated key met a named one")
	}
	got := s.ok(root, fmt.Sprintf("SELECT COUNT(*), MIN(body), MAX(body) FROM app.t WHERE id >= %d AND id <= %d", first+200, first+209)).rows(t)
	if got != `[[10,"explicit","explicit"]]` {
		t.Fatalf("named rows after the kill: %s", got)
	}
}

// insertKeysAhead names ten keys the generator of s's server will issue
// once its _seq lease is an hour ahead (plantSeqLease): ids of this node
// from lease + 1 ms on, from the 200th of that millisecond. It returns
// the first of that millisecond and the lease.
func insertKeysAhead(t *testing.T, s *server) (first int64, lease time.Time) {
	t.Helper()
	id, err := s.ok(root, "SELECT SNOWFLAKE_ID()").Results[0].Rows[0][0].(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	lease = time.Now().Add(time.Hour).Truncate(time.Millisecond)
	first = ids.FirstOfMillisecond(lease.Add(time.Millisecond)) | ids.NodeOf(id)<<ids.SeqBits
	var values []string
	for i := range 10 {
		values = append(values, fmt.Sprintf("(%d, 'explicit')", first+200+int64(i)))
	}
	s.ok(root, "INSERT INTO app.t (id, body) VALUES "+strings.Join(values, ", "))
	return first, lease
}

// plantSeqLease sets the _seq lease of the stopped server's data
// directory dir, so that its generator resumes above lease.
func plantSeqLease(t *testing.T, dir string, lease time.Time) {
	t.Helper()
	db, err := kv.Open(filepath.Join(dir, "rocksdb"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	meta, err := db.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(lease.UnixMilli()))
	if err := meta.Put([]byte("seq_lease"), raw[:]); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
