package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"
)

// cliWait bounds every wait on the kalam process. Tests never assert how
// long anything took; this only keeps a broken client from hanging the run.
const cliWait = 2 * time.Minute

// cli runs the kalam binary against a server, as a user would: its own
// home directory (for ~/.kalam), no KALAMDB_* variables from the test's
// environment.
type cli struct {
	t    *testing.T
	bin  string
	home string
	base string
}

func newCLI(t *testing.T, s *server) *cli {
	t.Helper()
	return &cli{t: t, bin: buildCommand(t, "kalam"), home: t.TempDir(), base: s.base}
}

// cliResult is what one run printed and its exit status.
type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func (c *cli) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KALAMDB_") && !strings.HasPrefix(kv, "HOME=") &&
			!strings.HasPrefix(kv, "COLUMNS=") && !strings.HasPrefix(kv, "NO_COLOR=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "HOME="+c.home), extra...)
}

// command prepares a run with --url pointing at the server unless the
// arguments name a URL themselves.
func (c *cli) command(stdin string, env []string, args ...string) *exec.Cmd {
	hasTarget := false
	for _, a := range args {
		if a == "--url" || a == "-u" {
			hasTarget = true
		}
	}
	if !hasTarget {
		args = append([]string{"--url", c.base}, args...)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env(env...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs kalam to its end.
func (c *cli) run(stdin string, env []string, args ...string) cliResult {
	c.t.Helper()
	cmd := c.command(stdin, env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(cliWait):
		_ = cmd.Process.Kill()
		<-done
		c.t.Fatalf("kalam %v did not end; stdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	}
	r := cliResult{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		c.t.Fatal(err)
	}
	return r
}

// ok runs kalam and requires success.
func (c *cli) ok(stdin string, args ...string) cliResult {
	c.t.Helper()
	r := c.run(stdin, nil, args...)
	if r.code != 0 {
		c.t.Fatalf("kalam %v: %s", args, r)
	}
	return r
}

func TestCLICommandPrintsTypedValuesInEveryFormat(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, body TEXT, doc JSON, at TIMESTAMP, price DECIMAL(10,2));
		INSERT INTO app.t VALUES (1, '', '{"b": 1, "a": [1, 2]}', '2026-12-04 21:46:25.092', 3.5), (2, NULL, NULL, NULL, NULL)`)

	r := k.ok("", "-c", "SELECT id, body, doc, at, price FROM app.t ORDER BY id")
	want := ` id | body | doc               | at                       | price
----+------+-------------------+--------------------------+-------
  1 |      | {"a":[1,2],"b":1} | 2026-12-04T21:46:25.092Z |  3.50
  2 | NULL | NULL              | NULL                     | NULL
(2 rows, `
	if !strings.HasPrefix(r.stdout, want) || !strings.HasSuffix(r.stdout, " ms)\n\n") {
		t.Fatalf("table:\n%s\nwant it to start with:\n%s", r.stdout, want)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Fatalf("colour on a pipe:\n%q", r.stdout)
	}

	r = k.ok("", "--json", "-c", "SELECT id, body, at FROM app.t ORDER BY id; INSERT INTO app.t (id) VALUES (3)")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON line per statement:\n%s", r.stdout)
	}
	var first struct {
		Columns  []struct{ Name, Type string }
		Rows     []map[string]any
		RowCount int `json:"row_count"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("%v: %s", err, lines[0])
	}
	if first.RowCount != 2 || first.Rows[0]["at"] != "2026-12-04T21:46:25.092Z" || first.Rows[0]["body"] != "" ||
		first.Rows[1]["body"] != nil || first.Columns[2].Type != "Timestamp" {
		t.Fatalf("json: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"message":"1 rows affected","row_count":1`) {
		t.Fatalf("json message line: %s", lines[1])
	}

	r = k.ok("", "--csv", "-n", "app", "-c", "SELECT id, body FROM t ORDER BY id")
	if r.stdout != "id,body\r\n1,\"\"\r\n2,\r\n3,\r\n" {
		t.Fatalf("csv with the default namespace: %q", r.stdout)
	}

	// A terminal narrower than the table: every line fits.
	s.ok(root, `INSERT INTO app.t (id, body) VALUES (4, '`+strings.Repeat("long text ", 30)+`')`)
	r = k.run("", []string{"COLUMNS=40"}, "-c", "SELECT id, body, price FROM app.t ORDER BY id")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if w := runewidth.StringWidth(line); w > 40 {
			t.Fatalf("line of width %d in a 40-column terminal:\n%s", w, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "long text long…") {
		t.Fatalf("a wide value must be cut with an ellipsis:\n%s", r.stdout)
	}
}

func TestCLIScriptFileStopsAtTheFailingStatement(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	dir := t.TempDir()
	script := filepath.Join(dir, "setup.sql")
	body := `-- a migration; the comment has a ';'
CREATE NAMESPACE app;
CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT);
INSERT INTO app.t VALUES (1, 'semi;colon'), (2, $$dollar;quoted$$), (3, E'it\'s;');
BEGIN;
INSERT INTO app.t VALUES (4, 'in a block');
COMMIT;
SELECT id,
       v
  FORM app.t;
INSERT INTO app.t VALUES (5, 'never');
`
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := k.run("", nil, "-f", script)
	if r.code != 1 {
		t.Fatalf("want exit 1: %s", r)
	}
	wantLoc := script + ":10:"
	if !strings.Contains(r.stderr, wantLoc) || !strings.Contains(r.stderr, "INVALID_SQL") {
		t.Fatalf("the error must name %s and its code:\n%s", wantLoc, r.stderr)
	}
	if !strings.Contains(r.stderr, "LINE 10:   FORM app.t;") {
		t.Fatalf("the error must show the failing line:\n%s", r.stderr)
	}
	if got := s.ok(root, "SELECT id, v FROM app.t ORDER BY id").rows(t); got != `[[1,"semi;colon"],[2,"dollar;quoted"],[3,"it's;"],[4,"in a block"]]` {
		t.Fatalf("statements before the error ran, the one after did not: %s", got)
	}

	// A file that is not there is a usage error, not a crash.
	if r := k.run("", nil, "-f", filepath.Join(dir, "missing.sql")); r.code != 3 || !strings.Contains(r.stderr, "missing.sql") {
		t.Fatalf("missing file: %s", r)
	}
}

func TestCLIStandardInputRunsStatementsAndCommands(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	r := k.ok("CREATE NAMESPACE app;\n\\use app\nCREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1), (2);\n\\dt\nSELECT count(*) AS n FROM t\n")
	for _, want := range []string{"Namespace app created", "Using namespace app", " app          | t ", " n\n---\n 2\n(1 row, "} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// An error in the middle: stdin:line, non-zero exit, nothing after it.
	r = k.run("SELECT 1;\nSELECT * FROM app.missing;\nINSERT INTO app.t VALUES (3);\n", nil)
	if r.code != 1 || !strings.Contains(r.stderr, "stdin:2: ERROR TABLE_NOT_FOUND") {
		t.Fatalf("stdin error: %s", r)
	}
	if got := s.ok(root, "SELECT count(*) FROM app.t").rows(t); got != "[[2]]" {
		t.Fatalf("the statement after the error ran: %s", got)
	}
	// A meta-command error is a failure too.
	if r := k.run("", nil, "-c", `\nosuch`); r.code != 1 || !strings.Contains(r.stderr, `unknown command \nosuch`) {
		t.Fatalf("unknown command: %s", r)
	}
}

func TestCLISignInFailures(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user")

	r := k.run("", nil, "--user", "alice", "--password", "wrong", "-c", "SELECT 1")
	if r.code != 2 || !strings.Contains(r.stderr, "sign-in failed for alice") || !strings.Contains(r.stderr, "UNAUTHORIZED") || r.stdout != "" {
		t.Fatalf("wrong password: %s", r)
	}
	// The environment supplies the credentials too.
	r = k.run("", []string{"KALAMDB_USER=alice", "KALAMDB_PASSWORD=alice-pw"}, "-c", "SELECT CURRENT_USER() AS me")
	if r.code != 0 || !strings.Contains(r.stdout, " alice\n") {
		t.Fatalf("credentials from the environment: %s", r)
	}
	// An access token instead of a password, and one the server refuses.
	tk := s.login(t, "alice", "alice-pw")
	if r := k.ok("", "--token", tk.AccessToken, "-c", "SELECT CURRENT_USER() AS me"); !strings.Contains(r.stdout, " alice\n") {
		t.Fatalf("--token: %s", r)
	}
	r = k.run("", nil, "--token", "not-a-token", "-c", "SELECT 1")
	if r.code != 2 || !strings.Contains(r.stderr, "access token was refused") {
		t.Fatalf("refused token: %s", r)
	}
	// A server that is not there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	r = k.run("", nil, "--url", dead, "-c", "SELECT 1")
	if r.code != 2 || !strings.Contains(r.stderr, "could not reach the server at "+dead) {
		t.Fatalf("unreachable server: %s", r)
	}
	// A bad flag.
	if r := k.run("", nil, "--no-such-flag"); r.code != 3 {
		t.Fatalf("bad flag: %s", r)
	}
}

func TestCLIStoredInstances(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user")

	k.ok("", "--user", "alice", "--password", "alice-pw", "--instance", "dev", "--save-credentials", "-c", "SELECT 1")
	path := filepath.Join(k.home, ".kalam", "credentials.json")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
	if dst, err := os.Stat(filepath.Dir(path)); err != nil || dst.Mode().Perm() != 0o700 {
		t.Fatalf("~/.kalam: %v %v", dst, err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("alice-pw")) || !bytes.Contains(raw, []byte("refresh_token")) {
		t.Fatalf("the store must hold a refreshable token and never the password:\n%s", raw)
	}

	r := k.ok("", "--list-instances")
	if !strings.Contains(r.stdout, " dev ") || !strings.Contains(r.stdout, s.base) || !strings.Contains(r.stdout, "alice") {
		t.Fatalf("list-instances:\n%s", r.stdout)
	}
	if r := k.ok("", "--instance", "dev", "-c", "SELECT CURRENT_USER() AS me"); !strings.Contains(r.stdout, " alice\n") {
		t.Fatalf("stored instance: %s", r)
	}

	// An expired access token is renewed with the refresh token, and the
	// renewal is stored.
	editInstance(t, path, "dev", func(in map[string]any) {
		in["access_token"] = "expired"
		in["expires_at"] = "2020-01-01T00:00:00Z"
	})
	if r := k.ok("", "--instance", "dev", "-c", "SELECT CURRENT_USER() AS me"); !strings.Contains(r.stdout, " alice\n") {
		t.Fatalf("expired token: %s", r)
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte(`"expired"`)) {
		t.Fatal("the renewed token was not stored")
	}
	// A token the server refuses although it has not expired: renewed too.
	editInstance(t, path, "dev", func(in map[string]any) { in["access_token"] = "forged" })
	if r := k.ok("", "--instance", "dev", "-c", "SELECT 1"); r.code != 0 {
		t.Fatal(r)
	}

	// A session that cannot be renewed: a clear request to sign in again.
	editInstance(t, path, "dev", func(in map[string]any) {
		in["access_token"] = "expired"
		in["expires_at"] = "2020-01-01T00:00:00Z"
		in["refresh_token"] = "revoked"
	})
	r = k.run("", nil, "--instance", "dev", "-c", "SELECT 1")
	if r.code != 2 || !strings.Contains(r.stderr, "sign in again: kalam --instance dev --user alice --update-credentials") {
		t.Fatalf("unrenewable session: %s", r)
	}
	// Signing in again updates the instance.
	k.ok("", "--instance", "dev", "--user", "alice", "--password", "alice-pw", "--update-credentials")
	if r := k.ok("", "--instance", "dev", "-c", "SELECT CURRENT_USER() AS me"); !strings.Contains(r.stdout, " alice\n") {
		t.Fatalf("after update-credentials: %s", r)
	}

	if r := k.run("", nil, "--instance", "nope", "-c", "SELECT 1"); r.code != 3 || !strings.Contains(r.stderr, `no stored credentials for instance "nope"`) {
		t.Fatalf("unknown instance: %s", r)
	}
	k.ok("", "--instance", "dev", "--delete-credentials")
	if r := k.ok("", "--list-instances"); strings.Contains(r.stdout, "dev") {
		t.Fatalf("deleted instance still listed: %s", r)
	}
}

// editInstance changes a stored instance in place, as time or a revocation
// would.
func editInstance(t *testing.T, path, name string, edit func(map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]map[string]map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	edit(f["instances"][name])
	raw, _ = json.Marshal(f)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCLISubscribeStreamsJSONLines(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, at TIMESTAMP); INSERT INTO app.t VALUES (1, 'one', '1970-01-01 00:00:00')")

	cmd := k.command("", nil, "--subscribe", "SELECT id, v, at FROM app.t")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	// Every row carries its _seq (docs/live.md), which kalam prints as it
	// comes: it varies, so it is checked and taken out.
	seqOf := regexp.MustCompile(`,"_seq":[1-9][0-9]*}`)
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("kalam ended early; stderr:\n%s", errOut.String())
			}
			if strings.Contains(l, `"row"`) || strings.Contains(l, `"old"`) {
				if n := strings.Count(l, `"_seq"`); n == 0 || n != len(seqOf.FindAllString(l, -1)) {
					t.Fatalf("a row without its _seq: %s", l)
				}
			}
			return seqOf.ReplaceAllString(l, "}")
		case <-time.After(cliWait):
			t.Fatalf("no line from kalam --subscribe; stderr:\n%s", errOut.String())
		}
		return ""
	}
	for _, want := range []string{
		`{"kind":"initial","row":{"id":1,"v":"one","at":"1970-01-01T00:00:00.000Z"}}`,
		`{"kind":"ready","initial_rows":1}`,
	} {
		if got := next(); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	s.ok(root, "INSERT INTO app.t VALUES (2, 'two', '1970-01-01 00:00:01'); UPDATE app.t SET v = 'uno' WHERE id = 1; DELETE FROM app.t WHERE id = 2")
	for _, want := range []string{
		`{"kind":"insert","row":{"id":2,"v":"two","at":"1970-01-01T00:00:01.000Z"}}`,
		`{"kind":"update","row":{"id":1,"v":"uno","at":"1970-01-01T00:00:00.000Z"},"old":{"id":1,"v":"one","at":"1970-01-01T00:00:00.000Z"}}`,
		`{"kind":"delete","old":{"id":2,"v":"two","at":"1970-01-01T00:00:01.000Z"}}`,
	} {
		if got := next(); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	// Ctrl-C ends the stream cleanly.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after Ctrl-C: %v; stderr:\n%s", err, errOut.String())
		}
	case <-time.After(cliWait):
		t.Fatal("kalam --subscribe did not end after SIGINT")
	}

	// A refused live query is an error with its code.
	r := k.run("", nil, "--subscribe", "SELECT * FROM app.t ORDER BY id")
	if r.code != 1 || !strings.Contains(r.stderr, "UNSUPPORTED") {
		t.Fatalf("refused live query: %s", r)
	}
}

func TestCLIOutputToAClosedPipe(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2), (3)")
	for _, args := range [][]string{
		{"-c", "SELECT id FROM app.t; SELECT id FROM app.t"},
		{"--subscribe", "SELECT id FROM app.t"},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before the first line
		cmd := k.command("", nil, args...)
		cmd.Stdout = w
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(cliWait):
			_ = cmd.Process.Kill()
			t.Fatalf("%v: kalam kept running with its output closed", args)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			// Killed by SIGPIPE would be ExitCode -1.
			t.Fatalf("%v: want exit status 1, got %v; stderr:\n%s", args, err, errOut.String())
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%v: killed by %v", args, ws.Signal())
		}
		if !strings.Contains(errOut.String(), "could not write the output") {
			t.Fatalf("%v: stderr:\n%s", args, errOut.String())
		}
	}
}

func TestCLIMetaCommands(t *testing.T) {
	s := startServer(t, t.TempDir())
	k := newCLI(t, s)
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1); CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user")
	script := `\info
\dn
\du
\stats
\stats app.t
\health
\flush app.t
\jobs 5
\sessions
\as alice INSERT INTO app.t VALUES (7);
\as alice SELECT id, CURRENT_USER() AS who FROM app.t;
\timing off
SELECT 1 AS one;
\format csv
SELECT 2 AS two;
`
	r := k.ok(script)
	for _, want := range []string{
		"User:      root (id root, role system)",
		" app          |", // \dn
		" alice    | user ",
		" namespaces   |", " tables       |", // \stats
		" app          | t          |", // \stats app.t
		"healthy, version",
		" flush-", // \flush and \jobs
		" live_id | user_id",
		"(1 row, as alice, ",
		" 7 | alice\n",
		" one\n-----\n   1\n(1 row)\n",
		"two\r\n2\r\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// \as wrote into alice's partition, not root's.
	if got := s.ok(root, "SELECT id FROM app.t ORDER BY id").rows(t); got != "[[1]]" {
		t.Fatalf("root's partition: %s", got)
	}
}
