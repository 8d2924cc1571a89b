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
}

// historyLimit is how many entries the history keeps (liner's own bound).
const historyLimit = liner.HistoryLimit

// runShell is the interactive shell: line editing, history with Ctrl-R
// search kept in ~/.kalam/history, Tab completion, statements over several
// lines, and Ctrl-C that cancels what runs (or clears what is typed)
// without leaving. liner puts the terminal in raw mode only while it reads a
// line, so a Ctrl-C while a statement runs arrives as SIGINT, which
// cancels that statement's request.
func (s *session) runShell() int {
	st := liner.NewLiner()
	defer st.Close()
	st.SetCtrlCAborts(true)
	st.SetTabCompletionStyle(liner.TabPrints)
	st.SetWordCompleter(s.complete)
	s.shell = &shellState{line: st, historyPath: filepath.Join(s.dir, "history")}
	s.loadHistory()

	u := s.client.User()
	version := ""
	if h, err := s.client.Health(context.Background()); err == nil {
		version = " " + h.Version
	}
	fmt.Fprintf(s.p.out, "Connected to KalamDB-Go%s at %s as %s (role %s).\nType \\help for help, \\q to quit.\n\n",
		version, s.client.Base(), u.Username, u.Role)
	s.ensureCatalog()

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
				err := s.interrupts.run(context.Background(), func(ctx context.Context) error {
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
		err = s.interrupts.run(context.Background(), func(ctx context.Context) error {
			return s.runText(ctx, source{line: start}, sql)
		})
		if code, done := s.shellFatal(err); done {
			return code
		}
	}
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
