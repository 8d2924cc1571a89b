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
