package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// signInError is a refused sign-in: wrong name or password, or a refused
// token.
type signInError struct {
	user string
	err  error
}

func (e *signInError) Error() string {
	if e.user == "" {
		return fmt.Sprintf("sign-in failed: %v", e.err)
	}
	return fmt.Sprintf("sign-in failed for %s: %v", e.user, e.err)
}

func (e *signInError) Unwrap() error { return e.err }

// connect signs in, in this order of precedence: --token; --user (or
// $KALAMDB_USER) with a password from --password, $KALAMDB_PASSWORD or a
// prompt; the stored instance; and else root without a password (which a
// server without a root password accepts from loopback only).
func (s *session) connect(ctx context.Context) error {
	o := s.opts
	stored, haveStored, err := s.store.Get(s.instance)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	url := o.URL
	useStored := haveStored && o.Token == "" && o.User == "" && (url == "" || url == stored.URL)
	if url == "" {
		url = DefaultURL
		if haveStored {
			url = stored.URL
		}
	}
	if o.given("instance") && !haveStored && o.Token == "" && o.User == "" && !o.SaveCredentials && !o.UpdateCredentials {
		return &usageError{msg: fmt.Sprintf("no stored credentials for instance %q (save some with --instance %s --user NAME --save-credentials)", s.instance, s.instance)}
	}
	if o.UpdateCredentials && o.User == "" && !useStored {
		return &usageError{msg: "--update-credentials needs --user"}
	}
	s.client = NewClient(url, o.Timeout, o.ConnectTimeout)

	switch {
	case o.Token != "":
		s.client.SetTokens(User{}, Tokens{Access: o.Token})
		if _, err := s.client.Me(ctx); err != nil {
			return asSignInError("", err)
		}
	case useStored && !o.UpdateCredentials:
		s.client.SetTokens(User{ID: stored.UserID, Username: stored.Username, Role: stored.Role}, stored.tokens())
		s.persistTokens()
		if _, err := s.client.Me(ctx); err != nil {
			var le *LoginRequiredError
			if !errors.As(err, &le) || !s.term.stdin {
				return asSignInError(stored.Username, err)
			}
			fmt.Fprintf(s.stderr, "The stored session of %s for instance %q has ended.\n", stored.Username, s.instance)
			if err := s.login(ctx, stored.Username, "", false); err != nil {
				return err
			}
		}
	default:
		user := o.User
		if user == "" && useStored {
			user = stored.Username
		}
		if user == "" {
			user = "root"
		}
		// Someone who names a user on a terminal is asked for the password
		// at once (like psql); the default root may have none.
		ask := o.User != "" && !o.given("password") && s.term.stdin
		if err := s.login(ctx, user, o.Password, ask); err != nil {
			return err
		}
	}
	if o.SaveCredentials || o.UpdateCredentials {
		if err := s.store.Put(s.instance, instanceFrom(url, s.client.User(), s.client.Tokens(), time.Now())); err != nil {
			return &usageError{msg: err.Error()}
		}
		s.persistTokens()
	}
	return nil
}

// login signs in with a password, asking for it on the terminal first when
// ask is set, or after the server refused an empty one.
func (s *session) login(ctx context.Context, user, password string, ask bool) error {
	if ask {
		p, err := s.readPassword(ctx, user)
		if err != nil {
			return err
		}
		password = p
	}
	err := s.client.Login(ctx, user, password)
	if err != nil && !ask && password == "" && apierror.Is(err, apierror.Unauthorized) && s.term.stdin {
		p, perr := s.readPassword(ctx, user)
		if perr != nil {
			return perr
		}
		err = s.client.Login(ctx, user, p)
	}
	if err != nil {
		return asSignInError(user, err)
	}
	return nil
}

// asSignInError classifies a failure to sign in: a refusal is a
// signInError, an unreachable server stays a ConnError.
func asSignInError(user string, err error) error {
	var ce *ConnError
	var le *LoginRequiredError
	if errors.As(err, &ce) || errors.As(err, &le) || errors.Is(err, context.Canceled) {
		return err
	}
	return &ConnectError{err: &signInError{user: user, err: err}}
}

// ConnectError is any failure to start a session; its exit status is
// ExitConnect.
type ConnectError struct{ err error }

func (e *ConnectError) Error() string { return e.err.Error() }
func (e *ConnectError) Unwrap() error { return e.err }

// persistTokens makes every renewal of the tokens update the stored
// instance, so the stored session lives as long as it is used.
func (s *session) persistTokens() {
	url := s.client.Base()
	s.client.OnTokens(func(u User, t Tokens) {
		if err := s.store.Put(s.instance, instanceFrom(url, u, t, time.Now())); err != nil {
			fmt.Fprintln(s.stderr, "kalam: warning: could not update the stored credentials:", err)
		}
	})
}

// readPassword asks for a password on the terminal without echoing it. A
// Ctrl-C while it waits restores the terminal and cancels.
func (s *session) readPassword(ctx context.Context, user string) (string, error) {
	if !s.term.stdin {
		return "", &usageError{msg: "a password is needed and standard input is not a terminal (use --password or KALAMDB_PASSWORD)"}
	}
	fd := int(os.Stdin.Fd())
	restore, err := echoOff(fd)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	defer restore()
	fmt.Fprintf(s.stderr, "Password for %s: ", user)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		var line []byte
		var b [1]byte
		for {
			n, err := os.Stdin.Read(b[:])
			if n == 1 {
				if b[0] == '\n' || b[0] == '\r' {
					break
				}
				line = append(line, b[0])
			}
			if err != nil {
				if len(line) == 0 {
					ch <- answer{err: err}
					return
				}
				break
			}
		}
		ch <- answer{line: string(line)}
	}()
	select {
	case a := <-ch:
		fmt.Fprintln(s.stderr)
		if a.err != nil {
			return "", fmt.Errorf("reading the password: %w", a.err)
		}
		return a.line, nil
	case <-ctx.Done():
		fmt.Fprintln(s.stderr)
		return "", ctx.Err()
	}
}

// credentialCommands runs --list-instances, --show-credentials and
// --delete-credentials, which need no server.
func (s *session) credentialCommands() (done bool, code int) {
	o := s.opts
	switch {
	case o.ListInstances:
		names, all, err := s.store.List()
		if err != nil {
			fmt.Fprintln(s.stderr, "kalam:", err)
			return true, ExitUsage
		}
		if len(names) == 0 {
			fmt.Fprintln(s.stderr, "No stored instances.")
			return true, ExitOK
		}
		r := &Result{Schema: []Column{{"instance", "Text"}, {"url", "Text"}, {"username", "Text"},
			{"role", "Text"}, {"session_ends", "Text"}}, RowCount: int64(len(names))}
		for _, n := range names {
			in := all[n]
			r.Rows = append(r.Rows, jsonRow(n, in.URL, in.Username, in.Role, sessionEnd(in)))
		}
		if err := s.p.result(r, -1, ""); err != nil {
			fmt.Fprintln(s.stderr, "kalam:", err)
			return true, ExitFailed
		}
		return true, ExitOK
	case o.ShowCredentials:
		in, ok, err := s.store.Get(s.instance)
		if err != nil {
			fmt.Fprintln(s.stderr, "kalam:", err)
			return true, ExitUsage
		}
		if !ok {
			fmt.Fprintf(s.stderr, "No stored credentials for instance %q.\n", s.instance)
			return true, ExitFailed
		}
		fmt.Fprintf(s.p.out, "Instance:  %s\nURL:       %s\nUser:      %s (id %s, role %s)\nToken:     %s (refreshable until %s)\nSaved:     %s\nFile:      %s\n",
			s.instance, in.URL, in.Username, in.UserID, in.Role, maskToken(in.AccessToken), sessionEnd(in),
			in.SavedAt.Format(time.RFC3339), s.store.Path())
		return true, ExitOK
	case o.DeleteCredentials:
		ok, err := s.store.Delete(s.instance)
		if err != nil {
			fmt.Fprintln(s.stderr, "kalam:", err)
			return true, ExitUsage
		}
		if !ok {
			fmt.Fprintf(s.stderr, "No stored credentials for instance %q.\n", s.instance)
			return true, ExitOK
		}
		fmt.Fprintf(s.stderr, "Deleted the stored credentials of instance %q.\n", s.instance)
		return true, ExitOK
	}
	return false, 0
}

// sessionEnd is when a stored session can no longer be renewed.
func sessionEnd(in Instance) string {
	end := in.RefreshExpiresAt
	if in.RefreshToken == "" {
		end = in.ExpiresAt
	}
	if end.IsZero() {
		return "unknown"
	}
	return end.UTC().Format(time.RFC3339)
}

// maskToken shows only the end of a token.
func maskToken(t string) string {
	if len(t) <= 8 {
		return "****"
	}
	return "****" + t[len(t)-6:]
}
