package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitFailed      = 1 // a statement, command or live query failed, or output could not be written
	ExitConnect     = 2 // the server could not be reached or the sign-in failed
	ExitUsage       = 3 // bad flags, an unreadable file, an unusable credential store
	ExitInterrupted = 130
)

// reported marks an error that has already been shown to the user, with
// its location; only its exit status is left to decide.
type reported struct{ err error }

func (r *reported) Error() string { return r.err.Error() }
func (r *reported) Unwrap() error { return r.err }

// errQuit ends the shell.
var errQuit = errors.New("quit")

// exitCode classifies an error.
func exitCode(err error) int {
	var ue *usageError
	var ce *ConnError
	var le *LoginRequiredError
	var se *ConnectError
	var oe *outputError
	switch {
	case err == nil, errors.Is(err, errQuit):
		return ExitOK
	case errors.As(err, &oe):
		return ExitFailed
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &ce), errors.As(err, &le), errors.As(err, &se):
		return ExitConnect
	}
	return ExitFailed
}

// terminal is what the session knows of the process's terminal.
type terminal struct {
	stdin, stdout, stderr bool
}

// session is one run of the client: its connection, settings and state.
type session struct {
	opts   *Options
	client *Client
	p      *printer
	stderr io.Writer
	term   terminal
	getenv func(string) string

	store    *Store
	instance string
	dir      string // ~/.kalam

	namespace   string
	interactive bool
	spinner     bool
	interrupts  *interrupter
	catalog     catalog
	shell       *shellState // nil outside the interactive shell
}

// Main runs the client with the process's arguments and standard streams
// and returns its exit status.
func Main() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	t := terminal{
		stdin:  term.IsTerminal(int(os.Stdin.Fd())),
		stdout: term.IsTerminal(int(os.Stdout.Fd())),
		stderr: term.IsTerminal(int(os.Stderr.Fd())),
	}
	return run(os.Args[1:], t, os.Stdout, os.Stderr, os.Getenv, sigs)
}

func run(args []string, t terminal, stdout, stderr io.Writer, getenv func(string) string, sigs chan os.Signal) int {
	opts, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "kalam:", err)
		return ExitUsage
	}
	home, err := os.UserHomeDir()
	if err != nil {
		fmt.Fprintln(stderr, "kalam: no home directory for ~/.kalam:", err)
		return ExitUsage
	}
	noColor := opts.NoColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
	s := &session{
		opts: opts, stderr: stderr, term: t, getenv: getenv,
		dir:        filepath.Join(home, ".kalam"),
		instance:   opts.Instance,
		namespace:  opts.Namespace,
		interrupts: &interrupter{sigs: sigs},
	}
	s.store = NewStore(s.dir)
	s.p = &printer{
		out: &outWriter{w: stdout}, errOut: stderr, format: opts.Format, timing: true,
		color: t.stdout && !noColor, errColor: t.stderr && !noColor,
		width: func() int { return s.tableWidth() },
	}
	// The shell needs a terminal on both sides; typing into a redirected
	// kalam (kalam > out.txt) runs the lines as a script.
	s.interactive = !opts.given("command") && opts.File == "" && opts.Subscribe == "" && t.stdin && t.stdout
	s.spinner = s.interactive && t.stderr && !opts.NoSpinner

	if done, code := s.credentialCommands(); done {
		return code
	}
	err = s.interrupts.run(context.Background(), s.connect)
	if err != nil {
		s.fail(err)
		return exitCode(err)
	}
	defer s.client.Close()
	if opts.UpdateCredentials && !opts.given("command") && opts.File == "" && opts.Subscribe == "" {
		fmt.Fprintf(stderr, "Saved credentials of %s for %s as instance %q.\n", s.client.User().Username, s.client.Base(), s.instance)
		return ExitOK
	}

	switch {
	case opts.Subscribe != "":
		err = s.interrupts.run(context.Background(), func(ctx context.Context) error {
			return s.subscribe(ctx, opts.Subscribe, true)
		})
		if errors.Is(err, context.Canceled) {
			// Ctrl-C is how a stream ends.
			err = nil
		}
	case opts.given("command"):
		err = s.interrupts.run(context.Background(), func(ctx context.Context) error {
			return s.runScript(ctx, "", strings.NewReader(opts.Command))
		})
	case opts.File != "":
		err = s.interrupts.run(context.Background(), func(ctx context.Context) error {
			return s.runFile(ctx, opts.File)
		})
	case !s.interactive:
		err = s.interrupts.run(context.Background(), func(ctx context.Context) error {
			return s.runScript(ctx, "stdin", os.Stdin)
		})
	default:
		return s.runShell()
	}
	if err != nil {
		s.fail(err)
	}
	return exitCode(err)
}

// fail shows an error that has not been shown yet.
func (s *session) fail(err error) {
	var r *reported
	if errors.As(err, &r) {
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(s.stderr, "kalam: interrupted")
		return
	}
	var oe *outputError
	if errors.As(err, &oe) {
		fmt.Fprintln(s.stderr, "kalam: could not write the output:", oe.err)
		return
	}
	fmt.Fprintln(s.stderr, "kalam:", s.describe(err))
}

// describe turns an error into the message for the user.
func (s *session) describe(err error) string {
	var le *LoginRequiredError
	if errors.As(err, &le) && le.Username == "" {
		return fmt.Sprintf("the access token was refused (%v); it has expired or was revoked, so sign in again", le.Err)
	}
	if errors.As(err, &le) {
		hint := fmt.Sprintf("kalam --instance %s --user %s --update-credentials", s.instance, le.Username)
		return fmt.Sprintf("the session of %s has expired or was revoked (%v); sign in again: %s", le.Username, le.Err, hint)
	}
	var se *signInError
	if errors.As(err, &se) {
		who := ""
		if se.user != "" {
			who = " for " + se.user
		}
		return fmt.Sprintf("sign-in failed%s: %s", who, s.describe(se.err))
	}
	if e, ok := apierror.As(err); ok {
		return fmt.Sprintf("ERROR %s: %s", e.Code, e.Message)
	}
	return err.Error()
}

// tableWidth is the width tables are fitted to: the terminal's, else
// $COLUMNS, else unlimited.
func (s *session) tableWidth() int {
	if s.term.stdout {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if c, err := strconv.Atoi(s.getenv("COLUMNS")); err == nil && c > 0 {
		return c
	}
	return 0
}

// interrupter turns Ctrl-C (SIGINT) and SIGTERM into the cancellation of
// the work in progress, so that the shell survives them and a script ends
// cleanly.
type interrupter struct {
	sigs chan os.Signal
}

// run runs f with a context that a signal cancels.
func (it *interrupter) run(parent context.Context, f func(context.Context) error) error {
	// A signal that came while nothing ran is stale.
	select {
	case <-it.sigs:
	default:
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-it.sigs:
			cancel()
		case <-done:
		}
	}()
	err := f(ctx)
	close(done)
	<-stopped
	if err == nil && ctx.Err() != nil && parent.Err() == nil {
		// Interrupted after the work had finished its last request.
		return nil
	}
	return err
}

// runFile runs a script file.
func (s *session) runFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	defer f.Close()
	return s.runScript(ctx, path, f)
}
