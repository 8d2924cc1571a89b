// Package app assembles the KalamDB server from the modules of every layer
// with go.uber.org/fx: the store (kv.Module), the database core
// (database.Module) and this module's HTTP front end, and owns the process
// lifecycle: start in dependency order, and on stop, stop accepting, finish
// in-flight requests, then close the core and RocksDB, in that order.
package app

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/httpapi"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/ui"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Version is the server version reported by the health endpoints.
const Version = "0.1.0"

// Server is a running server's handle: its listen address and how to stop
// it.
type Server struct {
	app  *fx.App
	addr *listenAddr
}

// listenAddr receives the bound address once the listener is open (the
// configured port may be 0).
type listenAddr struct{ addr net.Addr }

// New builds (but does not start) a server for cfg.
func New(cfg *config.Config, log *zap.Logger) *Server {
	la := &listenAddr{}
	a := fx.New(
		fx.Supply(cfg, log, la),
		fx.WithLogger(func() fxevent.Logger {
			return &fxevent.ZapLogger{Logger: log.Named("fx").WithOptions(zap.IncreaseLevel(zap.WarnLevel))}
		}),
		fx.Provide(storeConfig, coreConfig, newMemoryAccount),
		kv.Module,
		database.Module,
		Module,
	)
	return &Server{app: a, addr: la}
}

// Module is the server's own fx module: authentication and the HTTP API,
// listening while the app runs, and live queries over WebSocket.
var Module = fx.Module("server",
	fx.Provide(newAuthenticator, newHTTPAPI),
	// armJobsStop last: fx runs stop hooks in reverse order, and a
	// module's own invokes after those of the modules it holds
	// (liveModule's), so its hook is the first to run on stop.
	fx.Invoke(serveHTTP, logStorageProblems, logLegacyPGCatalog, logDurationProblems, armJobsStop),
	liveModule,
)

// armJobsStop's stop hook, the first to run, arms the jobs' stop for
// 2 s before the shutdown's deadline (database.StopJobsBefore): the
// drains that run next may take up to the deadline less stopReserve,
// but hooks after them that overrun it (or a drain that does) must not
// keep the rows of the jobs still running from being marked stopped.
func armJobsStop(lc fx.Lifecycle, db *database.Database) {
	lc.Append(fx.Hook{OnStop: func(ctx context.Context) error {
		db.StopJobsBefore(ctx)
		return nil
	}})
}

// Start starts every module; the HTTP listener is open when it returns.
func (s *Server) Start(ctx context.Context) error {
	if err := s.app.Err(); err != nil {
		return err
	}
	return s.app.Start(ctx)
}

// Stop stops every module in reverse dependency order.
func (s *Server) Stop(ctx context.Context) error { return s.app.Stop(ctx) }

// Addr is the address the HTTP server listens on, once started.
func (s *Server) Addr() net.Addr { return s.addr.addr }

func storeConfig(cfg *config.Config) kv.Config {
	return kv.Config{Dir: filepath.Join(cfg.Storage.DataDir, "rocksdb"), Options: kv.Options{Sync: cfg.Storage.SyncWrites}}
}

// reclaimInterval is the least time between two returns of the heap's
// free memory to the system (memory.Reclaimer): each costs a full
// collection.
const reclaimInterval = 10 * time.Second

// reclaimThreshold is the give-back after which the server returns the
// heap's free memory to the system: a quarter of what one statement may
// hold (64 MiB by default), so that a statement near its limit, or a
// large answer written, is followed by one, and ordinary statements are
// not.
func reclaimThreshold(cfg *config.Config) int64 {
	return max(cfg.Limits.StatementMemoryBytes/4, 16<<20)
}

// newMemoryAccount is the server's memory account (limits.
// server_memory_bytes), shared by the statements and the HTTP requests.
// Its reclaimer stops with the server (after what the account serves,
// whose hooks were appended later and run first): no collection it
// scheduled runs after the server stopped.
func newMemoryAccount(lc fx.Lifecycle, cfg *config.Config, log *zap.Logger) *memory.Account {
	acct := memory.NewAccount(cfg.ServerMemory())
	acct.SetUserShare(cfg.UserMemory())
	r := memory.NewReclaimer(reclaimThreshold(cfg), reclaimInterval)
	acct.SetReclaimer(r)
	lc.Append(fx.Hook{OnStop: r.Stop})
	log.Info("server memory bound", zap.Int64("server_memory_bytes", acct.Limit()), zap.Int64("user_memory_bytes", acct.UserShare()))
	return acct
}

func coreConfig(cfg *config.Config, acct *memory.Account, log *zap.Logger) (database.Config, error) {
	// Absolute, so the local storage's path does not depend on the working
	// directory of a later start.
	storageDir, err := filepath.Abs(filepath.Join(cfg.Storage.DataDir, "storage"))
	if err != nil {
		return database.Config{}, fmt.Errorf("storage directory: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.Storage.DataDir)
	if err != nil {
		return database.Config{}, fmt.Errorf("data directory: %w", err)
	}
	roots, err := cfg.Storage.StorageRoots()
	if err != nil {
		return database.Config{}, err
	}
	backupRoots, err := cfg.Backup.BackupRoots(dataDir)
	if err != nil {
		return database.Config{}, err
	}
	secret, err := cfg.Storage.StorageSecret()
	if err != nil {
		return database.Config{}, err
	}
	var credKey []byte
	if secret != "" {
		if credKey, err = catalog.CredentialKey(secret); err != nil {
			return database.Config{}, fmt.Errorf("storage secret key: %w", err)
		}
	}
	s3Cache := cfg.Storage.S3CacheBytes
	if s3Cache == 0 {
		s3Cache = -1 // configured off
	}
	// Backups are signed with a key derived from the same secret.
	unsigned := func(ns, location string) {
		log.Warn("backup written unsigned: this server has no storage secret key; a system user's restore of it follows the rules of a dba's restore (no system users created, no rows of system users). Set KALAMDB_STORAGE_SECRET_KEY or storage.secret_key_file to sign backups",
			zap.String("namespace", ns), zap.String("location", location))
	}
	return database.Config{
		CredentialKey:      credKey,
		BackupSigningKey:   backup.SigningKey(secret),
		OnUnsignedBackup:   unsigned,
		S3CacheBytes:       s3Cache,
		NodeID:             NodeNumber(cfg.Server.NodeID),
		NodeName:           cfg.Server.NodeID,
		JobWorkers:         cfg.Storage.JobWorkers,
		JobMaxStartRetries: cfg.Storage.JobMaxStartRetries,
		DefaultFlush:       tier.FlushPolicy{Rows: cfg.Storage.FlushRows, Interval: cfg.Storage.FlushInterval},
		FlushCheckInterval: cfg.Storage.FlushCheckInterval,
		Failpoint:          failpointFromEnv(),
		RootPassword:       cfg.Auth.RootPassword,
		BcryptCost:         cfg.Auth.BcryptCost,
		StorageDir:         storageDir,
		DataDir:            dataDir,
		StorageRoots:       roots,
		BackupRoots:        backupRoots,
		Limits: executor.Limits{
			MaxSQLBytes:    int(cfg.Limits.MaxSQLBytes),
			MaxStatements:  cfg.Limits.MaxStatementsPerBatch,
			MaxResultRows:  cfg.Limits.MaxResultRows,
			MaxResultBytes: cfg.Limits.MaxResultBytes,
		},
		StatementLimits: statementLimits(cfg.Limits),
		Memory:          acct,
		PlanCache:       planCacheOptions(cfg.Cache),
		ColdCacheBytes:  coldCacheBytes(cfg.Cache),
		RowCacheBytes:   rowCacheBytes(cfg.Cache),
		Live: live.Options{
			MaxSubscriptionsPerConnection: cfg.WebSocket.MaxSubscriptionsPerConnection,
			MaxSubscriptionsPerUser:       cfg.WebSocket.MaxSubscriptionsPerUser,
			SendQueueSize:                 cfg.WebSocket.SendQueueSize,
			SendQueueBytes:                cfg.WebSocket.SendQueueBytes,
			MaxBatchBytes:                 cfg.WebSocket.MaxBatchBytes,
			LoadingIdleTimeout:            cfg.WebSocket.LoadingIdleTimeout,
			LoadingMaxDuration:            cfg.WebSocket.LoadingMaxDuration,
			OnInternalError: func(liveID string, err error) {
				log.Named("live").Error("subscription ended by an internal error", zap.String("live_id", liveID), zap.Error(err))
			},
		},
		Streams: streamOptions(log.Named("streams")),
		OnSystemPartitionsKept: func(job, table, storage string, partitions int) {
			log.Named("tier").Warn("partitions of system users left out of an s3 storage placed by a non-system account",
				zap.String("job", job), zap.String("table", table), zap.String("storage", storage), zap.Int("partitions", partitions),
				zap.String("fix", "a system user can re-place the storage with ALTER STORAGE (restating its location), or move the table"))
		},
	}, nil
}

// planCacheOptions maps [cache]'s plan keys to the engine's options, in
// which 0 means the default and a negative count no cache.
func planCacheOptions(c config.CacheConfig) engine.PlanCacheOptions {
	if c.PlanEntries == 0 {
		return engine.PlanCacheOptions{Entries: -1}
	}
	return engine.PlanCacheOptions{Entries: c.PlanEntries, Bytes: c.PlanBytes}
}

// coldCacheBytes maps [cache] cold_bytes to the tiers' option, in which 0
// means the default and a negative size no cache.
func coldCacheBytes(c config.CacheConfig) int64 {
	if c.ColdBytes == 0 {
		return -1
	}
	return c.ColdBytes
}

// rowCacheBytes maps [cache] row_bytes to the engine's option, in which 0
// means the default and a negative size no cache.
func rowCacheBytes(c config.CacheConfig) int64 {
	if c.RowBytes == 0 {
		return -1
	}
	return c.RowBytes
}

// streamOptions logs what the STREAM sweeper reports.
func streamOptions(log *zap.Logger) streams.Options {
	return streams.Options{
		OnError: func(err error) { log.Error("stream sweep", zap.Error(err)) },
		OnLegacyDropped: func(table string, n int64) {
			log.Warn("dropped STREAM events stored without a user partition by an older version",
				zap.String("table", table), zap.Int64("events", n))
		},
	}
}

// statementLimits maps the [limits] section to the engine's limits.
func statementLimits(l config.LimitsConfig) engine.Limits {
	return engine.Limits{
		Timeout: engine.Timeouts{Default: l.StatementTimeout, User: l.StatementTimeoutUser,
			Service: l.StatementTimeoutService, DBA: l.StatementTimeoutDBA, System: l.StatementTimeoutSystem},
		MaxValueBytes:             l.MaxValueBytes,
		StatementMemoryBytes:      l.StatementMemoryBytes,
		MaxExpressionDepth:        l.MaxExpressionDepth,
		MaxStatementComplexity:    l.MaxStatementComplexity,
		MaxStatementTargetEntries: l.MaxStatementTargetEntries,
		OrderIndexBudget:          l.OrderIndexBudget,
	}
}

// FailpointEnv names a crash point of flush or compaction (see the engine's
// Fail* constants) at which the server exits at once with status 99, as if
// killed. It exists for crash tests of the real binary; never set it in
// production.
const FailpointEnv = "KALAMDB_FAILPOINT"

func failpointFromEnv() func(string) {
	target := os.Getenv(FailpointEnv)
	if target == "" {
		return nil
	}
	return func(point string) {
		if point == target {
			fmt.Fprintf(os.Stderr, "kalamdb-server: failpoint %s reached, exiting\n", point)
			os.Exit(99)
		}
	}
}

// NodeNumber maps a node id to the 10-bit node number inside snowflake
// ids: a numeric id is used as is (mod 1024), a name is hashed.
func NodeNumber(nodeID string) int64 {
	if n, err := strconv.ParseInt(nodeID, 10, 64); err == nil && n >= 0 {
		return n % 1024
	}
	h := fnv.New32a()
	h.Write([]byte(nodeID))
	return int64(h.Sum32() % 1024)
}

// newAuthenticator also makes it the executor's check of current
// passwords, so ALTER USER ... CURRENT PASSWORD is throttled like a login.
func newAuthenticator(cfg *config.Config, cat *catalog.Catalog, exec *executor.Executor) (*auth.Authenticator, error) {
	a, err := auth.New(cat, auth.OptionsFromConfig(cfg))
	if err != nil {
		return nil, err
	}
	exec.SetPasswordVerifier(a)
	return a, nil
}

// firstRunSetup is the catalog's first-run set-up, which gives root a
// password: like ALTER USER, it closes the sockets root signed in with
// (without a password, from localhost) before it answers, rather than
// leave them to the live query manager's once-a-second sweep.
type firstRunSetup struct {
	*catalog.Catalog
	live *live.Manager
}

func (s firstRunSetup) Setup(rootPassword, name, password, email string) (string, error) {
	id, err := s.Catalog.Setup(rootPassword, name, password, email)
	if err == nil {
		s.live.AccountChanged(catalog.RootUser)
	}
	return id, err
}

// newHTTPAPI builds the HTTP API with the admin console: cookie sessions,
// the first-run set-up and the console's files at /ui/.
func newHTTPAPI(cfg *config.Config, exec *executor.Executor, a *auth.Authenticator, cat *catalog.Catalog, lm *live.Manager,
	acct *memory.Account, log *zap.Logger) (*httpapi.Server, error) {
	api, err := httpapi.New(httpapi.Deps{Executor: exec, Auth: a, Sessions: a, Setup: firstRunSetup{cat, lm}, Logger: log.Named("http"), Memory: acct},
		httpapi.OptionsFromConfig(cfg, Version))
	if err != nil {
		return nil, err
	}
	if err := api.MountUI(ui.Dist()); err != nil {
		return nil, err
	}
	return api, nil
}

// serveHTTP listens while the app runs. On stop it stops accepting, waits
// for in-flight requests and cancels those that outlive the drain time, all
// within the shutdown timeout, before the modules it depends on stop.
func serveHTTP(lc fx.Lifecycle, cfg *config.Config, api *httpapi.Server, la *listenAddr, log *zap.Logger) error {
	srv, err := httpapi.NewHTTPServer(cfg, api, log)
	if err != nil {
		return err
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", cfg.Server.Addr())
			if err != nil {
				return fmt.Errorf("listen on %s: %w", cfg.Server.Addr(), err)
			}
			la.addr = ln.Addr()
			log.Info("kalamdb-server listening", zap.String("addr", ln.Addr().String()), zap.String("version", Version),
				zap.String("data_dir", cfg.Storage.DataDir))
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("http server stopped", zap.Error(err))
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			ctx, cancel := drainContext(ctx, cfg.Server.ShutdownTimeout)
			defer cancel()
			return srv.Shutdown(ctx)
		},
	})
	return nil
}

// DefaultStopTimeout bounds a whole shutdown.
const DefaultStopTimeout = 60 * time.Second

// stopReserve is what the HTTP and WebSocket drains leave of the
// shutdown's deadline to the hooks after them: the database's (the
// jobs' wait, which ends 2 s before the deadline, the marks of the jobs
// still running, the engine's close) and the store's close. fx runs no
// hook once the deadline has passed, so drains of
// server.shutdown_timeout each (two of them) could otherwise take all of
// it. server.shutdown_timeout is at most DefaultStopTimeout less it
// (config.MaxShutdownTimeout).
const stopReserve = DefaultStopTimeout - config.MaxShutdownTimeout

// drainContext bounds a drain (HTTP's, WebSocket's) to timeout
// (server.shutdown_timeout) and to ctx's deadline less stopReserve. A
// deadline already that near gives an ended context: the drain closes
// what is open at once.
func drainContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	end := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-stopReserve).Before(end) {
		end = dl.Add(-stopReserve)
	}
	return context.WithDeadline(ctx, end)
}

// logStorageProblems reports at start every storage that breaks the
// storage rules (one defined by an older version, or a root since
// narrowed): an unusable one is an error, as its tables no longer flush.
func logStorageProblems(cat *catalog.Catalog, log *zap.Logger) {
	if ids := cat.PlaintextCredentials(); len(ids) > 0 {
		log.Warn("storage credentials are stored unencrypted in the data directory: set KALAMDB_STORAGE_SECRET_KEY (or storage.secret_key_file, outside the data directory) to encrypt them",
			zap.Strings("storage_ids", ids))
	}
	for _, p := range cat.StorageProblems() {
		if p.Unusable {
			log.Error("storage breaks the storage rules: flush, compaction and cleanup refuse it until it is fixed",
				zap.String("storage_id", p.StorageID), zap.Error(p.Err))
			continue
		}
		log.Warn("storage is outside storage.allowed_roots; it keeps working, but CREATE/ALTER STORAGE could not put it there now",
			zap.String("storage_id", p.StorageID), zap.Error(p.Err))
	}
}

// logLegacyPGCatalog reports a namespace named pg_catalog, created before
// the name was reserved: it keeps its tables under that name, and
// PostgreSQL's pg_catalog (pg_tables, pg_views) is missing until it is
// dropped.
func logLegacyPGCatalog(cat *catalog.Catalog, log *zap.Logger) {
	if cat.Snapshot().LegacyPGCatalog() {
		log.Warn("a namespace named pg_catalog, created by an older version, hides the pg_catalog schema (pg_tables, pg_views): its tables keep working under that name",
			zap.String("fix", "copy its tables to another namespace, then DROP NAMESPACE pg_catalog CASCADE (docs/sql.md, \"A namespace named pg_catalog (upgrading)\")"))
	}
}

// logDurationProblems reports at start every table whose stored
// durations an older version let past the century CREATE and ALTER now
// allow: it keeps working with each read as a century, which keeps what
// the stored value meant (its rows for ever) without the overflow that
// expired them at once.
func logDurationProblems(cat *catalog.Catalog, log *zap.Logger) {
	for _, p := range cat.DurationProblems() {
		log.Warn("table stores a duration past a century (written by an older version): it is read as a century; ALTER TABLE ... SET TBLPROPERTIES brings it in range",
			zap.String("table", p.TableID), zap.Strings("values", p.Values))
	}
}
