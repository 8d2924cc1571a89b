package txn

import (
	"runtime"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
)

// ChangeType says what a committed change did to a row.
type ChangeType string

// Change types, as on the WebSocket wire.
const (
	ChangeInsert ChangeType = "insert"
	ChangeUpdate ChangeType = "update"
	ChangeDelete ChangeType = "delete"
)

// Change is one committed row change, published after its batch is
// durable.
type Change struct {
	Table *catalog.Table
	// UserID is the partition owner for USER and STREAM tables, "" for
	// SHARED ones.
	UserID string
	Type   ChangeType
	// Old and New are the row's user column values (the table's current
	// schema order) before and after; Old is nil for an insert, New for a
	// delete. OldSeq/NewSeq are the _seq of those versions.
	Old, New       []any
	OldSeq, NewSeq int64
}

// Sink receives committed changes. Publish is called while the written
// partitions are locked, in commit order per partition; it must not block
// (queue and return). What it needs done once the locks are released it
// leaves in w (Wakes): a send the committer runs itself, or a note that it
// made a goroutine runnable to take the changes.
type Sink interface {
	Publish(changes []Change, w *Wakes)
}

// Wakes is what publishing a commit's changes asks of the committer once
// its partitions are unlocked.
//
// Handing a change to a sender goroutine costs the change a wake-up: the
// goroutine is queued behind the committer, and waking another processor
// for it takes a futex call and, on a small machine, often the
// committer's own core for a while. So one sender may instead be run by
// the committer (Defer): the change then leaves on the goroutine that
// committed it, before the statement's answer. A deferred send must never
// wait (it runs inside a statement: a slow subscriber must not hold up a
// writer); what it cannot finish at once it hands to a goroutine.
//
// A deferred send runs on the committer's goroutine, so it is offered
// only for the committing user's own connections (Defer): rendering a
// change for a subscriber evaluates the subscriber's WHERE, and another
// user's expensive filter must never hold up a writer's statement (an
// INSERT into a SHARED table by one user, with another subscribed).
//
// A nil *Wakes (a publication outside a commit) defers nothing and
// records nothing.
type Wakes struct {
	send func()
	woke bool
	// committer is the user whose statement commits ("" when unknown:
	// then nothing is deferred).
	committer string
}

// NewWakes returns the Wakes of a commit by committer (Tx.SetCommitter),
// for a Sink driven outside a Tx (tests, other front ends).
func NewWakes(committer string) *Wakes { return &Wakes{committer: committer} }

// Defer offers f, a send to a connection of user, to run on the
// committer's goroutine once its locks are released. It reports false
// when user is not the committer (another user's subscriptions are
// rendered on their own time, never in this statement), a send is
// deferred already (one per commit bounds what the committer does), or w
// is nil: the caller then starts its own goroutine.
func (w *Wakes) Defer(user string, f func()) bool {
	if w == nil || w.send != nil || user == "" || user != w.committer {
		return false
	}
	w.send = f
	return true
}

// Woke records that a goroutine was made runnable to take the changes:
// the committer yields its processor to it once the locks are released,
// so that it runs at once rather than after the rest of the committer's
// statement.
func (w *Wakes) Woke() {
	if w != nil {
		w.woke = true
	}
}

// Pending reports whether w asks anything of the committer.
func (w *Wakes) Pending() bool { return w != nil && (w.send != nil || w.woke) }

// run does what w asks, with no lock held: the deferred send first (its
// change leaves before anything else happens), then the yield.
func (w *Wakes) run() {
	if w.send != nil {
		f := w.send
		w.send = nil
		f()
	}
	if w.woke {
		w.woke = false
		// Go queues a goroutine made runnable on this processor, to run
		// when this goroutine blocks (after the rest of the statement and
		// its answer); another processor takes it over only after a
		// back-off. Yielding runs it here at once, while this goroutine
		// goes to the global queue, where any free processor picks it up.
		runtime.Gosched()
	}
}

// changes turns a commit's writes into the changes a subscriber sees: from
// the committed version each write replaced to the last one it wrote. A
// row inserted and deleted in one transaction changed nothing.
func changes(writes []*Write) []Change {
	out := make([]Change, 0, len(writes))
	for _, w := range writes {
		c := Change{Table: w.Table.Table, UserID: w.Owner, Old: w.Before, New: w.After, OldSeq: w.BeforeSeq, NewSeq: w.Seq}
		switch {
		case w.Before == nil && w.Live:
			c.Type = ChangeInsert
		case w.Before != nil && w.Live:
			c.Type = ChangeUpdate
		case w.Before != nil && !w.Live:
			c.Type, c.New = ChangeDelete, nil
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}
