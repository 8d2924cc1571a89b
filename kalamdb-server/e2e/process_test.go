package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildServer builds cmd/kalamdb-server (once, see buildCommand), with the race
// detector: the process tests (crashes, SIGTERM, the soak) run the real
// binary under concurrent load, where a data race would show, and
// startProcess fails the test on any race the binary reports.
func buildServer(t *testing.T) string {
	return buildCommand(t, "kalamdb-server")
}

// builtCommands holds the programs of cmd/ built for this test binary,
// each built on first use and shared by every test after it: the sources
// do not change while the tests run, and linking a race-detector build
// took seconds for each of the 27 tests that asked for one. TestMain
// removes dir.
var builtCommands struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// buildCommand builds the program cmd/<name>, with the race detector,
// once for the test binary and returns its path. A test runs the binary
// and never changes it; each gets its own data and home directories.
func buildCommand(t *testing.T, name string) string {
	t.Helper()
	b := &builtCommands
	b.mu.Lock()
	defer b.mu.Unlock()
	if bin, ok := b.bins[name]; ok {
		return bin
	}
	if b.dir == "" {
		dir, err := os.MkdirTemp("", "kalamdb-e2e-bin-")
		if err != nil {
			t.Fatal(err)
		}
		b.dir, b.bins = dir, map[string]string{}
	}
	bin := filepath.Join(b.dir, name)
	cmd := exec.Command("go", "build", "-race", "-o", bin, "github.com/kalamdb/kalamdb-go/kalamdb-server/cmd/"+name)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	b.bins[name] = bin
	return bin
}

// removeBuiltCommands removes what buildCommand built.
func removeBuiltCommands() {
	if builtCommands.dir != "" {
		_ = os.RemoveAll(builtCommands.dir)
	}
}

// serverProcess is the real binary running as a child process.
type serverProcess struct {
	cmd   *exec.Cmd
	base  string
	lines chan string
	done  chan error
}

// startProcess runs the server binary over dataDir on a free port and waits
// for its "listening" log line.
func startProcess(t *testing.T, bin, dataDir string, env ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"KALAMDB_SERVER_PORT=0", "KALAMDB_DATA_DIR=" + dataDir,
		"KALAMDB_LOG_FORMAT=json", "KALAMDB_LOG_LEVEL=info", "KALAMDB_AUTH_BCRYPT_COST=4"}, env...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, lines: make(chan string, 1000), done: make(chan error, 1)}
	addr := make(chan string, 1)
	var races raceReports
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			races.scan(line)
			var entry struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "kalamdb-server listening" {
				addr <- entry.Addr
			}
			select {
			case p.lines <- line:
			default:
			}
		}
		p.done <- cmd.Wait()
		close(p.lines)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		// The scanner has read all of stderr once done was sent.
		if r := races.report(); r != "" {
			t.Errorf("the server binary reported a data race:\n%s", r)
		}
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case err := <-p.done:
		t.Fatalf("server exited before listening: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start listening within two minutes")
	}
	return p
}

// raceReports collects the race detector's reports from a process's
// stderr: from "WARNING: DATA RACE" to the closing line of '=' signs.
type raceReports struct {
	mu    sync.Mutex
	in    bool
	lines []string
}

func (r *raceReports) scan(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case strings.HasPrefix(line, "WARNING: DATA RACE"):
		r.in = true
	case r.in && strings.HasPrefix(line, "=================="):
		r.in = false
		r.lines = append(r.lines, line)
	}
	if r.in && len(r.lines) < 400 {
		r.lines = append(r.lines, line)
	}
}

func (r *raceReports) report() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// terminate sends SIGTERM and checks that the process exits with status 0
// and logs a clean stop, failing the test if it has not exited within
// bound.
func (p *serverProcess) terminate(t *testing.T, bound time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-p.done:
	case <-time.After(bound):
		t.Fatalf("server did not exit within %s of SIGTERM", bound)
	}
	var logs []string
	for l := range p.lines {
		logs = append(logs, l)
	}
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v; the server logged:\n%s", err, strings.Join(logs, "\n"))
	}
	if !strings.Contains(strings.Join(logs, "\n"), "stopped cleanly") {
		t.Fatalf("no clean-stop log line:\n%s", strings.Join(logs, "\n"))
	}
}

// postDying posts a statement that makes the server exit at an armed
// failpoint (a job it starts reaches it): the process may be gone before
// it answers, so whether and what it answers is not checked;
// waitFailpointExit checks how it ended.
func (p *serverProcess) postDying(c creds, sqlText string) {
	body, _ := json.Marshal(map[string]any{"sql": sqlText})
	req, err := http.NewRequest(http.MethodPost, p.base+"/v1/api/sql", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, c.password)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// waitFailpointExit waits for the server to exit at an armed failpoint
// (KALAMDB_FAILPOINT), which exits with status 99.
func (p *serverProcess) waitFailpointExit(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 99 {
			t.Fatalf("server exit: %v, want the failpoint's status 99", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the failpoint was not reached")
	}
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir)
	// The binary has replaced itself with itself, run with its runtime
	// setting (cmd/kalamdb-server, runtimeSetting); the process is the
	// one started, so signals reach it.
	p.wantGODEBUG(t, "schedtrace=2147483647")
	s := &server{t: t, base: p.base}
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)")
	p.terminate(t, time.Minute)
	// The data is there after a restart of the binary; an operator's own
	// value of the setting is kept.
	p = startProcess(t, bin, dir, "GODEBUG=schedtrace=0")
	p.wantGODEBUG(t, "schedtrace=0")
	s = &server{t: t, base: p.base}
	if got := s.ok(root, "SELECT id FROM app.t").rows(t); got != `[[1]]` {
		t.Fatalf("after restart: %s", got)
	}
}

// wantGODEBUG checks the GODEBUG the running process was started with
// (Linux: its /proc environ).
func (p *serverProcess) wantGODEBUG(t *testing.T, want string) {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc environ here: %v", err)
	}
	var got []string
	for _, kv := range bytes.Split(raw, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("GODEBUG=")); ok {
			got = append(got, string(v))
		}
	}
	if len(got) != 1 || !slices.Contains(strings.Split(got[0], ","), want) {
		t.Fatalf("the server runs with GODEBUG %q, want one naming %s", got, want)
	}
}

func TestRootPasswordFromEnvironment(t *testing.T) {
	bin := buildServer(t)
	p := startProcess(t, bin, t.TempDir(), "KALAMDB_ROOT_PASSWORD=s3cret-root")
	s := &server{t: t, base: p.base}
	s.fail(root, http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
	s.fail(basic("root", "wrong"), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
	s.ok(basic("root", "s3cret-root"), "SELECT 1")
}
