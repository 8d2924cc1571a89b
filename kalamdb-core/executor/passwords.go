package executor

import (
	"context"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// PasswordVerifier checks the current password of a user who changes
// their own, so that whoever holds a session (a stolen token, an unlocked
// screen) cannot silently lock the owner out. It returns nil when password
// is right, an UNAUTHORIZED *apierror.Error when it is wrong, and may
// refuse with RATE_LIMIT_EXCEEDED: a front end supplies one that throttles
// wrong passwords the way it throttles logins, since the check is a
// password oracle.
type PasswordVerifier interface {
	VerifyPassword(ctx context.Context, username, password, clientAddr string) error
}

// SetPasswordVerifier replaces the default verifier (a plain bcrypt check
// against the catalog, without throttling). Call it before serving.
func (x *Executor) SetPasswordVerifier(v PasswordVerifier) { x.passwords = v }

// catalogPasswords is the default PasswordVerifier.
type catalogPasswords struct{ cat *catalog.Catalog }

func (c catalogPasswords) VerifyPassword(_ context.Context, username, password, _ string) error {
	u, ok := c.cat.UserByName(username)
	if !ok {
		return apierror.New(apierror.Unauthorized, "invalid username or password")
	}
	match, err := c.cat.CheckPassword(u.UserID, password)
	if err != nil {
		return err
	}
	if !match {
		return apierror.New(apierror.Unauthorized, "invalid username or password")
	}
	return nil
}

// checkCurrentPassword enforces CURRENT PASSWORD on a change of one's own
// password. A user without a password (root before one is configured,
// reachable from loopback only) has none to give.
func (x *Executor) checkCurrentPassword(ctx context.Context, b *batch, u *systable.User, current *string) error {
	if u.PasswordHash == "" {
		return nil
	}
	if current == nil {
		return apierror.New(apierror.PermissionDenied,
			"changing your own password needs the current one: ALTER USER '%s' SET PASSWORD '...' CURRENT PASSWORD '...'", u.Username)
	}
	err := x.passwords.VerifyPassword(ctx, u.Username, *current, b.clientAddr)
	if apierror.CodeOf(err) == apierror.Unauthorized {
		// Not 401: the session is fine, only the proof is wrong, and a
		// client that sees 401 would drop its session.
		return apierror.New(apierror.PermissionDenied, "the current password is wrong")
	}
	return err
}
