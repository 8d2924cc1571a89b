package live_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// benchSubscribers connects users × perUser subscriptions on chat.messages
// (each of a user's subscriptions watches one conversation) and starts a
// reader per connection that reports when each change arrives.
func benchSubscribers(b *testing.B, e *env, users, perUser int, got chan<- time.Time) []*live.Conn {
	b.Helper()
	conns := make([]*live.Conn, users)
	for u := range conns {
		c, err := live.ConnectUnchecked(e.m, fmt.Sprintf("u%05d", u), systable.RoleUser)
		if err != nil {
			b.Fatal(err)
		}
		conns[u] = c
		for k := 0; k < perUser; k++ {
			if err := c.Subscribe(context.Background(), fmt.Sprint(k), fmt.Sprintf("SELECT id, body FROM chat.messages WHERE conv = %d", k), live.SubscriptionOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		// Drain the acks and initial batches.
		for k := 0; k < 2*perUser; k++ {
			if _, err := c.Next(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		if got != nil {
			go func() {
				for {
					m, err := c.Next(context.Background())
					if err != nil {
						return
					}
					if _, ok := m.(*live.ChangeMessage); ok {
						got <- time.Now()
					}
				}
			}()
		}
	}
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// BenchmarkWriteToSubscriber is an INSERT through the executor until the
// subscriber's connection has the change, with N users subscribed to the
// same table (one subscription each): the cost of a write must not grow
// with the users that are not written to.
func BenchmarkWriteToSubscriber(b *testing.B) {
	for _, users := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			e := newEnv(b, live.Options{})
			got := make(chan time.Time, 1)
			benchSubscribers(b, e, users, 1, got)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				user := fmt.Sprintf("u%05d", i%users)
				start := time.Now()
				if _, err := e.exec(user, systable.RoleUser, "INSERT INTO chat.messages VALUES ($1, 0, 'hello')", i); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, (<-got).Sub(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkPublish is the router alone: one committed change handed to
// the manager, which finds the written partition's subscriptions among
// every user's and queues it for each (here: the one subscription of the
// written user). The writes go to the same 10 users in every case, so
// only the number of other users' subscriptions differs: with writes
// spread over all 10K users, each would also touch a cold connection
// (cache misses, a fresh queue buffer), which is not the router's cost.
func BenchmarkPublish(b *testing.B) {
	for _, users := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			e := newEnv(b, live.Options{SendQueueSize: 1 << 30})
			conns := benchSubscribers(b, e, users, 1, nil)
			sink := e.changes
			for u := 0; u < users; u++ {
				if _, err := e.exec(fmt.Sprintf("u%05d", u), systable.RoleUser, "INSERT INTO chat.messages VALUES (1, 0, 'hello')"); err != nil {
					b.Fatal(err)
				}
			}
			changes := sink.changes
			router := e.m.Router()
			drain(conns) // the inserts above were routed too
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				router.Publish(changes[i%10:i%10+1], nil)
				if i%1024 == 1023 {
					b.StopTimer()
					drain(conns)
					b.StartTimer()
				}
			}
		})
	}
}

// BenchmarkIdleSubscription measures the memory an idle subscription holds
// in the core (filter, index entries, row of system.live_queries), over
// 1000 users with 10 subscriptions each.
func BenchmarkIdleSubscription(b *testing.B) {
	const users, perUser = 1000, 10
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, live.Options{})
		before := heapInUse()
		b.StartTimer()
		conns := benchSubscribers(b, e, users, perUser, nil)
		b.StopTimer()
		after := heapInUse()
		b.ReportMetric(float64(after-before)/float64(users*perUser), "B/subscription")
		runtime.KeepAlive(conns)
		b.StartTimer()
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// captureSink records committed changes (database.Config.Changes).
type captureSink struct {
	mu      sync.Mutex
	changes []txn.Change
}

func (s *captureSink) Publish(cs []txn.Change, _ *txn.Wakes) {
	s.mu.Lock()
	s.changes = append(s.changes, cs...)
	s.mu.Unlock()
}

// drain takes what is queued on each connection, without waiting.
func drain(conns []*live.Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range conns {
		for {
			if _, err := c.Next(ctx); err != nil {
				break
			}
		}
	}
}

// BenchmarkResumeRowsThatLeft: a subscription resumed with from_seq_id
// after 10 000 rows (the bound) left its WHERE, updated out of it or
// deleted: the time and allocations of the subscribe, its (empty) initial
// data and the one delete change naming the 10 000 rows, decoded as a
// client would.
func BenchmarkResumeRowsThatLeft(b *testing.B) {
	for _, how := range []string{"UPDATE chat.messages SET conv = 8", "DELETE FROM chat.messages"} {
		b.Run(strings.Fields(how)[0], func(b *testing.B) { benchResume(b, how) })
	}
}

func benchResume(b *testing.B, leave string) {
	e := newEnv(b, live.Options{})
	const n = 10000
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("(%d, 7, 'message body %d of some length')", i, i)
	}
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES " + strings.Join(vals, ", "))
	from := e.maxSeq()
	e.alice(leave)
	c := e.connect("alice", systable.RoleUser)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprint("r", i)
		c.subscribeAll(id, "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
		if m := c.expect("change", id); len(m.OldValues) != n {
			b.Fatalf("%d rows named", len(m.OldValues))
		}
		if err := c.c.Unsubscribe(id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResumeNothingLeft: the common resume, after 10 000 rows that
// match were written and none left: the initial data, and the scan that
// finds no row to name.
func BenchmarkResumeNothingLeft(b *testing.B) {
	e := newEnv(b, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (0, 7, 'first')")
	from := e.maxSeq()
	const n = 10000
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("(%d, 7, 'message body %d of some length')", i+1, i)
	}
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES " + strings.Join(vals, ", "))
	c := e.connect("alice", systable.RoleUser)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprint("r", i)
		if _, rows := c.subscribeAll(id, "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from, BatchSize: n}); len(rows) != n {
			b.Fatalf("%d rows", len(rows))
		}
		if err := c.c.Unsubscribe(id); err != nil {
			b.Fatal(err)
		}
	}
}
