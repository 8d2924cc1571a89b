package memory

import "sync"

// Users are the per-user shares of the server's account. Without them one
// user could fill the whole account (large answers left unread, within
// that user's connection limit) and every other user's requests would be
// refused; with them a user's holders reserve from the user's share and
// the server's account together, and one user can take at most the share.
//
// A share is an Account whose parent is the server's. Shares of users who
// hold nothing are forgotten once there are many (sweepAt); a holder that
// still has the forgotten one goes on reserving through it, so for a
// moment a user may hold two shares' worth: a bounded slack, not a leak,
// since the server's account counts every byte either way.
//
// Every statement and request looks its user's share up, so the lookup is
// a lock-free load; only making a share and forgetting others take mu.
type Users struct {
	server *Account
	limit  int64
	shares sync.Map // user id -> *Account
	mu     sync.Mutex
	count  int // shares made and not forgotten, under mu
}

// sweepAt is how many shares are kept before those holding nothing are
// forgotten.
const sweepAt = 4096

// SetUserShare makes a, a server's account, give each user a share of at
// most limit bytes (<= 0 or not smaller than a's limit: no shares).
func (a *Account) SetUserShare(limit int64) {
	if limit <= 0 || limit >= a.limit {
		a.users = nil
		return
	}
	a.users = &Users{server: a, limit: limit}
}

// UserShare is the most one user's holders may reserve (the server's
// limit when there are no shares).
func (a *Account) UserShare() int64 {
	if a == nil {
		return 0
	}
	if a.users == nil {
		return a.limit
	}
	return a.users.limit
}

// For is the account userID's holders reserve from: the user's share of a,
// or a itself when a has no shares or userID is "".
func (a *Account) For(userID string) *Account {
	if a == nil || a.users == nil || userID == "" {
		return a
	}
	return a.users.share(userID)
}

// ForKnown is For(userID) answered without a lookup when known is that
// account already: a request reserves from its user's share, and the
// statements it runs as that same user reserve from the same share (a
// statement run as another user, EXECUTE AS, looks that user's up).
func (a *Account) ForKnown(userID string, known *Account) *Account {
	if known != nil && a != nil && known.parent == a && known.user == userID {
		return known
	}
	return a.For(userID)
}

func (u *Users) share(userID string) *Account {
	if s, ok := u.shares.Load(userID); ok {
		return s.(*Account)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.shares.Load(userID); ok {
		return s.(*Account)
	}
	if u.count >= sweepAt {
		u.shares.Range(func(id, s any) bool {
			if s.(*Account).used.Load() == 0 {
				u.shares.Delete(id)
				u.count--
			}
			return true
		})
	}
	s := &Account{limit: u.limit, parent: u.server, user: userID}
	u.shares.Store(userID, s)
	u.count++
	return s
}
