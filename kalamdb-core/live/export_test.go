package live

import "context"

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
