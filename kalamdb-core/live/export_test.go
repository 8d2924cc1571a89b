package live

import (
	"context"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// ConnectUnchecked opens a connection not tied to an account, for tests
// whose users the catalog does not know.
func ConnectUnchecked(m *Manager, userID string, role systable.Role) (*Conn, error) {
	return m.connect(userID, role, nil)
}

// SetMatch replaces the WHERE of subscription id on c, as compiled, with
// match: tests inject a filter that panics or never ends. Call it from the
// goroutine that reads c (the view is the sender's state).
func SetMatch(c *Conn, id string, match func(ctx context.Context, row []any) (bool, error)) {
	s, err := c.subscription(id)
	if err != nil {
		panic(err)
	}
	s.view.cond = matchFunc(match)
}

type matchFunc func(ctx context.Context, row []any) (bool, error)

func (f matchFunc) Match(ctx context.Context, row []any) (bool, error) { return f(ctx, row) }
