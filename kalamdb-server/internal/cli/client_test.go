package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// fakeAuth is a stand-in server for the client's token handling: it knows
// one valid access token and one valid refresh token at a time.
type fakeAuth struct {
	mu       sync.Mutex
	access   string
	refresh  string
	n        int
	password string
	calls    []string
}

func (f *fakeAuth) issue(w http.ResponseWriter) {
	f.n++
	f.access = "access-" + string(rune('0'+f.n))
	f.refresh = "refresh-" + string(rune('0'+f.n))
	_ = json.NewEncoder(w).Encode(map[string]any{
		"user":         map[string]string{"id": "u_1", "username": "alice", "role": "user"},
		"access_token": f.access, "refresh_token": f.refresh,
		"expires_at":         time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"refresh_expires_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"status":"error","results":[],"took":0,"error":{"code":"UNAUTHORIZED","message":"invalid token","details":null}}`))
}

func (f *fakeAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.calls = append(f.calls, r.URL.Path+" "+bearer)
	switch r.URL.Path {
	case "/v1/api/auth/login":
		var body struct{ User, Password string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.Password != f.password {
			unauthorized(w)
			return
		}
		f.issue(w)
	case "/v1/api/auth/refresh":
		if bearer != f.refresh || f.refresh == "" {
			unauthorized(w)
			return
		}
		f.issue(w)
	case "/v1/api/sql":
		if bearer != f.access || f.access == "" {
			unauthorized(w)
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","results":[{"schema":[{"name":"x","data_type":"Int","index":0}],"rows":[[1]],"row_count":1,"as_user":"alice"}],"took":0.1}`))
	default:
		http.NotFound(w, r)
	}
}

func TestClientRenewsARefusedTokenAndRetries(t *testing.T) {
	f := &fakeAuth{refresh: "refresh-0"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, time.Minute, time.Minute)
	var saved []Tokens
	c.SetTokens(User{Username: "alice"}, Tokens{Access: "stale", Refresh: "refresh-0", AccessExpiresAt: time.Now().Add(time.Hour)})
	c.OnTokens(func(_ User, t Tokens) { saved = append(saved, t) })
	resp, err := c.SQL(context.Background(), "SELECT 1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 1 || resp.Results[0].RowCount != 1 {
		t.Fatalf("resp %+v", resp)
	}
	if len(saved) != 1 || saved[0].Access != "access-1" {
		t.Fatalf("renewed tokens were not handed on: %+v", saved)
	}
	want := []string{"/v1/api/sql stale", "/v1/api/auth/refresh refresh-0", "/v1/api/sql access-1"}
	if strings.Join(f.calls, "|") != strings.Join(want, "|") {
		t.Fatalf("calls %q, want %q", f.calls, want)
	}
}

func TestClientRenewsAnExpiredTokenBeforeSending(t *testing.T) {
	f := &fakeAuth{refresh: "refresh-0"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, time.Minute, time.Minute)
	c.SetTokens(User{Username: "alice"}, Tokens{Access: "expired", Refresh: "refresh-0", AccessExpiresAt: time.Now().Add(-time.Minute)})
	if _, err := c.SQL(context.Background(), "SELECT 1", ""); err != nil {
		t.Fatal(err)
	}
	if f.calls[0] != "/v1/api/auth/refresh refresh-0" {
		t.Fatalf("an expired token must be renewed first, calls %q", f.calls)
	}
}

func TestClientAsksToLogInAgainWhenTheRefreshTokenIsRefused(t *testing.T) {
	f := &fakeAuth{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, time.Minute, time.Minute)
	c.SetTokens(User{Username: "alice"}, Tokens{Access: "stale", Refresh: "revoked"})
	_, err := c.SQL(context.Background(), "SELECT 1", "")
	var le *LoginRequiredError
	if !errors.As(err, &le) || le.Username != "alice" || exitCode(err) != ExitConnect {
		t.Fatalf("want a LoginRequiredError, got %v", err)
	}
}

func TestClientLogsInAgainWithAKnownPassword(t *testing.T) {
	f := &fakeAuth{password: "pw"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, time.Minute, time.Minute)
	if err := c.Login(context.Background(), "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	// The server forgets every token (a restart with a new secret).
	f.mu.Lock()
	f.access, f.refresh = "", ""
	f.mu.Unlock()
	if _, err := c.SQL(context.Background(), "SELECT 1", ""); err != nil {
		t.Fatalf("the client should sign in again with the password it has: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"error","results":[],"took":0.4,"error":{"code":"INVALID_SQL","message":"syntax error","details":{"position":14,"line":1,"column":14}}}`))
	}))
	c := NewClient(srv.URL, time.Minute, time.Minute)
	c.SetTokens(User{}, Tokens{Access: "t"})
	_, err := c.SQL(context.Background(), "SELECT * FROM FORM", "")
	pos, ok := positionOf(err)
	if !apierror.Is(err, apierror.InvalidSQL) || !ok || pos.Position != 14 {
		t.Fatalf("err %v pos %+v", err, pos)
	}
	srv.Close()
	_, err = c.SQL(context.Background(), "SELECT 1", "")
	var ce *ConnError
	if !errors.As(err, &ce) || exitCode(err) != ExitConnect {
		t.Fatalf("a closed server must be a ConnError, got %v", err)
	}
}
