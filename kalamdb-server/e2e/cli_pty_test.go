package e2e_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptySession drives kalam's interactive shell through a pseudo-terminal,
// as a person at a terminal would: it types, and waits for text to appear
// on the screen. Every wait is for an event (text printed) under the
// generous cliWait; nothing is timed.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  strings.Builder // everything the shell printed, escapes included
	seen int             // the plain transcript up to here has been matched
	more chan struct{}   // signalled on every read
	done chan error
}

// ansi matches the terminal escape sequences the line editor and the
// colours use, so that the transcript can be matched as plain text.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func (k *cli) startShell(t *testing.T, args ...string) *ptySession {
	t.Helper()
	cmd := exec.Command(k.bin, append([]string{"--url", k.base}, args...)...)
	cmd.Env = k.env("TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	p := &ptySession{t: t, cmd: cmd, tty: tty, more: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
			if err != nil {
				p.done <- cmd.Wait()
				close(p.more)
				return
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
		tty.Close()
	})
	return p
}

// plain is the transcript without escape sequences and carriage returns.
func (p *ptySession) plain() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.ReplaceAll(ansi.ReplaceAllString(p.out.String(), ""), "\r", "")
}

func (p *ptySession) raw() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// expect waits until text appears after what earlier expectations matched.
func (p *ptySession) expect(text string) {
	p.t.Helper()
	p.expectOneOf(text)
}

// expectOneOf waits until one of texts appears after what earlier
// expectations matched, and returns the one that appeared first.
func (p *ptySession) expectOneOf(texts ...string) string {
	p.t.Helper()
	deadline := time.After(cliWait)
	for {
		s := p.plain()[p.seen:]
		first, at := "", -1
		for _, text := range texts {
			if i := strings.Index(s, text); i >= 0 && (at < 0 || i < at) {
				first, at = text, i
			}
		}
		if at >= 0 {
			p.seen += at + len(first)
			return first
		}
		select {
		case _, ok := <-p.more:
			if !ok {
				p.t.Fatalf("the shell ended while waiting for one of %q; transcript:\n%s", texts, p.plain())
			}
		case <-deadline:
			p.t.Fatalf("none of %q on the screen; transcript:\n%s", texts, p.plain())
		}
	}
}

// typeText sends keys to the terminal.
func (p *ptySession) typeText(keys string) {
	p.t.Helper()
	if _, err := io.WriteString(p.tty, keys); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the shell to exit and returns its exit status.
func (p *ptySession) wait() int {
	p.t.Helper()
	for {
		select {
		case err := <-p.done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode()
			}
			if err != nil {
				p.t.Fatal(err)
			}
			return 0
		case <-p.more:
		case <-time.After(cliWait):
			p.t.Fatalf("the shell did not exit; transcript:\n%s", p.plain())
		}
	}
}

const (
	keyUp    = "\x1b[A"
	keyCtrlC = "\x03"
	keyCtrlD = "\x04"
	keyCtrlR = "\x12"
	keyTab   = "\t"
	keyEnter = "\r"
)

func TestCLIInteractiveSession(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	// Rows for a statement that runs long enough to be cancelled: a
	// four-way cross join of 200 rows is 1.6e9 rows.
	var values []string
	for i := 0; i < 200; i++ {
		values = append(values, "("+strconv.Itoa(i)+")")
	}
	s.ok(root, "CREATE NAMESPACE bench; CREATE TABLE bench.nums (n INT PRIMARY KEY); INSERT INTO bench.nums VALUES "+strings.Join(values, ","))
	host := strings.TrimPrefix(s.base, "http://")
	prompt := "root@" + host

	p := k.startShell(t, "--loading-threshold-ms", "0")
	p.expect("as root (role system)")
	p.expect(prompt + "=> ")

	// Typing, and a statement over several lines.
	p.typeText("CREATE NAMESPACE app;" + keyEnter)
	p.expect("Namespace app created")
	p.typeText("CREATE TABLE app.items (" + keyEnter)
	p.expect(prompt + "-> ")
	p.typeText("  id BIGINT PRIMARY KEY," + keyEnter)
	p.expect(prompt + "-> ")
	p.typeText("  name TEXT);" + keyEnter)
	p.expect("Table app.items created")
	p.typeText("INSERT INTO app.items (id, name) VALUES (1, 'one');" + keyEnter)
	p.expect("1 rows affected")

	// \use puts the namespace in the prompt; \dt and \d.
	p.typeText(`\use app` + keyEnter)
	p.expect(prompt + "/app=> ")
	p.typeText(`\dt` + keyEnter)
	p.expect(" app          | items ")
	p.expect(prompt + "/app=> ")
	p.typeText(`\d items` + keyEnter)
	p.expect(" column_name | data_type |")
	p.expect(" name        | TEXT      |")
	p.expect(prompt + "/app=> ")
	if !strings.Contains(p.raw(), "\x1b[1m") {
		t.Fatal("no colour on a terminal")
	}

	// Tab completes a table of the current namespace.
	p.typeText("SELECT name FROM ite" + keyTab)
	p.expect("SELECT name FROM items")
	p.typeText(";" + keyEnter)
	p.expect(" one\n(1 row, ")
	p.expect(prompt + "/app=> ")

	// The history: Up recalls the last statement.
	p.typeText(keyUp + keyEnter)
	p.expect(" one\n(1 row, ")
	p.expect(prompt + "/app=> ")
	// Ctrl-R finds an older one.
	p.typeText(keyCtrlR + "CREATE NAMESPACE")
	p.expect("(reverse-i-search)")
	p.typeText(keyEnter)
	p.expect("ALREADY_EXISTS")
	p.expect(prompt + "/app=> ")

	// Ctrl-C cancels a long statement and not the shell.
	p.typeText("SELECT count(*) FROM bench.nums a, bench.nums b, bench.nums c, bench.nums d;" + keyEnter)
	p.expect("Ctrl-C to cancel")
	p.typeText(keyCtrlC)
	p.expect("Cancelled.")
	p.expect(prompt + "/app=> ")
	p.typeText("SELECT 1 AS alive;" + keyEnter)
	p.expect(" alive\n")
	p.expect(prompt + "/app=> ")

	// Ctrl-C at the prompt drops a half-typed statement.
	p.typeText("SELECT" + keyEnter)
	p.expect(prompt + "/app-> ")
	p.typeText(keyCtrlC)
	p.expect(prompt + "/app=> ")

	// A live query gets a row another client inserts.
	p.typeText(`\subscribe SELECT id, name FROM app.items` + keyEnter)
	p.expect(" 1 | one")
	p.expect("waiting for changes")
	s.ok(root, "INSERT INTO app.items (id, name) VALUES (2, 'two')")
	p.expect("insert  id=2, name=two")
	p.typeText(keyCtrlC)
	p.expect("Live query stopped.")
	p.expect(prompt + "/app=> ")

	p.typeText(`\history` + keyEnter)
	p.expect("CREATE TABLE app.items ( id BIGINT PRIMARY KEY, name TEXT);")
	p.typeText(`\q` + keyEnter)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status %d; transcript:\n%s", code, p.plain())
	}

	// The history was kept, private, and a new session searches it.
	hist := filepath.Join(k.home, ".kalam", "history")
	st, err := os.Stat(hist)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("history file: %v %v", st, err)
	}
	p = k.startShell(t)
	p.expect(prompt + "=> ")
	p.typeText(keyCtrlR + "AS alive" + keyEnter)
	p.expect(" alive\n")
	p.expect(prompt + "=> ")
	p.typeText(keyCtrlD)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status after Ctrl-D %d; transcript:\n%s", code, p.plain())
	}
}

// TestCLICtrlCRightAfterEnter types Ctrl-C the moment the line editor
// has taken a line (its newline is on the screen) and before the next
// prompt is ready: the moment the shell is between two prompts. Ctrl-C
// there must still drop the half-typed statement. The shell used to leave
// the terminal turning Ctrl-C into SIGINT in that moment, which the shell
// ignores between statements, so the statement was kept. The next
// statement tells which happened: it runs alone, or the kept "SELECT"
// makes it a syntax error. Many rounds make the moment likely to be hit.
func TestCLICtrlCRightAfterEnter(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	prompt := "root@" + strings.TrimPrefix(s.base, "http://")
	p := k.startShell(t)
	p.expect(prompt + "=> ")
	for i := 0; i < 40; i++ {
		p.typeText("SELECT")
		p.expect("SELECT")
		p.typeText(keyEnter)
		p.expect("\n")
		p.typeText(keyCtrlC)
		p.typeText("SELECT " + strconv.Itoa(i) + " AS probe;" + keyEnter)
		if got := p.expectOneOf("(1 row", "ERROR"); got != "(1 row" {
			t.Fatalf("round %d: Ctrl-C right after Enter did not drop the statement; transcript:\n%s", i, p.plain())
		}
		p.expect(prompt + "=> ")
	}
	p.typeText(`\q` + keyEnter)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status %d; transcript:\n%s", code, p.plain())
	}
}

func TestCLIPasswordPromptDoesNotEcho(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'secret-pw-42' ROLE user")
	p := k.startShell(t, "--user", "alice")
	p.expect("Password for alice: ")
	p.typeText("secret-pw-42" + keyEnter)
	p.expect("as alice (role user)")
	p.expect("alice@" + strings.TrimPrefix(s.base, "http://") + "=> ")
	if strings.Contains(p.raw(), "secret-pw-42") {
		t.Fatalf("the password was echoed:\n%s", p.plain())
	}
	p.typeText(`\q` + keyEnter)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status %d", code)
	}

	// A wrong password typed at the prompt: exit 2, nothing echoed.
	p = k.startShell(t, "--user", "alice")
	p.expect("Password for alice: ")
	p.typeText("wrong-pw-17" + keyEnter)
	p.expect("sign-in failed for alice")
	if code := p.wait(); code != 2 {
		t.Fatalf("exit status %d, want 2", code)
	}
	if strings.Contains(p.raw(), "wrong-pw-17") {
		t.Fatalf("the password was echoed:\n%s", p.plain())
	}
}
