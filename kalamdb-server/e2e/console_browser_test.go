package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// The admin console, driven in a real headless Chromium (Debian's
// chromium, which `make deps` installs) against the real server. Every
// wait is for a condition in the page, under one generous deadline per
// test; nothing asserts how long anything took.

// browserDeadline bounds one browser test, only so a broken page cannot
// hang the run.
const browserDeadline = 4 * time.Minute

// ScreenshotEnv, when set to 1, makes TestConsoleInBrowser write its
// screenshot to docs/img/console.png (README shows it); otherwise it goes
// to the test's temporary directory.
const screenshotEnv = "KALAMDB_UPDATE_SCREENSHOT"

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; `make deps` (scripts/install-deps.sh) installs it")
	}
	t.Skip("chromium is not installed; run `make deps` to install it")
	return ""
}

// page is one isolated browser context (its own cookies and storage) with
// one tab, and what the page reported: CSP violations and exceptions.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
}

// newBrowser starts Chromium for the test and returns its context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserDeadline)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// newPage opens a tab in a fresh browser context of browser.
func newPage(t *testing.T, browser context.Context, base string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, base: base}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			p.report("exception: " + e.ExceptionDetails.Text + " " + exceptionDescription(e.ExceptionDetails))
		case *cdplog.EventEntryAdded:
			if e.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				p.report("security: " + e.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p.do(cdpDo(cdplog.Enable, cdp.Empty{}), cdpDo(runtime.Enable, cdp.Empty{}))
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, pr := range p.problems {
			t.Errorf("the page reported: %s", pr)
		}
	})
	return p
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// cdpDo is an action sending one protocol command.
func cdpDo[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, params)
		return err
	})
}

func (p *page) report(s string) {
	p.mu.Lock()
	p.problems = append(p.problems, s)
	p.mu.Unlock()
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v\npage text: %s", err, p.bodyText())
	}
}

// bodyText is the page's text, for failure messages (best effort).
func (p *page) bodyText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

func tid(id string) string { return fmt.Sprintf(`[data-testid="%s"]`, id) }

func (p *page) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + path))
}

// waitFor waits until the JavaScript expression is truthy.
func (p *page) waitFor(expr string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserDeadline)))
	if err != nil {
		p.t.Fatalf("waiting for %s: %v\npage text: %s", expr, err, p.bodyText())
	}
}

// waitText waits until the element sel exists and its text contains want.
func (p *page) waitText(sel, want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, want))
}

// waitGone waits until no element matches sel.
func (p *page) waitGone(sel string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`document.querySelector(%q) === null`, sel))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func evalIn[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, func(ep *runtime.EvaluateParams) { ep.AwaitPromise = new(true) }))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

func (p *page) fill(sel, value string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(kb.ModifierCtrl)), chromedp.KeyEvent("\b"),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

// setSQL replaces the editor's text, as typing would.
func (p *page) setSQL(sql string) {
	p.t.Helper()
	p.do(
		chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(kb.ModifierCtrl)),
		chromedp.KeyEvent("\b"),
		cdpDo(input.InsertText, input.InsertTextParams{Text: sql}),
	)
	if doc := evalIn[string](p, `document.querySelector(".cm-content").innerText`); strings.TrimSpace(doc) != sql {
		p.t.Fatalf("editor holds %q, want %q", doc, sql)
	}
}

// query runs sql in the studio and waits for an answer (a result or an
// error).
func (p *page) query(sql string) {
	p.t.Helper()
	p.setSQL(sql)
	p.click(tid("run"))
	p.waitFor(`!!document.querySelector('[data-testid="took"], [data-testid="sql-error"]') && !document.querySelector('[data-testid="run"][aria-busy="true"]')`)
}

func (p *page) login(user, password string) {
	p.t.Helper()
	p.fill(tid("login-user"), user)
	p.fill(tid("login-password"), password)
	p.click(tid("login-submit"))
}

// consoleServer starts a server for browser tests: root without a
// password, so the first-run set-up is offered.
func consoleServer(t *testing.T, mutate ...func(*config.Config)) *server {
	t.Helper()
	return startServer(t, t.TempDir(), mutate...)
}

func TestConsoleInBrowser(t *testing.T) {
	browser := newBrowser(t)
	s := consoleServer(t)
	p := newPage(t, browser, s.base)

	// First run: the set-up page, then the sign-in form.
	p.open("/ui")
	p.waitText(tid("setup-form"), "Set up KalamDB")
	p.fill(tid("setup-root-password"), "root-pw")
	p.fill(tid("setup-user"), "admin")
	p.fill(tid("setup-password"), "admin-pw")
	p.click(tid("setup-submit"))
	p.waitText(tid("login-notice"), "Setup complete")
	rootPw := basic("root", "root-pw")
	if r := s.sql(root, "SELECT 1"); r.httpStatus != 401 {
		t.Fatalf("root without a password after set-up: %s", r)
	}
	if r := s.do("GET", "/v1/api/auth/status", nil, nil); !strings.Contains(r.raw, `"needs_setup":false`) {
		t.Fatalf("status after set-up: %s", r)
	}

	// A wrong password is refused and says so.
	p.login("admin", "wrong")
	p.waitText(tid("sql-error"), "UNAUTHORIZED")
	p.waitText(tid("login-form"), "Sign in")

	p.login("admin", "admin-pw")
	p.waitText(tid("whoami"), "admin")

	// A query and its grid: typed values, exact BIGINT, text never HTML.
	s.ok(rootPw, "CREATE NAMESPACE app")
	s.ok(rootPw, "CREATE SHARED TABLE app.items (id BIGINT PRIMARY KEY, name TEXT, doc JSON, at TIMESTAMP) WITH (ACCESS_LEVEL = 'PUBLIC')")
	s.ok(rootPw, `INSERT INTO app.items VALUES (9007199254740993, '<img src=x onerror="window.__xss=1">', '{"a":{"b":[1,2,3]},"note":"a long enough document to fold"}', '2026-01-01 00:00:00'), (2, 'plain', NULL, NULL)`)
	p.do(chromedp.Reload())
	p.waitText(tid("whoami"), "admin")
	p.query("SELECT * FROM app.items ORDER BY id")
	p.waitText(tid("grid-count"), "2 rows")
	grid := p.text(tid("grid"))
	for _, want := range []string{"9007199254740993", `<img src=x onerror="window.__xss=1">`, "2026-01-01 00:00:00.000 UTC", "NULL", "BigInt", "Json"} {
		if !strings.Contains(grid, want) {
			t.Fatalf("grid lacks %q:\n%s", want, grid)
		}
	}
	if evalIn[bool](p, `!!document.querySelector('[data-testid="grid"] img') || window.__xss === 1`) {
		t.Fatal("a value was rendered as HTML")
	}

	// Sorting: the header sorts by the column, BIGINT numerically.
	p.click(tid("grid") + " th:first-child")
	p.click(tid("grid") + " th:first-child")
	if first := evalIn[string](p, `document.querySelector('[data-testid="grid"] tbody tr td').innerText`); first != "9007199254740993" {
		t.Fatalf("descending sort puts %q first", first)
	}

	// Run the selection only: the second line of two statements.
	p.setSQL("SELECT 'first' AS a;\nSELECT 'second' AS b")
	p.do(chromedp.KeyEvent(kb.Escape), chromedp.KeyEvent(kb.Home, chromedp.KeyModifiers(kb.ModifierShift)))
	p.click(tid("run"))
	p.waitText(tid("grid"), "second")
	if res := p.text(tid("results")); strings.Contains(res, "first") || !strings.Contains(res, "1 statement in") {
		t.Fatalf("running the selection showed:\n%s", res)
	}

	// An error shows its code, message and position.
	p.query("SELECT 1;\nSELEC 2")
	p.waitText(tid("sql-error"), "INVALID_SQL")
	p.waitText(tid("error-position"), "line 2, column 1")

	// A huge result is capped, not frozen.
	p.query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 150) SELECT a.n AS x, b.n AS y FROM r a, r b")
	p.waitText(tid("grid-count"), "Showing the first 10,000 of 22,500 rows")
	p.waitText(tid("grid-page"), "page 1 of 100")

	// The history keeps what ran.
	p.click(tid("history-toggle"))
	p.waitText(tid("history"), "SELECT * FROM app.items ORDER BY id")

	// Create and drop a table from the tables page.
	p.click(tid("nav-browse"))
	p.click(tid("new-table"))
	p.fill(tid("create-table-name"), "notes")
	p.click(tid("create-table-submit"))
	p.waitText(tid("table-detail"), "notes")
	p.waitText(tid("columns"), "created_at")
	if r := s.ok(rootPw, "SELECT table_type FROM system.tables WHERE namespace_id = 'app' AND table_name = 'notes'"); r.rows(t) != `[["USER"]]` {
		t.Fatalf("created table: %s", r)
	}
	p.click(tid("table-detail") + " details.danger summary")
	p.fill(tid("drop-confirm"), "app.notes")
	p.click(tid("drop-table"))
	p.waitGone(tid("table-app.notes"))
	if r := s.ok(rootPw, "SELECT table_name FROM system.tables WHERE namespace_id = 'app' AND table_name = 'notes'"); r.rows(t) != `null` && r.rows(t) != `[]` {
		t.Fatalf("dropped table still listed: %s", r)
	}

	// Flush, and watch the job complete.
	p.click(tid("table-app.items"))
	p.waitText(tid("table-stats"), "hot rows")
	p.click(tid("flush"))
	p.waitText(tid("job-status"), "completed")
	if r := s.ok(rootPw, "SELECT status FROM system.jobs WHERE job_type = 'flush'"); r.rows(t) != `[["completed"]]` {
		t.Fatalf("flush job: %s", r)
	}

	// Storages and their manifest: the file the flush wrote.
	p.click(tid("nav-storages"))
	p.click(tid("manifest-local"))
	p.waitText(tid("manifest"), "batch-1-") // batch 1, its name tagged

	// Users: create one, change its role, delete it; not yourself.
	p.click(tid("nav-users"))
	p.fill(tid("new-user-name"), "carol")
	p.fill(tid("new-user-password"), "carol-pw")
	p.click(tid("create-user-submit"))
	p.waitText(tid("notice"), "User carol created.")
	p.waitText(tid("users"), "carol")
	p.click(tid("role-user-carol"))
	evalIn[chromedp.Void](p, `(() => { const s = document.querySelector('[data-testid="edit-role"]');
		s.value = 'service'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`)
	p.click(tid("edit-apply"))
	p.waitText(tid("notice"), "carol is now service.")
	if r := s.ok(rootPw, "SELECT role FROM system.users WHERE username = 'carol'"); r.rows(t) != `[["service"]]` {
		t.Fatalf("role change: %s", r)
	}
	if !evalIn[bool](p, `document.querySelector('[data-testid="delete-user-admin"]').disabled`) {
		t.Fatal("the signed-in user may delete itself")
	}
	p.click(tid("delete-user-carol"))
	p.click(tid("delete-user-carol"))
	p.waitText(tid("notice"), "User carol deleted.")
	if r := s.ok(rootPw, "SELECT count(*) FROM system.users WHERE username = 'carol'"); r.rows(t) != `[[0]]` {
		t.Fatalf("deleted user: %s", r)
	}

	// A live subscription receives a row inserted over HTTP.
	p.click(tid("nav-live"))
	p.fill(tid("live-sql"), "SELECT id, name FROM app.items")
	p.click(tid("live-subscribe"))
	p.waitText(tid("live-status"), "live")
	p.waitText(tid("live"), "plain")
	s.ok(rootPw, "INSERT INTO app.items (id, name) VALUES (3, 'arrived over HTTP')")
	p.waitText(tid("live"), "arrived over HTTP")
	p.waitText(tid("live-events"), "1 changes")
	// A DELETE over HTTP takes the row out of the grid, whose query has no
	// key column: the delete's old row carries the DELETE's _seq, not the
	// one of the row the grid holds.
	s.ok(rootPw, "DELETE FROM app.items WHERE id = 3")
	p.waitText(tid("live-events"), "2 changes")
	p.waitFor(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.innerText.includes("arrived over HTTP"); })()`, tid("live")))
	s.ok(rootPw, "INSERT INTO app.items (id, name) VALUES (3, 'arrived over HTTP')") // as the rest expects
	p.waitText(tid("live"), "arrived over HTTP")
	// Two equal rows of the grid (a query without the key), deleted by one
	// DELETE: each delete takes one of them out, not the one already
	// leaving twice.
	p.fill(tid("live-sql"), "SELECT name FROM app.items WHERE name = 'twin'")
	p.click(tid("live-subscribe"))
	p.waitText(tid("live-status"), "live")
	s.ok(rootPw, "INSERT INTO app.items (id, name) VALUES (10, 'twin'), (11, 'twin')")
	p.waitText(tid("live-events"), "2 changes")
	s.ok(rootPw, "DELETE FROM app.items WHERE name = 'twin'")
	p.waitText(tid("live-events"), "4 changes")
	p.waitFor(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.innerText.includes("twin"); })()`, tid("live")))
	p.fill(tid("live-sql"), "SELECT id, name FROM app.items")
	p.click(tid("live-subscribe"))
	p.waitText(tid("live"), "arrived over HTTP")

	// The server goes away: a banner; it comes back: the page reconnects
	// and subscribes again.
	s = s.restartSamePortWhile(func() {
		p.waitText(tid("banner"), "cannot be reached")
		p.waitText(tid("live-status"), "reconnecting")
	})
	rootPw = basic("root", "root-pw")
	p.waitGone(tid("banner"))
	p.waitText(tid("live-status"), "live")
	s.ok(rootPw, "INSERT INTO app.items (id, name) VALUES (4, 'after the restart')")
	p.waitText(tid("live"), "after the restart")

	// Live queries, with kill: killing this page's own subscription
	// ends it with KILLED.
	p.click(tid("nav-live-queries"))
	p.waitText(tid("live-queries"), "system.live_queries")
	evalIn[bool](p, `(() => { for (const tr of document.querySelectorAll('[data-testid="live-queries"] tbody tr')) {
		if (tr.innerText.includes('system.live_queries')) { tr.querySelector('button').click(); return true } } return false })()`)
	p.waitText(tid("live-queries-error"), "KILLED")

	// Jobs, live.
	p.click(tid("nav-jobs"))
	p.waitText(tid("jobs"), "flush")
	p.waitText(tid("jobs"), "completed")

	// Dashboard.
	p.click(tid("nav-dashboard"))
	p.waitText(tid("version"), "0.")
	p.waitText(tid("cold-rows"), "2")

	// Silent refresh: the access cookie gone, the next request renews the
	// session from the refresh cookie and succeeds.
	p.click(tid("nav-studio"))
	p.do(cdpDo(network.DeleteCookies, network.DeleteCookiesParams{Name: "kalamdb_session", URL: s.base + "/"}))
	p.query("SELECT 'still signed in' AS msg")
	p.waitText(tid("grid"), "still signed in")

	// An expired session: back to the sign-in page, the editor's text kept.
	p.setSQL("SELECT 'my unsaved draft' AS draft")
	p.do(cdpDo(network.ClearBrowserCookies, cdp.Empty{}))
	p.click(tid("run"))
	p.waitText(tid("login-notice"), "expired")
	p.login("admin", "admin-pw")
	p.waitText(tid("whoami"), "admin")
	p.waitText(".cm-content", "my unsaved draft")

	// The screenshot README shows.
	p.setSQL("SELECT * FROM app.items ORDER BY id")
	p.do(chromedp.KeyEvent(kb.Escape)) // closes the completion list typing opened
	p.waitGone(".cm-tooltip-autocomplete")
	p.click(tid("run"))
	p.waitText(tid("grid-count"), "4 rows")
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "console.png")
	if os.Getenv(screenshotEnv) == "1" {
		out = filepath.Join("..", "..", "docs", "img", "console.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}

	// Logout clears the session.
	p.click(tid("logout"))
	p.waitText(tid("login-form"), "Sign in")
	if status := evalIn[int](p, `fetch("/v1/api/auth/me", {headers: {"X-KalamDB-Session": "cookie"}}).then(r => r.status)`); status != 401 {
		t.Fatalf("/me after logout: HTTP %d", status)
	}

	// A user-role account is refused by the console.
	s.ok(rootPw, "CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user")
	p.login("alice", "alice-pw")
	p.waitText(tid("sql-error"), "PERMISSION_DENIED")
	p.waitText(tid("sql-error"), "for dba and system users")
	p.waitText(tid("login-form"), "Sign in")
	cookies, err := chromedp.Run(p.ctx, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies.Cookies {
		if c.Name == "kalamdb_session" || c.Name == "kalamdb_refresh" {
			t.Fatalf("a refused login set cookie %s", c.Name)
		}
	}
}

// restartSamePortWhile stops the server, runs while (the page noticing),
// and starts it again on the same port over the same data.
func (s *server) restartSamePortWhile(while func()) *server {
	s.t.Helper()
	addr := s.srv.Addr().String()
	cfg := *s.cfg
	s.stop()
	while()
	_, port, _ := strings.Cut(addr, ":")
	n := 0
	if _, err := fmt.Sscan(port, &n); err != nil {
		s.t.Fatal(err)
	}
	return startServer(s.t, s.dir, func(c *config.Config) { *c = cfg; c.Server.Port = n })
}
