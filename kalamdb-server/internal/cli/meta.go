package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// metaCommand is a backslash command.
type metaCommand struct {
	names []string
	args  string
	help  string
	run   func(ctx context.Context, s *session, arg string) error
}

// metaCommands lists the commands in the order \help shows them. KalamDB's
// CLI names are kept (with their aliases) so its documentation works here;
// \dn, \du, \jobs, \use, \timing and \i come from psql.
func metaCommands() []metaCommand {
	return []metaCommand{
		{[]string{`\help`, `\?`}, "", "show this help", metaHelp},
		{[]string{`\quit`, `\q`}, "", "leave the shell (also Ctrl-D, exit, quit)", func(context.Context, *session, string) error { return errQuit }},
		{[]string{`\info`, `\session`}, "", "show the server, user, namespace and settings", metaInfo},
		{[]string{`\dt`, `\tables`}, "[ns]", "list tables, of one namespace or all", sqlOrArg("SHOW TABLES", "SHOW TABLES IN ")},
		{[]string{`\d`, `\describe`}, "[table]", "describe a table (without a name: list tables)", sqlOrArg("SHOW TABLES", "DESCRIBE TABLE ")},
		{[]string{`\dn`, `\namespaces`}, "", "list namespaces", sqlCommand("SHOW NAMESPACES")},
		{[]string{`\du`, `\users`}, "", "list users", sqlCommand("SELECT user_id, username, role, email, created_at, last_seen FROM system.users ORDER BY username")},
		{[]string{`\jobs`}, "[n]", "list the newest jobs (default 20)", metaJobs},
		{[]string{`\sessions`}, "", "list active live queries (subscriptions)", sqlCommand("SELECT live_id, user_id, namespace_id, table_name, query, created_at, changes FROM system.live_queries ORDER BY created_at")},
		{[]string{`\stats`, `\metrics`}, "[table]", "server counts, or a table's hot and cold statistics", sqlOrArg(serverCounts, "SHOW STATS FOR TABLE ")},
		{[]string{`\health`}, "", "check the server's health", metaHealth},
		{[]string{`\flush`}, "[table]", "flush every table (or one) to cold storage", sqlOrArg("STORAGE FLUSH ALL", "STORAGE FLUSH TABLE ")},
		{[]string{`\use`}, "[ns]", "set the default namespace (without a name: show it)", metaUse},
		{[]string{`\as`}, "<user> <SQL>", "run one statement as another user (EXECUTE AS USER)", metaAs},
		{[]string{`\subscribe`, `\watch`, `\live`}, "<SELECT>", "run a live query: its rows, then every change, until Ctrl-C", metaSubscribe},
		{[]string{`\unsubscribe`, `\unwatch`}, "", "(a live query ends with Ctrl-C)", func(context.Context, *session, string) error {
			return errors.New("no live query is running; one ends with Ctrl-C")
		}},
		{[]string{`\format`}, "[table|json|csv]", "set the output format (without one: show it)", metaFormat},
		{[]string{`\timing`}, "[on|off]", "show the time of each statement (default on)", metaTiming},
		{[]string{`\i`, `\include`}, "<file>", "run a file of SQL and commands", metaInclude},
		{[]string{`\refresh`, `\refresh-tables`}, "", "reload the names used by Tab completion", metaRefresh},
		{[]string{`\history`, `\h`}, "[n]", "show the last n statements (default 50)", metaHistory},
		{[]string{`\show-credentials`, `\credentials`}, "", "show the stored credentials of this instance", metaShowCredentials},
		{[]string{`\delete-credentials`}, "", "delete the stored credentials of this instance", metaDeleteCredentials},
	}
}

// meta runs one backslash command line.
func (s *session) meta(ctx context.Context, line string) error {
	name, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	lower := strings.ToLower(name)
	for _, c := range metaCommands() {
		for _, n := range c.names {
			if n == lower {
				return c.run(ctx, s, arg)
			}
		}
	}
	return fmt.Errorf("unknown command %s (\\help lists the commands)", name)
}

func metaHelp(_ context.Context, s *session, _ string) error {
	var b strings.Builder
	b.WriteString("Statements end with ';' and may span lines; a BEGIN ... COMMIT block is sent when it ends.\n")
	b.WriteString("Tab completes keywords and names, Ctrl-R searches the history, Ctrl-C cancels.\n\n")
	cmds := metaCommands()
	width := 0
	heads := make([]string, len(cmds))
	for i, c := range cmds {
		heads[i] = strings.Join(c.names, ", ")
		if c.args != "" {
			heads[i] += " " + c.args
		}
		width = max(width, len(heads[i]))
	}
	for i, c := range cmds {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, heads[i], c.help)
	}
	_, err := fmt.Fprint(s.p.out, b.String())
	return err
}

func metaInfo(ctx context.Context, s *session, _ string) error {
	u := s.client.User()
	server := s.client.Base()
	if h, err := s.client.Health(ctx); err == nil {
		server += fmt.Sprintf(" (%s, version %s, API %s)", h.Status, h.Version, h.APIVersion)
	} else {
		server += " (unreachable: " + err.Error() + ")"
	}
	t := s.client.Tokens()
	auth := "access token"
	if !t.AccessExpiresAt.IsZero() {
		auth += ", expires " + t.AccessExpiresAt.UTC().Format(time.RFC3339)
	}
	if t.Refresh != "" {
		auth += ", renewed automatically until " + t.RefreshExpiresAt.UTC().Format(time.RFC3339)
	}
	ns := s.namespace
	if ns == "" {
		ns = "(none)"
	}
	instance := s.instance
	if _, ok, _ := s.store.Get(s.instance); ok {
		instance += " (stored in " + s.store.Path() + ")"
	} else {
		instance += " (not stored)"
	}
	lines := [][2]string{
		{"Server", server},
		{"User", fmt.Sprintf("%s (id %s, role %s)", u.Username, u.ID, u.Role)},
		{"Namespace", ns},
		{"Auth", auth},
		{"Instance", instance},
		{"Format", fmt.Sprintf("%s, timing %s, colour %s", s.p.format, onOff(s.p.timing), onOff(s.p.color))},
	}
	if s.shell != nil {
		lines = append(lines, [2]string{"History", s.shell.historyPath})
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-10s %s\n", l[0]+":", l[1])
	}
	_, err := fmt.Fprint(s.p.out, b.String())
	return err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// sqlCommand is a command that runs fixed SQL.
func sqlCommand(sql string) func(context.Context, *session, string) error {
	return func(ctx context.Context, s *session, arg string) error {
		if arg != "" {
			return fmt.Errorf("takes no argument")
		}
		return s.runSQL(ctx, sql)
	}
}

// sqlOrArg is a command that runs one statement without an argument, and
// another, followed by the argument, with one.
func sqlOrArg(without, with string) func(context.Context, *session, string) error {
	return func(ctx context.Context, s *session, arg string) error {
		if arg == "" {
			return s.runSQL(ctx, without)
		}
		return s.runSQL(ctx, with+arg)
	}
}

func metaJobs(ctx context.Context, s *session, arg string) error {
	n, err := countArg(arg, 20, "jobs")
	if err != nil {
		return err
	}
	return s.runSQL(ctx, fmt.Sprintf("SELECT job_id, job_type, status, namespace_id, table_name, rows_processed, created_at, finished_at, error_message FROM system.jobs ORDER BY created_at DESC LIMIT %d", n))
}

// serverCounts is what \stats shows without a table.
const serverCounts = `SELECT 'namespaces' AS metric, count(*) AS value FROM system.namespaces
UNION ALL SELECT 'tables', count(*) FROM system.tables
UNION ALL SELECT 'users', count(*) FROM system.users
UNION ALL SELECT 'storages', count(*) FROM system.storages
UNION ALL SELECT 'live_queries', count(*) FROM system.live_queries
UNION ALL SELECT 'jobs_running', count(*) FROM system.jobs WHERE status = 'running'
UNION ALL SELECT 'jobs_queued', count(*) FROM system.jobs WHERE status = 'queued'
UNION ALL SELECT 'jobs_failed', count(*) FROM system.jobs WHERE status = 'failed'`

func metaHealth(ctx context.Context, s *session, _ string) error {
	start := time.Now()
	h, err := s.client.Health(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.p.out, "%s: %s, version %s, API %s (%s)\n", s.client.Base(), h.Status, h.Version, h.APIVersion,
		formatMillisTook(float64(time.Since(start).Microseconds())/1000))
	return err
}

func metaUse(ctx context.Context, s *session, arg string) error {
	if arg == "" {
		ns := s.namespace
		if ns == "" {
			ns = "(none)"
		}
		_, err := fmt.Fprintln(s.p.out, "Namespace:", ns)
		return err
	}
	// The server checks that the namespace exists.
	return s.runSQL(ctx, "USE "+arg)
}

func metaAs(ctx context.Context, s *session, arg string) error {
	user, sql, ok := strings.Cut(arg, " ")
	sql = strings.TrimRight(strings.TrimSpace(sql), "; \t")
	if !ok || user == "" || sql == "" {
		return errors.New(`usage: \as <user> <SQL>`)
	}
	user = strings.Trim(user, `'"`)
	return s.runSQL(ctx, fmt.Sprintf("EXECUTE AS USER '%s' (%s)", strings.ReplaceAll(user, "'", "''"), sql))
}

func metaSubscribe(ctx context.Context, s *session, arg string) error {
	err := s.subscribe(ctx, arg, false)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Ctrl-C is how a live query ends.
		return nil
	}
	return err
}

func metaFormat(_ context.Context, s *session, arg string) error {
	if arg == "" {
		_, err := fmt.Fprintln(s.p.out, "Format:", s.p.format)
		return err
	}
	f, err := parseFormat(arg)
	if err != nil {
		return err
	}
	s.p.format = f
	return nil
}

func metaTiming(_ context.Context, s *session, arg string) error {
	switch strings.ToLower(arg) {
	case "":
		s.p.timing = !s.p.timing
	case "on":
		s.p.timing = true
	case "off":
		s.p.timing = false
	default:
		return fmt.Errorf("want on or off, not %q", arg)
	}
	_, err := fmt.Fprintln(s.p.out, "Timing is", onOff(s.p.timing)+".")
	return err
}

func metaInclude(ctx context.Context, s *session, arg string) error {
	if arg == "" {
		return errors.New(`usage: \i <file>`)
	}
	return s.runFile(ctx, arg)
}

func metaRefresh(ctx context.Context, s *session, _ string) error {
	if err := s.catalog.load(ctx, s); err != nil {
		return err
	}
	ns, tables, cols := s.catalog.counts()
	_, err := fmt.Fprintf(s.p.out, "Completion knows %s, %s and %s.\n", plural(int64(ns), "namespace"), plural(int64(tables), "table"), plural(int64(cols), "column"))
	return err
}

func metaHistory(_ context.Context, s *session, arg string) error {
	if s.shell == nil {
		return errors.New("there is a history in the interactive shell only")
	}
	n, err := countArg(arg, 50, "entries")
	if err != nil {
		return err
	}
	h := s.shell.history
	first := max(len(h)-n, 0)
	var b strings.Builder
	for i := first; i < len(h); i++ {
		fmt.Fprintf(&b, "%5d  %s\n", i+1, sanitize(h[i]))
	}
	_, err = fmt.Fprint(s.p.out, b.String())
	return err
}

// countArg reads the optional count of \jobs and \history.
func countArg(arg string, def int, what string) (int, error) {
	if arg == "" {
		return def, nil
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a number of %s, not %q", what, arg)
	}
	return n, nil
}

func metaShowCredentials(_ context.Context, s *session, _ string) error {
	in, ok, err := s.store.Get(s.instance)
	if err != nil {
		return err
	}
	if !ok {
		_, err := fmt.Fprintf(s.p.out, "No stored credentials for instance %q.\n", s.instance)
		return err
	}
	_, err = fmt.Fprintf(s.p.out, "Instance %q: %s as %s, token %s, renewable until %s (%s)\n",
		s.instance, in.URL, in.Username, maskToken(in.AccessToken), sessionEnd(in), s.store.Path())
	return err
}

func metaDeleteCredentials(_ context.Context, s *session, _ string) error {
	ok, err := s.store.Delete(s.instance)
	if err != nil {
		return err
	}
	s.client.OnTokens(nil)
	msg := fmt.Sprintf("Deleted the stored credentials of instance %q.", s.instance)
	if !ok {
		msg = fmt.Sprintf("No stored credentials for instance %q.", s.instance)
	}
	_, err = fmt.Fprintln(s.p.out, msg)
	return err
}
