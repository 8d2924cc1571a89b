package ids

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Snowflake id layout, from the most significant bit:
//
//	1 bit    0 (ids are positive int64s)
//	41 bits  milliseconds since EpochUnixMilli (enough until 2093-09-06)
//	10 bits  node id
//	12 bits  sequence within the millisecond
//
// Ids of one node sort by generation order; ids of different nodes sort by
// time, to the millisecond.
const (
	// EpochUnixMilli is the snowflake epoch, 2024-01-01T00:00:00Z. A recent
	// epoch stretches the 41-bit time field as far into the future as it
	// goes.
	EpochUnixMilli = 1704067200000

	// NodeBits is the width of the node id field.
	NodeBits = 10
	// SeqBits is the width of the sequence field: 4096 ids per ms per node.
	SeqBits = 12
	// TimeBits is the width of the millisecond field.
	TimeBits = 41
	// MaxNodeID is the largest node id.
	MaxNodeID = 1<<NodeBits - 1

	seqMask   = 1<<SeqBits - 1
	maxMillis = 1<<TimeBits - 1
)

// Snowflake generates snowflake ids for one node. It is safe for
// concurrent use; Next is lock-free.
type Snowflake struct {
	node int64
	now  func() time.Time
	// state is the (milliseconds << SeqBits | sequence) of the last id.
	// Adding 1 moves to the next sequence number and, when a
	// millisecond's 4096 are used up, carries into the next millisecond:
	// the logical clock never waits and never goes back.
	state atomic.Uint64
}

// NewSnowflake returns a generator for node nodeID (0..MaxNodeID). now is
// the clock (nil: time.Now); it must be past the epoch and before 2093.
func NewSnowflake(nodeID int64, now func() time.Time) (*Snowflake, error) {
	if nodeID < 0 || nodeID > MaxNodeID {
		return nil, fmt.Errorf("ids: snowflake node id %d outside 0..%d", nodeID, MaxNodeID)
	}
	if now == nil {
		now = time.Now
	}
	if ms := now().UnixMilli() - EpochUnixMilli; ms < 0 || ms > maxMillis {
		return nil, fmt.Errorf("ids: clock %s outside the snowflake range 2024..2093", now().UTC().Format(time.RFC3339))
	}
	return &Snowflake{node: nodeID, now: now}, nil
}

// Node is the generator's node id.
func (s *Snowflake) Node() int64 { return s.node }

// Next returns a new id, greater than every id this generator returned
// before.
func (s *Snowflake) Next() int64 {
	floor := uint64(s.millis()) << SeqBits
	for {
		last := s.state.Load()
		next := max(last+1, floor)
		if s.state.CompareAndSwap(last, next) {
			return s.compose(next)
		}
	}
}

// Observe makes every later id of this generator greater than id, an id
// seen elsewhere (say the largest _seq found on disk at startup, in case
// the clock is now behind it).
func (s *Snowflake) Observe(id int64) {
	if id <= 0 {
		return
	}
	// The last sequence number of id's millisecond: the next id falls in
	// a later millisecond, so it is greater whatever id's node.
	target := uint64(id)>>(NodeBits+SeqBits)<<SeqBits | seqMask
	for {
		last := s.state.Load()
		if last >= target || s.state.CompareAndSwap(last, target) {
			return
		}
	}
}

func (s *Snowflake) compose(state uint64) int64 {
	ms := state >> SeqBits
	return int64(ms<<(NodeBits+SeqBits) | uint64(s.node)<<SeqBits | state&seqMask)
}

// millis is the wall clock in milliseconds since the epoch, clamped to the
// representable range (the logical clock takes over outside it).
func (s *Snowflake) millis() int64 {
	ms := s.now().UnixMilli() - EpochUnixMilli
	return min(max(ms, 0), maxMillis)
}

// TimeOf returns the time embedded in a snowflake id, to the millisecond.
func TimeOf(id int64) time.Time {
	return time.UnixMilli(EpochUnixMilli + id>>(NodeBits+SeqBits)).UTC()
}

// FirstOfMillisecond returns the smallest id of t's millisecond (clamped to
// the snowflake range): Observe of it makes later ids fall in a later
// millisecond.
func FirstOfMillisecond(t time.Time) int64 {
	ms := min(max(t.UnixMilli()-EpochUnixMilli, 0), maxMillis)
	return ms << (NodeBits + SeqBits)
}

// NodeOf returns the node id embedded in a snowflake id.
func NodeOf(id int64) int64 { return id >> SeqBits & MaxNodeID }

// SequenceOf returns the sequence number embedded in a snowflake id.
func SequenceOf(id int64) int64 { return id & seqMask }
