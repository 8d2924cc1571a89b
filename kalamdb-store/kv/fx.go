package kv

import (
	"context"

	"go.uber.org/fx"
)

// Config says where the DB lives and how it writes.
type Config struct {
	Dir string
	Options
}

// Module provides the *DB for a Config supplied by the application and
// closes it when the application stops (after every module that depends on
// it has stopped, since fx runs stop hooks in reverse order).
var Module = fx.Module("kv", fx.Provide(provideDB))

func provideDB(lc fx.Lifecycle, cfg Config) (*DB, error) {
	db, err := Open(cfg.Dir, cfg.Options)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.Hook{OnStop: func(context.Context) error { return db.Close() }})
	return db, nil
}
