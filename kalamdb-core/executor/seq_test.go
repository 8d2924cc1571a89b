package executor_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func seqLease(t *testing.T, db *kv.DB) time.Time {
	t.Helper()
	cf, err := db.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cf.Get([]byte("seq_lease"))
	if err != nil {
		t.Fatal(err)
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(raw)))
}

// TestSeqStaysAboveCommittedAcrossClockSetback: versions are ordered by
// _seq, so after a restart on a clock that is behind the last run's, new
// versions must still get a greater _seq or an UPDATE would hide behind
// the version it replaced.
func TestSeqStaysAboveCommittedAcrossClockSetback(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.kv (k TEXT PRIMARY KEY, v TEXT)")
	alice := e.as("alice", systable.RoleUser)
	alice.must("INSERT INTO app.kv VALUES ('a', 'first')")
	s1 := alice.must("SELECT _seq FROM app.kv")[0].Rows[0][0].(int64)
	// The lease is written with the data: it covers every committed _seq.
	if lease := seqLease(t, e.kv); lease.Before(ids.TimeOf(s1)) {
		t.Fatalf("lease %s below committed _seq at %s", lease, ids.TimeOf(s1))
	}

	// Plant a lease an hour ahead: what a previous run whose clock was an
	// hour ahead of this one would have left.
	ahead := time.Now().Add(time.Hour)
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(ahead.UnixMilli()))
	cf, err := e.kv.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.Put([]byte("seq_lease"), raw[:]); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	alice = e.as("alice", systable.RoleUser)
	alice.must("UPDATE app.kv SET v = 'second' WHERE k = 'a'")
	row := alice.must("SELECT v, _seq FROM app.kv")[0].Rows[0]
	if row[0] != "second" || !ids.TimeOf(row[1].(int64)).After(ahead) {
		t.Fatalf("after restart behind the lease: %v (lease %s)", row, ahead)
	}
	id := alice.must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64)
	if !ids.TimeOf(id).After(ahead) {
		t.Fatalf("SNOWFLAKE_ID() %d at %s, below the lease %s", id, ids.TimeOf(id), ahead)
	}
	// And the lease moves on with the writes.
	if lease := seqLease(t, e.kv); !lease.After(ahead) {
		t.Fatalf("lease not extended: %s", lease)
	}
}
