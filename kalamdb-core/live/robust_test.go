package live_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// nextTwo reads two messages, which may come in either order (two
// subscriptions of one commit), rendered as "sub type [code]".
func nextTwo(c *client) []string {
	var out []string
	for range 2 {
		m := c.next()
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", m.SubscriptionID, m.Type, m.Code)))
	}
	slices.Sort(out)
	return out
}

// A panic while the sender evaluates one subscription's WHERE (a bug in an
// engine function, reached with a row the test cannot predict) ends that
// subscription with SUBSCRIPTION_FAILED; the process, the connection, its
// other subscriptions and other connections go on.
func TestPanicInAFilterEndsOnlyItsSubscription(t *testing.T) {
	var reported sync.Map
	e := newEnv(t, live.Options{OnInternalError: func(liveID string, err error) { reported.Store(liveID, err.Error()) }})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("boom", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	c.subscribeAll("fine", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	other := e.connect("alice", systable.RoleUser)
	other.subscribeAll("fine", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	live.SetMatch(c.c, "boom", func(context.Context, []any) (bool, error) { panic("cannot create a Decimal from NaN") })

	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'x')")
	if got := fmt.Sprint(nextTwo(c)); got != "[boom error SUBSCRIPTION_FAILED fine change]" {
		t.Fatalf("after the panic: %s", got)
	}
	if got := other.change("fine"); got != "insert [map[id:1]]" {
		t.Fatal(got)
	}
	// The failed subscription is gone; the rest keep working.
	e.alice("INSERT INTO chat.messages VALUES (2, 7, 'y')")
	if got := c.change("fine"); got != "insert [map[id:2]]" {
		t.Fatal(got)
	}
	if got := other.change("fine"); got != "insert [map[id:2]]" {
		t.Fatal(got)
	}
	if got := e.sql("root", systable.RoleSystem, "SELECT COUNT(*) FROM system.live_queries")[0].Rows; fmt.Sprint(got) != "[[2]]" {
		t.Fatalf("live queries left: %v", got)
	}
	liveID := c.c.ID() + "-boom"
	if why, ok := reported.Load(liveID); !ok || !strings.Contains(why.(string), "NaN") {
		t.Fatalf("the panic was not reported for %s: %v", liveID, why)
	}
}

// A WHERE that takes longer than the subscriber's statement timeout for a
// change (a regular expression over a large value: linear time, but a long
// one) is stopped at the timeout and ends its subscription; the sender
// does not stay busy with it, and the connection's other subscriptions get
// the change.
func TestExpensiveFilterIsStoppedAtTheStatementTimeout(t *testing.T) {
	e := newEnv(t, live.Options{}, func(c *database.Config) {
		c.StatementLimits.Timeout.User = 300 * time.Millisecond
	})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("slow", "SELECT id FROM chat.messages WHERE id > 1000 AND regexp_count(body, '(a|b|ab|ba){999}') > 0",
		live.SubscriptionOptions{})
	c.subscribeAll("fine", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	e.alice("INSERT INTO chat.messages VALUES (2001, 7, repeat('ab', 800000))")
	got := map[string]*msg{}
	for range 2 {
		m := c.next()
		got[m.SubscriptionID] = m
	}
	if m := got["slow"]; m == nil || m.Type != "error" || m.Code != "SUBSCRIPTION_FAILED" || !strings.Contains(m.Message, "statement_timeout") {
		t.Fatalf("slow subscription: %+v", m)
	}
	if m := got["fine"]; m == nil || m.Type != "change" {
		t.Fatalf("other subscription: %+v", m)
	}
	e.alice("INSERT INTO chat.messages VALUES (2002, 7, 'ab')")
	if got := c.change("fine"); got != "insert [map[id:2002]]" {
		t.Fatal(got)
	}
}

// The initial data is read as the subscriber, under the statement time
// limit of its role: a WHERE too expensive over the rows already there
// fails the subscription with SUBSCRIPTION_FAILED naming the limit, and
// nothing is left registered.
func TestInitialDataRunsUnderTheStatementTimeout(t *testing.T) {
	// The limit leaves the 1.6 MB INSERT (sent as a parameter, so that
	// nothing is built) room on a loaded machine; the WHERE over it runs
	// far longer.
	e := newEnv(t, live.Options{}, func(c *database.Config) {
		c.StatementLimits.Timeout.User = time.Second
	})
	e.alice("INSERT INTO chat.messages VALUES (2001, 7, $1)", strings.Repeat("ab", 800000))
	c := e.connect("alice", systable.RoleUser)
	err := c.c.Subscribe(context.Background(), "slow",
		"SELECT id FROM chat.messages WHERE id > 1000 AND regexp_count(body, '(a|b|ab|ba){999}') > 0",
		live.SubscriptionOptions{BatchSize: 10000})
	if e, ok := apierror.As(err); !ok || e.Code != apierror.SubscriptionFailed || !strings.Contains(e.Message, "statement_timeout") {
		t.Fatalf("subscribe: %v", err)
	}
	if got := e.sql("root", systable.RoleSystem, "SELECT COUNT(*) FROM system.live_queries")[0].Rows; fmt.Sprint(got) != "[[0]]" {
		t.Fatalf("live queries left: %v", got)
	}
}

// The attack's write amplification: a WHERE such as
// position('zz' IN repeat(body, 8000000)) > 0 built a 16 MB value for
// every change and every subscription. Functions that build values much
// larger than their arguments are refused in a live WHERE, naming the
// function; replace() that cannot grow its input is allowed.
func TestLiveWhereRefusesValueBuilders(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	for fn, where := range map[string]string{
		"repeat":         "position('zz' IN repeat(body, 8000000)) > 0",
		"lpad":           "length(lpad(body, 2000000000)) > 0",
		"rpad":           "rpad(body, 100, 'x') = 'y'",
		"regexp_replace": "regexp_replace(body, '.', 'xx', 'g') = 'y'",
		"overlay":        "overlay(body PLACING body FROM 1) = 'y'",
		"replace":        "replace(body, 'a', body) = 'y'",
	} {
		err := c.c.Subscribe(context.Background(), fn, "SELECT id FROM chat.messages WHERE id > 0 AND "+where, live.SubscriptionOptions{})
		if e, ok := apierror.As(err); !ok || e.Code != apierror.Unsupported || !strings.Contains(e.Message, fn+"()") {
			t.Fatalf("%s: %v", fn, err)
		}
	}
	c.subscribeAll("ok", "SELECT id FROM chat.messages WHERE replace(body, '-', '') = 'ab'", live.SubscriptionOptions{})
	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'a-b')")
	if got := c.change("ok"); got != "insert [map[id:1]]" {
		t.Fatal(got)
	}
}
