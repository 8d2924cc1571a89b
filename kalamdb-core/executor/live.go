package executor

import (
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// LiveQueries is what the executor needs of the live query manager.
type LiveQueries interface {
	// Kill ends a live query on behalf of a caller: a dba or system user
	// may end any, others only their own (NOT_FOUND otherwise, so ids of
	// other users' subscriptions are not confirmed).
	Kill(ctx context.Context, callerID string, callerRole systable.Role, liveID string) error
	// AccountChanged ends, before it returns, the live connections of
	// userID ("": of every user) whose account was dropped or whose role
	// or password changed since they signed in: ALTER USER and DROP USER
	// call it before they answer, so no change committed after the answer
	// reaches a subscription authorised for the old role.
	AccountChanged(userID string)
}

// accountChanged tells the live query manager, if any, that userID's
// account changed (LiveQueries.AccountChanged).
func (x *Executor) accountChanged(userID string) {
	if x.live != nil {
		x.live.AccountChanged(userID)
	}
}

func (x *Executor) killLiveQuery(ctx context.Context, p authz.Principal, s *dialect.KillLiveQuery) (Result, error) {
	if x.live == nil {
		return Result{}, apierror.New(apierror.NotFound, "live query %s does not exist", s.LiveID)
	}
	if err := x.live.Kill(ctx, p.UserID, p.Role, s.LiveID); err != nil {
		return Result{}, err
	}
	return message(1, fmt.Sprintf("Live query %s killed", s.LiveID)), nil
}
