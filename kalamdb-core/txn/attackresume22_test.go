package txn_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
)

// A commit in order whose transaction wrote a key again after other keys
// publishes that key first (its first write's place) with its last _seq,
// above the later keys': its changes came out of _seq order, and a client
// that saw the first resumed past the rest. The commit gives its writes
// new _seq in their order, and publishes them in it. It failed before
// inCommitOrder compared each write with the one before it.
func TestAttackResume22RewrittenKeyPublishedInSeqOrder(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	e.insert(tx, "alice", 1, "one")
	e.insert(tx, "alice", 2, "two")
	tx.BeginStatement()
	e.insert(tx, "alice", 1, "one, again")
	e.commit(tx)

	_, s1 := e.stored("alice", 1)
	_, s2 := e.stored("alice", 2)
	if want := []int64{s1, s2}; !slices.Equal(e.sink.seqs, want) {
		t.Fatalf("published _seq %v, stored (rows 1, 2) %v", e.sink.seqs, want)
	}
	if !slices.IsSorted(e.sink.seqs) || s1 == s2 {
		t.Fatalf("published _seq %v: not in _seq order", e.sink.seqs)
	}
}

// Partitions share lock stripes (256 of them), and the newest _seq was
// remembered per stripe: a commit of bob's partition made alice's
// transaction, which nothing newer of her partition had passed, take new
// _seq, so its RETURNING _seq was not the _seq stored, against
// docs/sql.md (only a commit landing after a newer commit of the same
// partition does), and her version's _seq depended on other users'
// traffic. A commit compares its _seq with its own partitions' newest.
func TestAttackResume22OtherPartitionOfTheStripeKeepsSeq(t *testing.T) {
	e := newEnv(t)
	stripe := txn.StripeOf(e.locks, txn.Partition{Family: e.msgs.Family, Owner: "alice"})
	other := ""
	for i := 0; other == ""; i++ {
		if o := fmt.Sprintf("u%d", i); txn.StripeOf(e.locks, txn.Partition{Family: e.msgs.Family, Owner: o}) == stripe {
			other = o
		}
	}
	tx := e.m.Begin()
	w := e.write("alice", 1, "mine", false)
	w.Insert = true
	if err := tx.Put(w); err != nil {
		t.Fatal(err)
	}
	written := w.Seq
	theirs := e.m.Begin()
	e.insert(theirs, other, 2, "theirs")
	e.commit(theirs)
	e.commit(tx)
	if _, s := e.stored("alice", 1); s != written {
		t.Fatalf("alice's row: _seq %d stored, %d written; only %s's partition (same lock stripe) had a newer commit", s, written, other)
	}
}

// A partition the stripe no longer remembers apart (pushed out by the
// stripe's more recent writers) still has its late commits re-stamped:
// the stripe's floor keeps its newest _seq.
func TestAttackResume22PartitionPushedOutOfItsStripeStillInCommitOrder(t *testing.T) {
	e := newEnv(t)
	stripe := txn.StripeOf(e.locks, txn.Partition{Family: e.msgs.Family, Owner: "alice"})
	late := e.m.Begin()
	e.insert(late, "alice", 1, "late")
	newer := e.m.Begin()
	e.insert(newer, "alice", 2, "newer")
	e.commit(newer)
	_, s2 := e.stored("alice", 2)
	for i, n := 0, 0; n < 64; i++ {
		o := fmt.Sprintf("u%d", i)
		if txn.StripeOf(e.locks, txn.Partition{Family: e.msgs.Family, Owner: o}) != stripe {
			continue
		}
		tx := e.m.Begin()
		e.insert(tx, o, 1, "other")
		e.commit(tx)
		n++
	}
	e.commit(late)
	if _, s1 := e.stored("alice", 1); s1 <= s2 {
		t.Fatalf("alice's row 1, committed after her row 2 (_seq %d), has _seq %d", s2, s1)
	}
}

// Concurrent commits of partitions that share one lock stripe, more of
// them than the stripe remembers apart, each with _seq issued before its
// commit takes the locks: every partition's changes are published (in
// commit order, under its lock) with growing _seq.
func TestAttackResume22ConcurrentCommitsOfOneStripeInCommitOrder(t *testing.T) {
	e := newEnv(t)
	stripe := txn.StripeOf(e.locks, txn.Partition{Family: e.msgs.Family, Owner: "u0"})
	var owners []string
	for i := 0; len(owners) < 48; i++ {
		if o := fmt.Sprintf("u%d", i); txn.StripeOf(e.locks, txn.Partition{Family: e.msgs.Family, Owner: o}) == stripe {
			owners = append(owners, o)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				tx := e.m.Begin()
				owner := owners[(g*7+i)%len(owners)]
				for r := 0; r <= i%3; r++ {
					w := e.write(owner, next.Add(1), "x", false)
					w.Insert = true
					if err := tx.Put(w); err != nil {
						t.Error(err)
						return
					}
					runtime.Gosched()
				}
				if _, err := tx.Commit(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	e.sink.mu.Lock()
	defer e.sink.mu.Unlock()
	last := map[string]int64{}
	for i, c := range e.sink.changes {
		owner, _, _ := strings.Cut(c, " ")
		if s := e.sink.seqs[i]; s <= last[owner] {
			t.Fatalf("%s's change %d has _seq %d, published after one with %d", owner, i, s, last[owner])
		}
		last[owner] = e.sink.seqs[i]
	}
}

// After a restart the stripes remember nothing, so a commit is late only
// if its _seq is below one committed before the restart, which the lease
// rules out: the generator resumes above every committed _seq, here with
// a clock an hour behind. A transaction of the new process whose _seq
// was issued before a newer commit is still re-stamped.
func TestAttackResume22RestartKeepsCommitOrder(t *testing.T) {
	e := newEnv(t)
	// A re-stamped commit: its _seq are the generator's, issued under the
	// locks, and the lease covers them.
	late := e.m.Begin()
	e.insert(late, "alice", 1, "late")
	newer := e.m.Begin()
	e.insert(newer, "alice", 2, "newer")
	e.commit(newer)
	e.commit(late)
	_, before := e.stored("alice", 1)

	behind, err := ids.NewSnowflake(1, func() time.Time { return time.Now().Add(-time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	e.seq, e.locks, e.sink = behind, txn.NewLocks(), &recorder{}
	if e.m, err = txn.Open(e.db, txn.Options{Locks: e.locks, Seq: behind, Cold: e.cold, Sink: e.sink}); err != nil {
		t.Fatal(err)
	}
	tx := e.m.Begin()
	e.insert(tx, "alice", 3, "after the restart")
	e.commit(tx)
	if _, s := e.stored("alice", 3); s <= before {
		t.Fatalf("after the restart a commit got _seq %d, below %d committed before it", s, before)
	}
}
