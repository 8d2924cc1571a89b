// Package database assembles KalamDB's core (catalog, query engine and
// statement executor) over an open store, as a library constructor and as
// an fx module, so a server, a test or an embedding program builds the
// database the same way.
package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/fx"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Config configures the core.
type Config struct {
	NodeID int64
	// NodeName is the node id shown in system.jobs and live queries.
	NodeName     string
	RootPassword string
	BcryptCost   int
	// StorageDir is the base directory of the 'local' storage.
	StorageDir string
	// DataDir is the directory holding the server's own files; no storage
	// may be it or contain it (the RocksDB directory is protected anyway).
	DataDir string
	// StorageRoots are where CREATE/ALTER STORAGE may put a filesystem
	// storage; relative PATHs resolve against the first. Empty: anywhere
	// that overlaps neither the server's directories nor another storage.
	StorageRoots []string
	Limits       executor.Limits
	// StatementLimits bound the time and memory of every statement.
	StatementLimits engine.Limits
	// DisableFastPath sends every statement through the query planner.
	DisableFastPath bool
	// JobWorkers bounds concurrent background jobs (0: 2).
	JobWorkers int
	// DefaultFlush is the flush policy of tables without FLUSH_POLICY.
	DefaultFlush tier.FlushPolicy
	// FlushCheckInterval is how often flush policies are checked (0: the
	// policy loop does not run; tests call RunFlushPolicies themselves).
	FlushCheckInterval time.Duration
	// Failpoint is called at each crash point of flush and compaction
	// (crash tests only).
	Failpoint func(point string)
	// StorageFaults injects storage failures (tests only).
	StorageFaults *cold.Faults
	// ObsoleteFileGrace is how long files replaced by a compaction stay
	// for statements already reading them (0: the engine's default).
	ObsoleteFileGrace time.Duration
}

// Database is the assembled core.
type Database struct {
	Catalog  *catalog.Catalog
	Tier     *tier.Manager
	Engine   *engine.Engine
	Executor *executor.Executor
	Jobs     *jobs.Manager
	// Interrupted are the jobs a crash left unfinished; Start retries them.
	interrupted []*systable.Job
	cfg         Config
	stopPolicy  context.CancelFunc
	policyDone  chan struct{}
}

// Open builds the core over an open store.
func Open(db *kv.DB, cfg Config) (*Database, error) {
	cat, err := catalog.Open(db, catalog.Options{RootPassword: cfg.RootPassword, BcryptCost: cfg.BcryptCost,
		LocalStoragePath: cfg.StorageDir, Storage: catalog.StorageRules{DataDir: cfg.DataDir, AllowedRoots: cfg.StorageRoots}})
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	jm, interrupted, err := jobs.Open(db, jobs.Options{NodeID: cfg.NodeName, Workers: cfg.JobWorkers})
	if err != nil {
		return nil, fmt.Errorf("open jobs: %w", err)
	}
	locks := txn.NewLocks()
	tabs := tables.NewRegistry(db, cat)
	tm, err := tier.Open(db, cat, tabs, tier.Options{Jobs: jm, Locks: locks, Failpoint: cfg.Failpoint,
		DefaultFlush: cfg.DefaultFlush, StorageFaults: cfg.StorageFaults, ObsoleteFileGrace: cfg.ObsoleteFileGrace})
	if err != nil {
		return nil, fmt.Errorf("open tiers: %w", err)
	}
	eng, err := engine.New(engine.Deps{DB: db, Catalog: cat, Tables: tabs, Tier: tm, Locks: locks,
		SystemTables: []systable.SQLTable{jm.Table(), tm.ManifestTable()}},
		engine.Options{NodeID: cfg.NodeID, DisableFastPath: cfg.DisableFastPath, Limits: cfg.StatementLimits})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	x := executor.New(executor.Deps{Catalog: cat, Engine: eng, Tier: tm, Jobs: jm}, cfg.Limits)
	return &Database{Catalog: cat, Tier: tm, Engine: eng, Executor: x, Jobs: jm, interrupted: interrupted, cfg: cfg}, nil
}

// Start starts the background work: the job workers, then the retry of
// jobs a crash interrupted.
func (d *Database) Start() error {
	d.Jobs.Start()
	if err := d.Tier.Retry(d.interrupted); err != nil {
		return err
	}
	if d.cfg.FlushCheckInterval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		d.stopPolicy, d.policyDone = cancel, make(chan struct{})
		go func() {
			defer close(d.policyDone)
			d.Tier.RunPolicyLoop(ctx, d.cfg.FlushCheckInterval, d.Jobs.PruneHistory)
		}()
	}
	return nil
}

// Close stops background jobs and the engine; the store is closed by its
// owner afterwards.
func (d *Database) Close() error {
	if d.stopPolicy != nil {
		d.stopPolicy()
		<-d.policyDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobsErr := d.Jobs.Stop(ctx)
	engErr := d.Engine.Close()
	d.Tier.Close()
	return errors.Join(jobsErr, engErr)
}

// Module provides *Database, *catalog.Catalog and *executor.Executor from
// a *kv.DB and a Config.
var Module = fx.Module("database",
	fx.Provide(
		func(lc fx.Lifecycle, db *kv.DB, cfg Config) (*Database, error) {
			d, err := Open(db, cfg)
			if err != nil {
				return nil, err
			}
			lc.Append(fx.Hook{
				OnStart: func(context.Context) error { return d.Start() },
				OnStop:  func(context.Context) error { return d.Close() },
			})
			return d, nil
		},
		func(d *Database) *catalog.Catalog { return d.Catalog },
		func(d *Database) *executor.Executor { return d.Executor },
	),
)
