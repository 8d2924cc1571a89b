// Command kalamdb-server runs the KalamDB database server: SQL over HTTP
// (POST /v1/api/sql) with data in RocksDB, configured by server.toml and
// KALAMDB_* environment variables.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/app"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kalamdb-server:", err)
		os.Exit(1)
	}
}

func run() error {
	configPath := flag.String("config", "", "path of server.toml (default: $KALAMDB_CONFIG, else none)")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println(app.Version)
		return nil
	}
	cfg, err := config.LoadFromEnvironment(*configPath)
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
