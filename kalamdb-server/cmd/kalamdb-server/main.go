// Command kalamdb-server runs the KalamDB database server: SQL over HTTP
// (POST /v1/api/sql) with data in RocksDB, configured by server.toml and
// KALAMDB_* environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/app"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2) // the flag set has said what was wrong, and the usage
	}
	if !opts.version {
		if err := execWithRuntimeSettings(os.Environ()); err != nil {
			fmt.Fprintln(os.Stderr, "kalamdb-server: running without the runtime settings:", err)
		}
	}
	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "kalamdb-server:", err)
		os.Exit(1)
	}
}

// options are the command line's.
type options struct {
	configPath string
	version    bool
}

// parseFlags parses the command line with a flag set of its own: the
// process-wide one also holds the flags vitess registers when it is
// imported (MySQL's authentication files and client certificates), which
// mean nothing here and must not be offered to a user.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("kalamdb-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configPath, "config", "", "path of server.toml (default: $KALAMDB_CONFIG, else none)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return o, fs.Parse(args)
}

func run(opts options) error {
	if opts.version {
		fmt.Println(app.Version)
		return nil
	}
	cfg, err := config.LoadFromEnvironment(opts.configPath)
	if err != nil {
		return err
	}
	if err := config.EnsureJWTSecret(cfg); err != nil {
		return err
	}
	log, err := app.NewLogger(cfg.Logging, "")
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing useful to do if stderr is gone
	applyHeapLimit(cfg, os.Getenv("GOMEMLIMIT"), debug.SetMemoryLimit, log)

	srv := app.New(cfg, log)
	ctx, cancel := context.WithTimeout(context.Background(), app.DefaultStopTimeout)
	err = srv.Start(ctx)
	cancel()
	if err != nil {
		return err
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	got := <-sig
	log.Info("shutting down", zap.String("signal", got.String()))
	ctx, cancel = context.WithTimeout(context.Background(), app.DefaultStopTimeout)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// applyHeapLimit sets the runtime's soft memory limit the configuration
// asks for (config.HeapLimit) with set, and logs the limit the process
// runs with.
func applyHeapLimit(cfg *config.Config, goMemLimit string, set func(int64) int64, log *zap.Logger) {
	limit, ok := cfg.HeapLimit(goMemLimit)
	if ok {
		set(limit)
	}
	// set(-1) reads the limit without changing it.
	log.Info("heap limit", zap.Int64("heap_limit_bytes", set(-1)), zap.Bool("from_config", ok))
}

// runtimeSetting keeps the Go runtime's monitor thread (sysmon) from
// sleeping until the next system call whenever every processor is idle.
// A server answering one request at a time is idle between requests, so
// each request's first system call woke the monitor (a futex wake on the
// request's path) and the monitor then ran every 20 µs until the server
// was idle again: a fifth of the server's CPU and two more thread
// switches per request on this machine (docs/performance.md, "The
// runtime's monitor"). With it the monitor backs off to one wake-up every
// 10 ms and stays there while requests come one at a time. The runtime
// has no other switch for this: schedtrace's period (ms, the largest the
// runtime takes, ~24.8 days) is what keeps the monitor awake, and the
// scheduler line it prints at most once a period goes to standard error.
const runtimeSetting = "schedtrace"

const runtimeSettingValue = "2147483647"

// execWithRuntimeSettings replaces the process with itself, run with
// runtimeEnv's environment, when that differs from env: the runtime
// reads GODEBUG only at start. It returns only when it did not exec.
func execWithRuntimeSettings(env []string) error {
	env, changed := runtimeEnv(env)
	if !changed {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, env)
}

// runtimeEnv is env with runtimeSetting added to its GODEBUG, and whether
// it added it: not when GODEBUG names the setting already, so that an
// operator's own value, 0 included, wins.
func runtimeEnv(env []string) ([]string, bool) {
	godebug, at := "", -1
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug, at = v, i
		}
	}
	for _, field := range strings.Split(godebug, ",") {
		if k, _, _ := strings.Cut(field, "="); strings.TrimSpace(k) == runtimeSetting {
			return env, false
		}
	}
	setting := runtimeSetting + "=" + runtimeSettingValue
	if godebug != "" {
		setting = godebug + "," + setting
	}
	env = slices.Clone(env)
	if at >= 0 {
		env[at] = "GODEBUG=" + setting
	} else {
		env = append(env, "GODEBUG="+setting)
	}
	return env, true
}
