package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-runewidth"
)

// source names where a text comes from, for error messages.
type source struct {
	name string // a file name, "stdin", or "" (a command, the shell)
	line int    // the line of the text's first line; 0 for SQL the client wrote
}

// runScript runs SQL and \commands read line by line, as a file, standard
// input or -c gives them. It stops at the first error, which it reports
// with its file and line. Statements left without a ';' at the end run.
func (s *session) runScript(ctx context.Context, name string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf stmtBuffer
	lineNo := 0
	for {
		line, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return &usageError{msg: fmt.Sprintf("reading %s: %v", displayName(name), rerr)}
		}
		if line != "" || rerr == nil {
			lineNo++
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if err := s.feedLine(ctx, &buf, name, line, lineNo); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if buf.empty() {
		return nil
	}
	text, start := buf.take()
	return s.runText(ctx, source{name: name, line: start}, text)
}

func displayName(name string) string {
	if name == "" {
		return "the command"
	}
	return name
}

// feedLine takes one line of a script: a \command when no statement is
// pending, else part of a statement, run once complete.
func (s *session) feedLine(ctx context.Context, buf *stmtBuffer, name, line string, lineNo int) error {
	if buf.empty() {
		if cmd := strings.TrimSpace(line); strings.HasPrefix(cmd, `\`) {
			return s.runMeta(ctx, source{name: name, line: lineNo}, cmd)
		}
	}
	buf.add(line, lineNo)
	if !buf.complete() {
		return nil
	}
	text, start := buf.take()
	return s.runText(ctx, source{name: name, line: start}, text)
}

// runMeta runs a \command and reports its failure.
func (s *session) runMeta(ctx context.Context, src source, cmd string) error {
	err := s.meta(ctx, cmd)
	if err == nil || errors.Is(err, errQuit) {
		return err
	}
	var r *reported
	if errors.As(err, &r) {
		return err
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintln(s.stderr, "Cancelled.")
		return &reported{err}
	}
	var oe *outputError
	if errors.As(err, &oe) {
		return err
	}
	prefix := ""
	if src.name != "" {
		prefix = fmt.Sprintf("%s:%d: ", src.name, src.line)
	}
	name, _, _ := strings.Cut(cmd, " ")
	fmt.Fprintf(s.stderr, "%s%s\n", prefix, styled(s.p.errColor, styleRed, name+": "+s.describe(err)))
	return &reported{err}
}

// runText runs complete statements: one request per statement, one per
// transaction block.
func (s *session) runText(ctx context.Context, src source, text string) error {
	for _, rq := range planRequests(text) {
		if err := s.runRequest(ctx, src, text, rq); err != nil {
			return err
		}
	}
	return nil
}

// runSQL runs SQL the client wrote itself (for a \command).
func (s *session) runSQL(ctx context.Context, sql string) error {
	return s.runText(ctx, source{}, sql)
}

func (s *session) runRequest(ctx context.Context, src source, text string, rq request) error {
	stop := s.startSpinner()
	resp, err := s.client.SQL(ctx, text[rq.start:rq.end], s.namespace)
	stop()
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			fmt.Fprintln(s.stderr, styled(s.p.errColor, styleYel, "Cancelled."))
			return &reported{err}
		}
		s.reportSQLError(src, text, rq, err)
		return &reported{err}
	}
	me := s.client.User().Username
	for i := range resp.Results {
		took := -1.0
		if i == len(resp.Results)-1 {
			took = resp.Took
		}
		if err := s.p.result(&resp.Results[i], took, me); err != nil {
			return err
		}
	}
	for _, seg := range rq.segments {
		if ns, ok := usedNamespace(seg.Text); ok {
			s.namespace = ns
		}
		if changesSchema(seg.Text) {
			s.catalog.markStale()
		}
	}
	return nil
}

// maxContextRunes bounds the source line shown under an error.
const maxContextRunes = 100

// reportSQLError writes a refused statement's code and message to stderr,
// prefixed with file:line:column in a script, and followed by the line
// with a caret under the error when the server gave a position.
func (s *session) reportSQLError(src source, text string, rq request, err error) {
	pos, known := positionOf(err)
	var loc location
	if known {
		loc = locate(text, src.line, rq.start+pos.Position-1)
	} else {
		loc = locate(text, src.line, rq.start)
	}
	var b strings.Builder
	if src.name != "" {
		fmt.Fprintf(&b, "%s:%d:", src.name, loc.line)
		if known {
			fmt.Fprintf(&b, "%d:", loc.column)
		}
		b.WriteByte(' ')
	}
	b.WriteString(styled(s.p.errColor, styleRed, s.describe(err)))
	b.WriteByte('\n')
	if known && src.line > 0 {
		label := fmt.Sprintf("LINE %d: ", loc.line)
		line, caret := contextLine(loc.text, loc.column)
		b.WriteString(label + line + "\n")
		b.WriteString(strings.Repeat(" ", runewidth.StringWidth(label)+caret) + "^\n")
	}
	_, _ = io.WriteString(s.stderr, b.String())
}

// contextLine cuts a long source line to a window around column (1-based)
// and returns it with the display offset of that column.
func contextLine(line string, column int) (string, int) {
	runes := []rune(line)
	col := min(max(column-1, 0), len(runes))
	start, end := 0, len(runes)
	prefix, suffix := "", ""
	if len(runes) > maxContextRunes {
		start = max(col-maxContextRunes/2, 0)
		end = min(start+maxContextRunes, len(runes))
		if start > 0 {
			prefix = ellipsis
		}
		if end < len(runes) {
			suffix = ellipsis
		}
	}
	shown := prefix + sanitize(string(runes[start:end])) + suffix
	return shown, runewidth.StringWidth(prefix + sanitize(string(runes[start:col])))
}

// startSpinner shows, on the interactive shell and after the loading
// threshold, that a statement is running and how to cancel it; stop clears
// it.
func (s *session) startSpinner() (stop func()) {
	if !s.spinner {
		return func() {}
	}
	var mu sync.Mutex
	shown, stopped := false, false
	show := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		shown = true
		fmt.Fprint(s.stderr, styled(s.p.errColor, styleDim, "Running… (Ctrl-C to cancel)"))
	}
	var timer *time.Timer
	if s.opts.LoadingThreshold <= 0 {
		show()
	} else {
		timer = time.AfterFunc(s.opts.LoadingThreshold, show)
	}
	return func() {
		if timer != nil {
			timer.Stop()
		}
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if shown {
			fmt.Fprint(s.stderr, "\r\x1b[K")
		}
	}
}
