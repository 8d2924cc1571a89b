// Package live owns live queries (see docs/live.md): the subscriptions of
// every connected client, the index that routes each committed change to
// the subscriptions of its partition, the per-subscription switch from
// initial data to live changes, the per-connection bounded send queues,
// and the rows of system.live_queries. It knows nothing of WebSocket or JSON
// framing: a front end (kalamdb-server's ws package) authenticates a client,
// opens a Conn for it, feeds it the client's requests and writes out what
// Conn.Next returns.
//
// # Construction
//
// Three parts, built in the order the database needs them (package
// database does): the Router, which depends on nothing and is the
// transactions' change sink (txn.Sink); Queries, system.live_queries,
// which the engine shows among the system tables; and the Manager, built
// with the engine, the tiers (partition feeds), the Router and Queries.
// Each is complete at construction; nothing is installed afterwards.
//
// # Routing
//
// The Router routes committed changes. Subscriptions are indexed by
// (table id, partition owner): the user id for USER and STREAM tables, ""
// for SHARED tables. Publish looks up only the written partition's
// subscriptions, so the cost of a write does not depend on how many users
// or subscriptions exist elsewhere. Publish runs on the writer's goroutine
// with the partition locked; it never evaluates a filter, encodes a row or
// waits: it appends (subscription, change) to each subscriber's connection
// queue. Filters are evaluated and rows encoded on the connection's sender
// goroutine (Conn.Next), so that work is spread over connections and a slow
// or expensive subscriber never delays a writer. Publish reports whether an
// append woke a sender that had nothing to do; the committer then yields
// its processor to it once the partition locks are released (txn.Sink), so
// the change is encoded and written right after its commit rather than
// after the rest of the writer's statement and its answer.
//
// # Initial data and the switch to live changes
//
// Subscribe registers the subscription in the index through
// tier.Manager.OpenPartitionFeed, which does so while no commit to the partition
// is in flight and then takes a snapshot: every commit is either in the
// snapshot or published to the subscription afterwards, exactly once. The
// initial data is read at that snapshot in _seq order, in batches (the
// first one at once, the next ones when the client asks with next_batch)
// bounded in rows and in bytes (Options.MaxBatchBytes). A batch's query
// streams the rows after the cursor through a bounded heap that keeps the
// first ones by _seq, so neither the engine nor the batch ever holds more
// than a batch (and one row) of them, however large the rows.
// Until the last batch has been handed to the sender, the changes routed to
// the subscription are kept aside in order; the sender emits them right
// after the last batch and then switches the subscription to ready. Since
// they were all committed after the snapshot, none of them is also in a
// batch, and none is missing.
//
// # Back-pressure
//
// Each connection's queue is bounded in entries (Options.SendQueueSize)
// and in bytes of row values (Options.SendQueueBytes). When a change or
// message would overflow it, the connection fails with ErrSlowConsumer:
// Done is closed, later changes are dropped for it at the cost of one
// branch, and the front end closes the socket with a close reason. Writers
// never wait for a client. Changes kept aside while a subscription loads
// are bounded the same way; past it only that subscription fails.
//
// Everything a connection holds is also reserved from the server's memory
// account (Deps.Memory, the user's share of it): queued entries and the
// one being written (a connection that falls behind and cannot reserve
// fails with ErrServerMemory), changes kept aside, and each initial-data
// batch, row by row as it is read; the queue entry takes the batch's
// reservation over, so a batch that does not fit is refused on its
// request (subscribe or next_batch) before it is queued.
//
// # Failures on the sender
//
// Filters run on the sender as a statement of the subscriber would: under
// the time limit of the subscriber's role. A change whose evaluation is
// stopped at the limit ends its subscription (SUBSCRIPTION_FAILED), as
// does a panic while one subscription's changes are evaluated or encoded
// (reported through Options.OnInternalError); the connection and its other
// subscriptions go on.
package live
