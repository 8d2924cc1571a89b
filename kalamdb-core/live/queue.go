package live

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
)

// item is one entry of a connection's send queue: the changes one commit
// made to a partition one of its subscriptions watches, or a message that
// is ready to send. A commit is one entry however many rows it wrote, so
// the queue bound counts what a client has failed to take, not the size
// of a bulk write: a client that keeps up is never cut off by a
// 5000-row INSERT.
type item struct {
	sub     *subscription
	changes []txn.Change // shared with every subscriber; read-only
	msg     Message
	// lastBatch marks msg as the subscription's last initial-data batch:
	// once it is out, the changes kept aside follow and the subscription
	// turns ready.
	lastBatch bool
	// after, with lastBatch, is sent right after msg and before the
	// changes kept aside: a resumed subscription's deletes
	// (subscription.resumeDeletes).
	after Message
	// always sends msg even when sub has been removed meanwhile (the
	// message that says why it was removed).
	always bool
	// refresh asks the sender to re-run sub's query on a system table
	// and send what changed (system.go).
	refresh bool
	// size is about the bytes of row values the entry holds (changes or
	// a batch's rows), for the queue's byte bound.
	size int64
}

// changesSize is about the bytes of row values of changes.
func changesSize(changes []txn.Change) int64 {
	var n int64
	for i := range changes {
		n += changeSize(&changes[i])
	}
	return n
}

func changeSize(ch *txn.Change) int64 {
	return engine.ValuesSize(ch.Old) + engine.ValuesSize(ch.New)
}

// fifo is a growable ring of items. It starts empty and gives its buffer
// back whenever it is drained, so an idle connection holds no queue memory
// however busy it once was.
type fifo struct {
	buf  []item
	head int
	n    int
}

const fifoMinCap = 8

func (q *fifo) len() int { return q.n }

func (q *fifo) push(it item) {
	if q.n == len(q.buf) {
		grown := make([]item, max(fifoMinCap, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = it
	q.n++
}

func (q *fifo) pop() (item, bool) {
	if q.n == 0 {
		return item{}, false
	}
	it := q.buf[q.head]
	q.buf[q.head] = item{} // let the change and message be collected
	q.head = (q.head + 1) % len(q.buf)
	if q.n--; q.n == 0 {
		// Drained: give the buffer back, so idle connections hold none.
		*q = fifo{}
	}
	return it, true
}

// drain empties the queue.
func (q *fifo) drain() { *q = fifo{} }
