package auth

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A token of the wrong type is refused with a message a user can read:
// POST /v1/api/auth/refresh with an access token said "a access token is
// not accepted here (want refresh token)".
func TestDocsReview20WrongTokenTypeMessage(t *testing.T) {
	tokens, err := NewTokens(testSecret, time.Hour, 24*time.Hour, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tokens.Issue(&systable.User{UserID: "u_alice", Username: "alice", Role: systable.RoleUser}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		token string
		want  TokenType
		msg   string
	}{
		{pair.AccessToken, RefreshToken, "an access token is not accepted here (want a refresh token)"},
		{pair.RefreshToken, AccessToken, "a refresh token is not accepted here (want an access token)"},
	} {
		_, err := tokens.Verify(c.token, c.want)
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.Unauthorized || ae.Message != c.msg {
			t.Errorf("want %s: got %v, want UNAUTHORIZED %q", c.want, err, c.msg)
		}
	}
}
