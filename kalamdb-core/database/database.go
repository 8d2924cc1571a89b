// Package database assembles KalamDB's core over an open store, as a
// library constructor (Open) and as an fx module (Module), so a server, a
// test or an embedding program builds the database the same way and gets
// it complete: catalog, jobs, tiers, transactions, query engine, live
// queries, the stream sweeper and the statement executor, each given what
// it works with at construction.
//
// The parts are built bottom up, each before whatever uses it: the
// catalog, the jobs manager and the partition locks; the tables registry
// and the tiers; the live query router and system.live_queries (they
// depend on nothing above the store); the transactions (whose change sink
// is the router and whose cold tier is the tiers); the engine; the live
// query manager; the executor.
package database

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/fx"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
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
	// BackupRoots are where BACKUP DATABASE may write and RESTORE
	// DATABASE read backups; relative locations resolve against the
	// first. Empty: backups are refused.
	BackupRoots []string
	Limits      executor.Limits
	// StatementLimits bound the time and memory of every statement.
	StatementLimits engine.Limits
	// DisableFastPath sends every statement through the query planner.
	DisableFastPath bool
	// PlanCache bounds the engine's cache of statements by text (zero
	// values: the engine's defaults; Entries < 0: no cache).
	PlanCache engine.PlanCacheOptions
	// RowCacheBytes bounds the engine's cache of row versions read
	// through secondary indexes (0: engine.DefaultRowCacheBytes;
	// negative: no cache).
	RowCacheBytes int64
	// JobWorkers bounds concurrent background jobs (0: 2).
	JobWorkers int
	// JobMaxStartRetries bounds the starts in a row that may find a job's
	// work interrupted by a crash and run it again (0:
	// jobs.DefaultMaxStartRetries).
	JobMaxStartRetries int
	// DefaultFlush is the flush policy of tables without FLUSH_POLICY.
	DefaultFlush tier.FlushPolicy
	// FlushCheckInterval is how often flush policies are checked (0: the
	// policy loop does not run; tests call RunFlushPolicies themselves).
	FlushCheckInterval time.Duration
	// Failpoint is called at each crash point of flush, compaction and
	// backup, and at the named points of a commit (tests only).
	Failpoint func(point string)
	// StorageFaults injects storage failures (tests only).
	StorageFaults *cold.Faults
	// BackupFaults injects failures into backup writes (tests only).
	BackupFaults *cold.Faults
	// CredentialKey seals storage credentials at rest (catalog.
	// CredentialKey of the operator's secret); nil stores them as given.
	CredentialKey []byte
	// BackupSigningKey signs backups and checks the signatures of the
	// backups restored (backup.SigningKey of the operator's secret); nil
	// writes them unsigned, and OnUnsignedBackup is told of each.
	BackupSigningKey []byte
	OnUnsignedBackup func(namespace, location string)
	// S3CacheBytes bounds the cache of byte ranges read from s3 storages
	// (0: the tiers' default; < 0: none).
	S3CacheBytes int64
	// ObsoleteFileGrace is how long files replaced by a compaction stay
	// for statements already reading them (0: the tiers' default).
	ObsoleteFileGrace time.Duration
	// ColdCacheBytes bounds what reads keep decoded from cold files (0:
	// cold.DefaultCacheBytes, 128 MiB; negative: no page cache).
	ColdCacheBytes int64
	// CleanupPartitionsPerRun bounds the partitions one run of a dropped
	// table's cleanup visits (0: tier.DefaultCleanupPartitionsPerRun).
	CleanupPartitionsPerRun int
	// Live bounds live queries (zero values: live's defaults).
	Live live.Options
	// Streams configures the sweeper of STREAM table events.
	Streams streams.Options
	// Memory is the server's memory account, which statements reserve
	// what they hold and their result rows from (nil: no server-wide
	// bound).
	Memory *memory.Account
	// Changes, when set, also receives every committed change, after live
	// queries have been told (change data capture; tests record with
	// it). It is called with the written partitions locked and must not
	// block.
	Changes txn.Sink
	// OnSystemPartitionsKept, when set, is told of each flush or
	// compaction job that left system users' partitions out of their
	// table's storage (tier.Options.OnSystemPartitionsKept); the server
	// logs a warning.
	OnSystemPartitionsKept func(job, table, storage string, partitions int)
}

// Database is the assembled core.
type Database struct {
	Catalog  *catalog.Catalog
	Tier     *tier.Manager
	Engine   *engine.Engine
	Executor *executor.Executor
	Backups  *backup.Service
	Jobs     *jobs.Manager
	Txns     *txn.Manager
	Live     *live.Manager
	Streams  *streams.Sweeper
	// Interrupted are the jobs a crash left unfinished; Start retries them.
	interrupted []*systable.Job
	cfg         Config
	stopPolicy  context.CancelFunc
	policyDone  chan struct{}
	// The jobs' stop StopJobsBefore arms: its timer (nil: none), a
	// channel closed once it ran, and its error. jobsMu guards the
	// timer and jobsClosed (CloseContext has begun: nothing is armed
	// after): a server's stop hooks may outlive its Stop (fx returns at
	// the deadline), and CloseContext be called by another goroutine.
	jobsMu      sync.Mutex
	jobsClosed  bool
	jobsTimer   *time.Timer
	jobsStopped chan struct{}
	jobsErr     error
}

// Open builds the core over an open store.
func Open(db *kv.DB, cfg Config) (*Database, error) {
	cat, err := catalog.Open(db, catalog.Options{RootPassword: cfg.RootPassword, BcryptCost: cfg.BcryptCost,
		LocalStoragePath: cfg.StorageDir, Storage: catalog.StorageRules{DataDir: cfg.DataDir, AllowedRoots: cfg.StorageRoots},
		CredentialKey: cfg.CredentialKey, ViewReads: engine.ViewReads(cfg.StatementLimits)})
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	// Credentials stored before a key was configured are sealed now.
	if _, err := cat.SealStoredCredentials(); err != nil {
		return nil, fmt.Errorf("seal storage credentials: %w", err)
	}
	jm, interrupted, err := jobs.Open(db, jobs.Options{NodeID: cfg.NodeName, Workers: cfg.JobWorkers,
		MaxStartRetries: cfg.JobMaxStartRetries, HoldsTable: tier.HoldsTable(cat)})
	if err != nil {
		return nil, fmt.Errorf("open jobs: %w", err)
	}
	locks := txn.NewLocks()
	tabs := tables.NewRegistry(db, cat)
	tm, err := tier.Open(db, cat, tabs, tier.Options{Jobs: jm, Locks: locks, Failpoint: cfg.Failpoint,
		DefaultFlush: cfg.DefaultFlush, StorageFaults: cfg.StorageFaults, ObsoleteFileGrace: cfg.ObsoleteFileGrace,
		ColdCacheBytes: cfg.ColdCacheBytes, S3CacheBytes: cfg.S3CacheBytes, CleanupPartitionsPerRun: cfg.CleanupPartitionsPerRun,
		OnSystemPartitionsKept: cfg.OnSystemPartitionsKept})
	if err != nil {
		return nil, fmt.Errorf("open tiers: %w", err)
	}
	sweeper := streams.New(db, cat, cfg.Streams)
	router := live.NewRouter(sweeper)
	queries, err := live.OpenQueries(db, cfg.NodeName)
	if err != nil {
		return nil, err
	}
	var sink txn.Sink = router
	if cfg.Changes != nil {
		sink = tee{router, cfg.Changes}
	}
	seq, err := ids.NewSnowflake(cfg.NodeID, nil)
	if err != nil {
		return nil, fmt.Errorf("open transactions: %w", err)
	}
	txns, err := txn.Open(db, txn.Options{Locks: locks, Seq: seq, Cold: tm, Sink: sink, Tables: tabs, Failpoint: cfg.Failpoint})
	if err != nil {
		return nil, fmt.Errorf("open transactions: %w", err)
	}
	eng, err := engine.New(engine.Deps{DB: db, Catalog: cat, Tables: tabs, Tier: tm, Txns: txns, Seq: seq, Subscribers: router,
		SystemTables: []systable.SQLTable{jm.Table(), tm.ManifestTable(), queries.Table()}, Memory: cfg.Memory},
		engine.Options{DisableFastPath: cfg.DisableFastPath, Limits: cfg.StatementLimits, PlanCache: cfg.PlanCache,
			RowCacheBytes: cfg.RowCacheBytes})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	lm, err := live.New(live.Deps{DB: db, Catalog: cat, Engine: eng, Feeds: tm, Router: router, Queries: queries, Memory: cfg.Memory}, cfg.Live)
	if err != nil {
		return nil, fmt.Errorf("start live queries: %w", err)
	}
	backups, err := backup.New(backup.Options{DB: db, Catalog: cat, Tier: tm, Jobs: jm, Txns: txns,
		Opener: &backup.Locations{Local: &backup.LocalOpener{Catalog: cat, Roots: cfg.BackupRoots, Faults: cfg.BackupFaults},
			S3: &backup.S3Opener{Catalog: cat, Tier: tm}}, Failpoint: cfg.Failpoint,
		SigningKey: cfg.BackupSigningKey, OnUnsigned: cfg.OnUnsignedBackup})
	if err != nil {
		return nil, err
	}
	x := executor.New(executor.Deps{Catalog: cat, Engine: eng, Tier: tm, Jobs: jm, Txns: txns, Live: lm, Backups: backups}, cfg.Limits)
	return &Database{Catalog: cat, Tier: tm, Engine: eng, Executor: x, Backups: backups, Jobs: jm, Txns: txns, Live: lm, Streams: sweeper,
		interrupted: interrupted, cfg: cfg}, nil
}

// tee publishes to two sinks in turn.
type tee [2]txn.Sink

func (t tee) Publish(changes []txn.Change, w *txn.Wakes) {
	t[0].Publish(changes, w)
	t[1].Publish(changes, w)
}

// Start starts the background work: the job workers, then the retry of
// jobs a crash interrupted and of index builds, the flush policy loop, the live queries' check
// of dropped tables and changed accounts, and the stream sweeper.
func (d *Database) Start() error {
	d.Jobs.Start()
	if err := d.Tier.Retry(d.interrupted); err != nil {
		return err
	}
	if err := d.Tier.ResumeIndexBuilds(d.interrupted); err != nil {
		return err
	}
	// Only now: a start that failed before must leave them interrupted,
	// their crash counts as they were, and the messages of those not run
	// again (index builds' too) are set.
	if err := d.Jobs.EndInterrupted(d.interrupted); err != nil {
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
	d.Live.Start()
	d.Streams.Start()
	return nil
}

// jobsStopWait bounds how long Close waits for the running jobs to notice
// the stop; stopMargin is what CloseContext keeps of its caller's
// deadline for what follows the wait (marking the rows of the jobs
// still running, closing the engine).
const (
	jobsStopWait = time.Minute
	stopMargin   = 2 * time.Second
)

// Close ends every live connection and stops the background work and the
// engine; the store is closed by its owner afterwards.
func (d *Database) Close() error { return d.CloseContext(context.Background()) }

// CloseContext is Close within ctx's deadline (the server's whole
// shutdown's): the wait for the running jobs ends stopMargin before it,
// so that a job still running then has its row marked stopped while the
// process is alive (jobs.Manager.Stop); a wait cut short by the process
// exiting would leave the row unmarked, and the next start would count
// a crash.
func (d *Database) CloseContext(ctx context.Context) error {
	d.Live.Close()
	d.Streams.Stop()
	if d.stopPolicy != nil {
		d.stopPolicy()
		<-d.policyDone
	}
	var armedErr error
	d.jobsMu.Lock()
	timer, stopped := d.jobsTimer, d.jobsStopped
	d.jobsTimer, d.jobsClosed = nil, true // a second close waits for nothing
	d.jobsMu.Unlock()
	if timer != nil && !timer.Stop() {
		<-stopped // it fired: the jobs are stopped, the rows marked
		armedErr = d.jobsErr
	}
	wait := time.Now().Add(jobsStopWait)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-stopMargin).Before(wait) {
		wait = dl.Add(-stopMargin)
	}
	// Not ctx itself: a cancelled caller still gets the jobs' rows marked.
	jobsCtx, cancel := context.WithDeadline(context.Background(), wait)
	defer cancel()
	jobsErr := d.Jobs.Stop(jobsCtx) // nil at once if the armed stop ran
	engErr := d.Engine.Close()
	d.Tier.Close()
	return errors.Join(armedErr, jobsErr, engErr)
}

// StopJobsBefore arms the jobs' stop for stopMargin before ctx's deadline
// (the server's whole shutdown's), when CloseContext's wait would end,
// whatever the stop hooks that run before CloseContext are doing then:
// the server calls it from its first stop hook. An HTTP or WebSocket
// drain held by a stuck client can take the whole deadline, and fx runs
// no hook once it has passed: CloseContext would never run, and the
// rows of the jobs still running would be left unmarked, each counted a
// crash by the next start. Armed, the stop cancels the jobs and marks
// the rows of those still running (jobs.Manager.Stop with its deadline
// passed) while the process is alive. CloseContext, if it runs first,
// disarms it and stops the jobs itself. A ctx with no deadline arms
// nothing.
func (d *Database) StopJobsBefore(ctx context.Context) {
	dl, ok := ctx.Deadline()
	d.jobsMu.Lock()
	defer d.jobsMu.Unlock()
	if !ok || d.jobsTimer != nil || d.jobsClosed {
		return
	}
	stopped := make(chan struct{})
	d.jobsStopped = stopped
	d.jobsTimer = time.AfterFunc(time.Until(dl.Add(-stopMargin)), func() {
		defer close(stopped)
		// CloseContext's wait would end now: none of it is left.
		passed, cancel := context.WithDeadline(context.Background(), time.Time{})
		defer cancel()
		d.jobsErr = d.Jobs.Stop(passed)
	})
}

// Module provides *Database, *catalog.Catalog, *executor.Executor and
// *live.Manager from a *kv.DB and a Config, started and stopped with the
// app.
var Module = fx.Module("database",
	fx.Provide(
		func(lc fx.Lifecycle, db *kv.DB, cfg Config) (*Database, error) {
			d, err := Open(db, cfg)
			if err != nil {
				return nil, err
			}
			lc.Append(fx.Hook{
				OnStart: func(context.Context) error { return d.Start() },
				OnStop:  d.CloseContext,
			})
			return d, nil
		},
		func(d *Database) *catalog.Catalog { return d.Catalog },
		func(d *Database) *executor.Executor { return d.Executor },
		func(d *Database) *live.Manager { return d.Live },
	),
)
