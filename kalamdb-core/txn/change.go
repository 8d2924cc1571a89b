package txn

import "github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"

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
// (queue and return). It reports whether it made a goroutine runnable to
// take the changes (a sender that had nothing to do): the committer then
// yields its processor once the locks are released, so that goroutine
// runs at once rather than after the rest of the committer's statement.
type Sink interface {
	Publish(changes []Change) (woke bool)
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
