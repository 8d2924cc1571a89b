// Package ids owns id generation: the snowflake ids that are every row
// version's _seq and the SNOWFLAKE_ID() DEFAULT, and the UUIDv7
// and ULID values behind the UUID_V7() and ULID() DEFAULTs.
//
// All three embed a millisecond timestamp and are generated in increasing
// order by one generator, even when the wall clock steps backwards or many
// ids are asked for within one millisecond: each generator keeps a logical
// clock that is max(last, now) and moves to the next millisecond when a
// millisecond's ids run out, instead of waiting for the wall clock. The
// embedded time is therefore the wall time or, under a burst or a clock
// step back, slightly ahead of it.
//
// Invariant: a Snowflake's ids strictly increase for its lifetime (Next
// never returns an id at or below one it returned or Observe was given).
// It does not remember them across restarts by itself: its owner
// persists a bound above every id it wrote (the transactions' _seq lease)
// and makes the new generator Observe it at start, and the transactions
// rely on that to treat an id just issued as a key nobody wrote before.
//
// Generators own their state; there is no package-level mutable state.
// Randomness comes from crypto/rand unless a reader is injected (tests).
package ids
