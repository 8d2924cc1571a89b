package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
)

// shellState is the interactive shell's own state.
type shellState struct {
	line        *liner.State
	history     []string
	historyPath string
	// ctrlC is whether the shell switches the terminal's Ctrl-C between
	// a key and SIGINT: only where liner runs the terminal in its own
	// mode (on a terminal liner supports), which it restores on Close.
	ctrlC bool
}

// historyLimit is how many entries the history keeps (liner's own bound).
const historyLimit = liner.HistoryLimit

// runShell is the interactive shell: line editing, history with Ctrl-R
// search kept in ~/.kalam/history, Tab completion, statements over several
// lines, and Ctrl-C that cancels what runs (or clears what is typed)
// without leaving. Ctrl-C is a key while the shell waits for input, which
// liner reads (it drops what is typed), and SIGINT while a statement or
// command runs, which cancels its request (see runWork).
//
// liner makes Ctrl-C a key (the terminal's ISIG off) only from after it
// has printed the prompt until the line is read, and leaves ISIG on in
// between; a Ctrl-C typed in that moment (a loaded machine makes it long)
// would be a signal that no work is there to take, and the half-typed
// statement would be kept. So the shell keeps ISIG off for as long as it
// waits for input: liner's prompt takes the current mode as the one to
// restore, so it stays off.
func (s *session) runShell() int {
	st := liner.NewLiner()
	defer st.Close()
	st.SetCtrlCAborts(true)
	st.SetTabCompletionStyle(liner.TabPrints)
	st.SetWordCompleter(s.complete)
	s.shell = &shellState{line: st, historyPath: filepath.Join(s.dir, "history"),
		ctrlC: s.term.stdin && s.term.stdout && liner.TerminalSupported()}
	s.loadHistory()

	u := s.client.User()
	version := ""
	if h, err := s.client.Health(context.Background()); err == nil {
		version = " " + h.Version
	}
	fmt.Fprintf(s.p.out, "Connected to KalamDB-Go%s at %s as %s (role %s).\nType \\help for help, \\q to quit.\n\n",
		version, s.client.Base(), u.Username, u.Role)
	s.ensureCatalog()

	// liner's Close, deferred above, puts back the terminal's mode of
	// before NewLiner on every way out, SIGINT included.
	s.ctrlCSignals(false)
	var buf stmtBuffer
	var pending []string
	lineNo := 0
	for {
		text, err := st.Prompt(s.prompt(&buf))
		switch {
		case errors.Is(err, liner.ErrPromptAborted):
			// Ctrl-C at the prompt drops what was typed, as in psql.
			buf.reset()
			pending, lineNo = nil, 0
			continue
		case errors.Is(err, io.EOF):
			fmt.Fprintln(s.p.out)
			return ExitOK
		case err != nil:
			fmt.Fprintln(s.stderr, "kalam:", err)
			return ExitFailed
		}
		trimmed := strings.TrimSpace(text)
		if buf.empty() {
			lineNo = 0
			if trimmed == "" {
				continue
			}
			if lower := strings.ToLower(strings.TrimRight(trimmed, ";")); lower == "exit" || lower == "quit" {
				return ExitOK
			}
			if strings.HasPrefix(trimmed, `\`) {
				s.addHistory(trimmed)
				err := s.runWork(func(ctx context.Context) error {
					return s.runMeta(ctx, source{}, trimmed)
				})
				if errors.Is(err, errQuit) {
					return ExitOK
				}
				if code, done := s.shellFatal(err); done {
					return code
				}
				continue
			}
		}
		lineNo++
		buf.add(text, lineNo)
		if buf.empty() {
			pending, lineNo = nil, 0
			continue
		}
		pending = append(pending, trimmed)
		if !buf.complete() {
			continue
		}
		s.addHistory(strings.Join(pending, " "))
		pending, lineNo = nil, 0
		sql, start := buf.take()
		err = s.runWork(func(ctx context.Context) error {
			return s.runText(ctx, source{line: start}, sql)
		})
		if code, done := s.shellFatal(err); done {
			return code
		}
	}
}

// runWork runs a statement or a meta command of the shell, with Ctrl-C
// as SIGINT only while it runs, so that Ctrl-C cancels it.
//
// SIGINT goes on after the interrupter has dropped stale signals and off
// before it stops listening, so a Ctrl-C is never lost in between: one
// typed while the work runs, even just as it ends, is SIGINT, which cancels
// the work or, once its last request is done, is dropped as stale. One
// typed after SIGINT went off again waits as a key for the next prompt and
// drops what is typed there, nothing after a finished statement: as psql
// does, it gives a fresh prompt.
func (s *session) runWork(f func(context.Context) error) error {
	return s.interrupts.run(context.Background(), func(ctx context.Context) error {
		s.ctrlCSignals(true)
		defer s.ctrlCSignals(false)
		return f(ctx)
	})
}

// ctrlCSignals makes Ctrl-C on the shell's terminal SIGINT (on) or a key
// (off).
func (s *session) ctrlCSignals(on bool) {
	if !s.shell.ctrlC {
		return
	}
	// On failure the mode stays as it was: the shell still works, and
	// Ctrl-C is what it was before, either a key or SIGINT, both handled.
	_ = setTerminalSignals(int(os.Stdin.Fd()), on)
}

// shellFatal shows an error the shell survives, and tells the errors it
// does not: output that cannot be written.
func (s *session) shellFatal(err error) (int, bool) {
	if err == nil {
		return 0, false
	}
	var oe *outputError
	if errors.As(err, &oe) {
		s.fail(err)
		return ExitFailed, true
	}
	s.fail(err)
	return 0, false
}

// prompt shows the user, the server and the namespace, and, psql-like,
// whether a statement is being continued (->), a transaction block is open
// (*>) or a literal or comment is not closed ('>).
func (s *session) prompt(buf *stmtBuffer) string {
	host := s.client.Base()
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	p := s.client.User().Username + "@" + host
	if s.namespace != "" {
		p += "/" + s.namespace
	}
	switch {
	case buf.empty():
		return p + "=> "
	case buf.openLiteral:
		return p + "'> "
	case buf.txOpen:
		return p + "*> "
	}
	return p + "-> "
}

// loadHistory reads the history file, if any.
func (s *session) loadHistory() {
	f, err := os.Open(s.shell.historyPath)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			s.shell.history = append(s.shell.history, line)
			s.shell.line.AppendHistory(line)
		}
	}
	if len(s.shell.history) > historyLimit {
		s.shell.history = s.shell.history[len(s.shell.history)-historyLimit:]
	}
}

// addHistory records an entry and saves the history at once, so that a
// killed shell loses nothing. The file is the user's only (0600): it holds
// statements, which may hold secrets.
func (s *session) addHistory(entry string) {
	h := s.shell
	if n := len(h.history); n > 0 && h.history[n-1] == entry {
		return
	}
	h.history = append(h.history, entry)
	if len(h.history) > historyLimit {
		h.history = h.history[len(h.history)-historyLimit:]
	}
	h.line.AppendHistory(entry)
	if err := os.MkdirAll(filepath.Dir(h.historyPath), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.historyPath), ".history-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, e := range h.history {
		w.WriteString(e)
		w.WriteByte('\n')
	}
	if w.Flush() != nil || tmp.Chmod(0o600) != nil || tmp.Close() != nil {
		tmp.Close()
		return
	}
	_ = os.Rename(tmp.Name(), h.historyPath)
}
