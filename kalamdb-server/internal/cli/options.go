package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultURL is the server a bare `kalam` talks to.
const DefaultURL = "http://127.0.0.1:8080"

// defaultInstance is the name credentials are stored under without
// --instance.
const defaultInstance = "local"

// Options are the command-line settings.
type Options struct {
	URL      string
	Host     string
	Port     int
	User     string
	Password string
	Token    string

	Instance          string
	SaveCredentials   bool
	UpdateCredentials bool
	ShowCredentials   bool
	DeleteCredentials bool
	ListInstances     bool

	Namespace string
	Command   string
	File      string
	Subscribe string

	Format    Format
	NoColor   bool
	NoSpinner bool
	// LoadingThreshold is how long a statement runs before the shell says
	// it is running and how to cancel it.
	LoadingThreshold time.Duration
	Timeout          time.Duration
	ConnectTimeout   time.Duration

	// set records which flags were given, to tell a default from a choice.
	set map[string]bool
}

// given reports whether any of the named flags was on the command line.
func (o *Options) given(names ...string) bool {
	for _, n := range names {
		if o.set[n] {
			return true
		}
	}
	return false
}

// errHelp is returned when --help was asked for; usage has been printed.
var errHelp = flag.ErrHelp

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const usageText = `kalam is the command-line client of KalamDB-Go.

Usage:
  kalam [flags]                    interactive shell (statements end with ';', \help lists commands)
  kalam -c "SQL"                   run SQL (or one \command) and exit
  kalam -f file.sql                run a file and exit
  kalam < file.sql                 run SQL from standard input
  kalam --subscribe "SELECT ..."   stream a live query's rows and changes as JSON lines

Connection:
  -u, --url URL             server URL (default ` + DefaultURL + `, or the stored instance's)
  -H, --host HOST           server host (with --port, instead of --url)
  -p, --port PORT           server port (default 8080)
  -U, --user NAME           user name (default $KALAMDB_USER, else root)
      --password PASSWORD   password (default $KALAMDB_PASSWORD; asked for on a terminal)
      --token JWT           an access token instead of a user name and password
  -n, --namespace NS        default namespace for unqualified table names
      --timeout SECONDS     limit on each request (default 300; 0: none)
      --connection-timeout SECONDS  limit on connecting (default 10)

Stored credentials (in ~/.kalam/credentials.json, a token pair, never the password):
      --instance NAME       the instance to use or save (default local)
      --save-credentials    save the session's tokens under --instance after signing in
      --update-credentials  sign in, save the tokens under --instance, and exit
      --show-credentials    show what is stored for --instance
      --delete-credentials  delete what is stored for --instance
      --list-instances      list the stored instances

Output:
      --format FORMAT       table (default), json or csv
      --json, --csv         shorthand for --format json / csv
      --no-color            no colour (colour is used only on a terminal, and never with $NO_COLOR)
      --no-spinner          do not show that a statement is running
      --loading-threshold-ms N  show a running statement after N ms (default 200)

Exit status: 0 success, 1 a statement or command failed, 2 could not connect or
sign in, 3 bad usage or an unreadable file, 130 interrupted.
`

// parseOptions reads the command line. getenv supplies KALAMDB_USER and
// KALAMDB_PASSWORD.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*Options, error) {
	o := &Options{set: map[string]bool{}}
	fs := flag.NewFlagSet("kalam", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	str := func(p *string, def, help string, names ...string) {
		for _, n := range names {
			fs.StringVar(p, n, def, help)
		}
	}
	boolean := func(p *bool, help string, names ...string) {
		for _, n := range names {
			fs.BoolVar(p, n, false, help)
		}
	}
	var format string
	var asJSON, asCSV bool
	var threshold, timeout, connTimeout float64
	str(&o.URL, "", "server URL", "url", "u")
	str(&o.Host, "", "server host", "host", "H")
	fs.IntVar(&o.Port, "port", 0, "server port")
	fs.IntVar(&o.Port, "p", 0, "server port")
	str(&o.User, "", "user name", "user", "U")
	str(&o.Password, "", "password", "password")
	str(&o.Token, "", "access token", "token")
	str(&o.Instance, defaultInstance, "instance", "instance")
	boolean(&o.SaveCredentials, "save credentials", "save-credentials")
	boolean(&o.UpdateCredentials, "update credentials", "update-credentials")
	boolean(&o.ShowCredentials, "show credentials", "show-credentials")
	boolean(&o.DeleteCredentials, "delete credentials", "delete-credentials")
	boolean(&o.ListInstances, "list instances", "list-instances")
	str(&o.Namespace, "", "namespace", "namespace", "n")
	str(&o.Command, "", "command", "command", "c")
	str(&o.File, "", "file", "file", "f")
	str(&o.Subscribe, "", "live query", "subscribe")
	str(&format, string(FormatTable), "format", "format")
	boolean(&asJSON, "json", "json")
	boolean(&asCSV, "csv", "csv")
	boolean(&o.NoColor, "no color", "no-color")
	boolean(&o.NoSpinner, "no spinner", "no-spinner")
	fs.Float64Var(&threshold, "loading-threshold-ms", 200, "ms")
	fs.Float64Var(&timeout, "timeout", 300, "seconds")
	fs.Float64Var(&connTimeout, "connection-timeout", 10, "seconds")
	var help bool
	boolean(&help, "help", "help", "h")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usageText)
			return nil, errHelp
		}
		return nil, usagef("%v (kalam --help lists the flags)", err)
	}
	if help {
		fmt.Fprint(stderr, usageText)
		return nil, errHelp
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: SQL goes after -c, a file after -f", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { o.set[canonicalFlag(f.Name)] = true })

	var err error
	switch {
	case asJSON && asCSV:
		return nil, usagef("--json and --csv exclude each other")
	case asJSON:
		o.Format = FormatJSON
	case asCSV:
		o.Format = FormatCSV
	default:
		if o.Format, err = parseFormat(format); err != nil {
			return nil, usagef("--format: %v", err)
		}
	}
	if o.given("command") && o.File != "" {
		return nil, usagef("-c and -f exclude each other")
	}
	if o.Subscribe != "" && (o.given("command") || o.File != "") {
		return nil, usagef("--subscribe runs on its own, not with -c or -f")
	}
	if o.Token != "" && (o.User != "" || o.Password != "") {
		return nil, usagef("--token excludes --user and --password")
	}
	for name, v := range map[string]float64{"--loading-threshold-ms": threshold, "--timeout": timeout, "--connection-timeout": connTimeout} {
		if v < 0 || math.IsNaN(v) {
			return nil, usagef("%s must be a number, not negative", name)
		}
	}
	o.LoadingThreshold = durationOf(threshold, time.Millisecond)
	o.Timeout = durationOf(timeout, time.Second)
	o.ConnectTimeout = durationOf(connTimeout, time.Second)
	if o.Instance == "" {
		return nil, usagef("--instance needs a name")
	}
	if o.User == "" {
		o.User = getenv("KALAMDB_USER")
		o.set["user-env"] = o.User != ""
	}
	if o.Password == "" && o.Token == "" {
		o.Password = getenv("KALAMDB_PASSWORD")
		if o.Password != "" {
			o.set["password"] = true
		}
	}
	if o.given("url") {
		if o.URL, err = normalizeURL(o.URL); err != nil {
			return nil, usagef("--url: %v", err)
		}
	} else if o.given("host", "port") {
		host := o.Host
		if host == "" {
			host = "127.0.0.1"
		}
		port := o.Port
		if port == 0 {
			port = 8080
		}
		if port < 1 || port > 65535 {
			return nil, usagef("--port %d is not a port", port)
		}
		o.URL = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	}
	return o, nil
}

// canonicalFlag maps a short flag to its long name.
func canonicalFlag(name string) string {
	switch name {
	case "u":
		return "url"
	case "H":
		return "host"
	case "p":
		return "port"
	case "U":
		return "user"
	case "n":
		return "namespace"
	case "c":
		return "command"
	case "f":
		return "file"
	}
	return name
}

// normalizeURL accepts host:port alone as http://host:port and drops a
// trailing slash.
func normalizeURL(u string) (string, error) {
	u = strings.TrimSpace(u)
	if u == "" {
		return "", errors.New("empty URL")
	}
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", fmt.Errorf("%q: want an http:// or https:// URL", u)
	}
	return strings.TrimRight(u, "/"), nil
}

// durationOf is v units, at most the largest Duration: past it (inf,
// 1e12 seconds) the float converts to the int64 minimum, a negative
// limit, and --connection-timeout 1e12 failed every connection at once.
func durationOf(v float64, unit time.Duration) time.Duration {
	if f := v * float64(unit); f < float64(math.MaxInt64) {
		return time.Duration(f)
	}
	return math.MaxInt64
}
