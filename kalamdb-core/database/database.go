// Package database assembles KalamDB's core (catalog, query engine and
// statement executor) over an open store, as a library constructor and as
// an fx module, so a server, a test or an embedding program builds the
// database the same way.
package database

import (
	"context"
	"fmt"

	"go.uber.org/fx"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Config configures the core.
type Config struct {
	NodeID       int64
	RootPassword string
	BcryptCost   int
	// StorageDir is the base directory of the 'local' storage.
	StorageDir string
	Limits     executor.Limits
	// DisableFastPath sends every statement through the query planner.
	DisableFastPath bool
}

// Database is the assembled core.
type Database struct {
	Catalog  *catalog.Catalog
	Engine   *engine.Engine
	Executor *executor.Executor
}

// Open builds the core over an open store.
func Open(db *kv.DB, cfg Config) (*Database, error) {
	cat, err := catalog.Open(db, catalog.Options{RootPassword: cfg.RootPassword, BcryptCost: cfg.BcryptCost,
		LocalStoragePath: cfg.StorageDir})
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	eng, err := engine.New(cat, engine.Options{NodeID: cfg.NodeID, DisableFastPath: cfg.DisableFastPath})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	return &Database{Catalog: cat, Engine: eng, Executor: executor.New(cat, eng, cfg.Limits)}, nil
}

// Close stops the core; the store is closed by its owner afterwards.
func (d *Database) Close() error { return d.Engine.Close() }

// Module provides *Database, *catalog.Catalog and *executor.Executor from
// a *kv.DB and a Config.
var Module = fx.Module("database",
	fx.Provide(
		func(lc fx.Lifecycle, db *kv.DB, cfg Config) (*Database, error) {
			d, err := Open(db, cfg)
			if err != nil {
				return nil, err
			}
			lc.Append(fx.Hook{OnStop: func(context.Context) error { return d.Close() }})
			return d, nil
		},
		func(d *Database) *catalog.Catalog { return d.Catalog },
		func(d *Database) *executor.Executor { return d.Executor },
	),
)
