// Package config owns the server configuration: the Config model with its
// defaults, loading it from a TOML file (server.toml), overriding any key from
// the environment, validating it, and making sure a JWT signing secret exists.
//
// Precedence, lowest to highest: built-in defaults, the TOML file, the
// short environment aliases (KALAMDB_DATA_DIR, ...), the systematic
// environment names KALAMDB_<SECTION>_<KEY>. Every key of the file has a
// systematic name, so an operator never needs a file to change a setting.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MiB is one mebibyte, for byte-size defaults.
const MiB = 1 << 20

// MaxOrderIndexBudget is the largest limits.order_index_budget: a
// billion entries read before a top-N switches to its fallback index is
// already, in effect, never switching; more is a typo.
const MaxOrderIndexBudget = 1 << 30

// MaxJobStartRetries bounds storage.job_max_start_retries: more starts
// than this killed by one job is a crash loop however it is set.
const MaxJobStartRetries = 100

// MinJWTSecretBytes is the shortest configured JWT secret accepted. HS256 is
// only as strong as its key; 32 bytes is the hash output size (RFC 7518 §3.2).
const MinJWTSecretBytes = 32

// Config is the whole server configuration. The toml tags are the file keys;
// the environment name of a key is KALAMDB_<SECTION>_<KEY> in upper case.
type Config struct {
	Server    ServerConfig    `toml:"server"`
	Storage   StorageConfig   `toml:"storage"`
	Backup    BackupConfig    `toml:"backup"`
	Auth      AuthConfig      `toml:"auth"`
	Logging   LoggingConfig   `toml:"logging"`
	Limits    LimitsConfig    `toml:"limits"`
	WebSocket WebSocketConfig `toml:"websocket"`
	Cache     CacheConfig     `toml:"cache"`
}

// ServerConfig is the [server] section: the listener and node identity.
type ServerConfig struct {
	Host string `toml:"host"`
	// Port 0 asks the kernel for a free port (useful in tests).
	Port int `toml:"port"`
	// NodeID names this node in system.jobs, system.live_queries and
	// snowflake ids.
	NodeID string `toml:"node_id"`
	// MaxBodyBytes bounds every HTTP request body (413 beyond it).
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// ReadHeaderTimeout bounds how long a client may take to send headers,
	// so idle half-open connections cannot pin goroutines (slowloris).
	ReadHeaderTimeout time.Duration `toml:"read_header_timeout"`
	// ReadBodyTimeout bounds how long a client may take to send a request
	// body once its headers are in.
	ReadBodyTimeout time.Duration `toml:"read_body_timeout"`
	// MaxConnections bounds open HTTP connections (WebSockets included);
	// at most half the process's open-file limit is used.
	MaxConnections int `toml:"max_connections"`
	// MaxUnauthenticatedConnections bounds connections that have not yet
	// presented valid credentials; past it, the oldest is closed to make
	// room for a new one.
	MaxUnauthenticatedConnections int `toml:"max_unauthenticated_connections"`
	// MaxConnectionsPerUser bounds the connections (WebSockets included)
	// one authenticated user holds; 0 = no limit.
	MaxConnectionsPerUser int `toml:"max_connections_per_user"`
	// IdleTimeout closes keep-alive connections that stay idle this long.
	IdleTimeout time.Duration `toml:"idle_timeout"`
	// WriteTimeout bounds how long a client may take to receive an
	// answer once it is ready; a client that does not read it in time has
	// its connection closed, and the answer's memory is freed.
	WriteTimeout time.Duration `toml:"write_timeout"`
	// FastSQLPath serves POST /v1/api/sql on plain keep-alive HTTP/1.1
	// connections without net/http's per-request machinery (same
	// handler, limits and timeouts; everything else is net/http's).
	// Off: net/http serves every request.
	FastSQLPath bool `toml:"fast_sql_path"`
	// BusyPoll is how long a fast-lane keep-alive connection whose client
	// answers quickly polls its socket for the next request before it
	// sleeps; 0 turns polling off. Waking a sleeping thread costs tens of
	// microseconds on idle cores; polling spends up to this much CPU per
	// request instead, on at most half the processors at once.
	BusyPoll time.Duration `toml:"busy_poll"`
	// ShutdownTimeout is how long SIGTERM waits for in-flight requests:
	// three quarters of it to finish, then they are cancelled. At most
	// MaxShutdownTimeout; the drains together end by then too.
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"`
}

// Addr is the host:port listen address.
func (s ServerConfig) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// StorageConfig is the [storage] section.
type StorageConfig struct {
	// DataDir holds RocksDB, the local cold storage and the generated JWT
	// secret.
	DataDir string `toml:"data_dir"`
	// SyncWrites fsyncs the WAL on every commit (durable against power loss,
	// not only process crashes) at a large cost in write latency.
	SyncWrites bool `toml:"sync_writes"`
	// FlushRows is the default FLUSH_POLICY rows:N for tables without one
	// (0: off).
	FlushRows int64 `toml:"flush_rows"`
	// FlushInterval is the default FLUSH_POLICY interval for tables
	// without one (0: off).
	FlushInterval time.Duration `toml:"flush_interval"`
	// FlushCheckInterval is how often flush policies are checked.
	FlushCheckInterval time.Duration `toml:"flush_check_interval"`
	// JobWorkers bounds concurrently running background jobs.
	JobWorkers int `toml:"job_workers"`
	// JobMaxStartRetries is how many starts in a row may find a job's
	// work interrupted by a crash before the next start stops running it
	// again and records it failed (graceful stops do not count): a job
	// that kills the process must not do so at every start. The default
	// is jobs.DefaultMaxStartRetries.
	JobMaxStartRetries int `toml:"job_max_start_retries"`
	// AllowedRoots are the directories CREATE/ALTER STORAGE may put a
	// filesystem storage in; a relative PATH is resolved against the
	// first. Empty means DefaultStoragesDir under the data directory.
	AllowedRoots []string `toml:"allowed_roots"`
	// SecretKey encrypts the credentials of storages (s3) at rest, so
	// that a copy of the data directory does not reveal them: a random
	// string of at least 16 bytes. Prefer the environment
	// (KALAMDB_STORAGE_SECRET_KEY) or SecretKeyFile to the config file.
	SecretKey string `toml:"secret_key"`
	// SecretKeyFile holds SecretKey (trimmed); it must be outside the
	// data directory.
	SecretKeyFile string `toml:"secret_key_file"`
	// S3CacheBytes bounds the in-memory cache of byte ranges (Parquet
	// footers, column chunks) read from s3 storages; 0 disables it.
	S3CacheBytes int64 `toml:"s3_cache_bytes"`
}

// MinStorageSecretKeyBytes is the shortest storage secret key accepted.
const MinStorageSecretKeyBytes = 16

// StorageSecret returns the storage secret key: SecretKey, else the
// content of SecretKeyFile, else "" (credentials are stored unencrypted).
func (s StorageConfig) StorageSecret() (string, error) {
	if s.SecretKey != "" {
		return s.SecretKey, nil
	}
	if s.SecretKeyFile == "" {
		return "", nil
	}
	raw, err := os.ReadFile(s.SecretKeyFile)
	if err != nil {
		return "", fmt.Errorf("storage.secret_key_file: %w", err)
	}
	secret := strings.TrimSpace(string(raw))
	if len(secret) < MinStorageSecretKeyBytes {
		return "", fmt.Errorf("storage.secret_key_file %s holds %d bytes, want at least %d", s.SecretKeyFile, len(secret), MinStorageSecretKeyBytes)
	}
	return secret, nil
}

// DefaultStoragesDir is the allowed storage root, under the data
// directory, when allowed_roots is empty.
const DefaultStoragesDir = "storages"

// StorageRoots returns the allowed storage roots as absolute paths.
func (s StorageConfig) StorageRoots() ([]string, error) {
	return absRoots("storage.allowed_roots", s.AllowedRoots, filepath.Join(s.DataDir, DefaultStoragesDir))
}

// absRoots returns roots (or, when empty, the default one) as absolute
// paths.
func absRoots(key string, roots []string, def string) ([]string, error) {
	if len(roots) == 0 {
		roots = []string{def}
	}
	out := make([]string, len(roots))
	for i, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[i] = abs
	}
	return out, nil
}

// BackupConfig is the [backup] section.
type BackupConfig struct {
	// AllowedRoots are the directories BACKUP DATABASE may write backups
	// in and RESTORE DATABASE read them from (each backup is a directory
	// inside one); a relative location is resolved against the first.
	// Empty means DefaultBackupsDir under the data directory.
	AllowedRoots []string `toml:"allowed_roots"`
}

// DefaultBackupsDir is the allowed backup root, under the data directory,
// when [backup] allowed_roots is empty.
const DefaultBackupsDir = "backups"

// BackupRoots returns the allowed backup roots as absolute paths; dataDir
// is the [storage] data_dir.
func (b BackupConfig) BackupRoots(dataDir string) ([]string, error) {
	return absRoots("backup.allowed_roots", b.AllowedRoots, filepath.Join(dataDir, DefaultBackupsDir))
}

// AuthConfig is the [auth] section.
type AuthConfig struct {
	// RootPassword, when set, becomes root's password at start. Empty means
	// root is accepted without password from loopback addresses only.
	RootPassword string `toml:"root_password"`
	// JWTSecret signs tokens (HS256). Empty means: generate one and keep it
	// in <data_dir>/jwt_secret (see EnsureJWTSecret).
	JWTSecret       string        `toml:"jwt_secret"`
	AccessTokenTTL  time.Duration `toml:"access_token_ttl"`
	RefreshTokenTTL time.Duration `toml:"refresh_token_ttl"`
	// BcryptCost is used for new password hashes.
	BcryptCost int `toml:"bcrypt_cost"`
	// BasicCacheTTL is how long a verified Basic credential is remembered
	// so steady-state requests skip bcrypt. 0 disables the cache.
	BasicCacheTTL time.Duration `toml:"basic_cache_ttl"`
	// BasicCacheMaxEntries bounds the credential cache's memory.
	BasicCacheMaxEntries int `toml:"basic_cache_max_entries"`
	// LoginFailuresPerUserClient, LoginFailuresPerClient and
	// LoginFailuresPerUser are the wrong passwords allowed for one user
	// name from one client address, from one client address (any names),
	// and for one user name (any addresses) before further attempts are
	// locked out; 0 turns that count off.
	LoginFailuresPerUserClient int `toml:"login_failures_per_user_client"`
	LoginFailuresPerClient     int `toml:"login_failures_per_client"`
	LoginFailuresPerUser       int `toml:"login_failures_per_user"`
	// LoginBackoff is the first lock; each further failure doubles it, up
	// to LoginMaxBackoff (per user and client, per client) or
	// LoginMaxUserBackoff (per user name).
	LoginBackoff        time.Duration `toml:"login_backoff"`
	LoginMaxBackoff     time.Duration `toml:"login_max_backoff"`
	LoginMaxUserBackoff time.Duration `toml:"login_max_user_backoff"`
	// LoginFailureHalfLife is how long counted failures take to halve.
	LoginFailureHalfLife time.Duration `toml:"login_failure_half_life"`
	// MaxConcurrentPasswordChecks bounds bcrypt checks running at once;
	// 0 = the number of CPU cores.
	MaxConcurrentPasswordChecks int `toml:"max_concurrent_password_checks"`
	// PasswordCheckWait is how long a password check may wait for a free
	// slot before it is refused (RATE_LIMIT_EXCEEDED); 0 = not at all.
	PasswordCheckWait time.Duration `toml:"password_check_wait"`
}

// LoggingConfig is the [logging] section.
type LoggingConfig struct {
	// Level is debug, info, warn or error.
	Level string `toml:"level"`
	// Format is json (production) or console (development).
	Format string `toml:"format"`
}

// LimitsConfig is the [limits] section: per-request resource bounds.
type LimitsConfig struct {
	// MaxSQLBytes bounds the `sql` text of one request (413 beyond it).
	MaxSQLBytes int64 `toml:"max_sql_bytes"`
	// MaxStatementsPerBatch bounds the statements of one request.
	MaxStatementsPerBatch int `toml:"max_statements_per_batch"`
	// MaxResultRows bounds the rows of one statement's result; 0 = no limit.
	MaxResultRows int `toml:"max_result_rows"`
	// MaxResultBytes bounds the size of the rows of one request's results,
	// as encoded in the answer.
	MaxResultBytes int64 `toml:"max_result_bytes"`
	// StatementTimeout is the time limit of a request's statements; the
	// per-role keys override it (0 = statement_timeout).
	StatementTimeout        time.Duration `toml:"statement_timeout"`
	StatementTimeoutUser    time.Duration `toml:"statement_timeout_user"`
	StatementTimeoutService time.Duration `toml:"statement_timeout_service"`
	StatementTimeoutDBA     time.Duration `toml:"statement_timeout_dba"`
	StatementTimeoutSystem  time.Duration `toml:"statement_timeout_system"`
	// MaxValueBytes bounds any value a function builds.
	MaxValueBytes int64 `toml:"max_value_bytes"`
	// StatementMemoryBytes bounds what one statement's functions build and
	// its aggregates hold, added up.
	StatementMemoryBytes int64 `toml:"statement_memory_bytes"`
	// ServerMemoryBytes bounds what every running statement and
	// unanswered request holds together (429 RATE_LIMIT_EXCEEDED beyond
	// it); 0 = a quarter of the machine's memory (ServerMemory).
	ServerMemoryBytes int64 `toml:"server_memory_bytes"`
	// UserMemoryBytes bounds one user's share of it; 0 = a quarter of
	// server_memory_bytes (UserMemory), -1 = no share (a user may take it
	// all).
	UserMemoryBytes int64 `toml:"user_memory_bytes"`
	// HeapLimitBytes is the Go runtime's soft memory limit (HeapLimit);
	// 0 = derived from server_memory_bytes and the caches, -1 = none.
	HeapLimitBytes int64 `toml:"heap_limit_bytes"`
	// MaxExpressionDepth and MaxStatementComplexity bound what a statement
	// asks the planner to plan.
	MaxExpressionDepth     int   `toml:"max_expression_depth"`
	MaxStatementComplexity int64 `toml:"max_statement_complexity"`
	// MaxStatementTargetEntries bounds the entries of all of a
	// statement's select and RETURNING lists together.
	MaxStatementTargetEntries int64 `toml:"max_statement_target_entries"`
	// OrderIndexBudget is how many index entries a top-N read through the
	// index in its ORDER BY's order examines before it switches to an
	// index that binds the WHERE's other conditions (the order index's
	// fallback); 0 = max(1024, 20 × (LIMIT + OFFSET)).
	OrderIndexBudget int `toml:"order_index_budget"`
	// RequestsPerSecond is the sustained per-user request rate; 0 = no limit.
	RequestsPerSecond float64 `toml:"requests_per_second"`
	// RequestsBurst is how many requests a user may send at once above the
	// sustained rate; 0 = max(1, ceil(requests_per_second)).
	RequestsBurst int `toml:"requests_burst"`
	// MetricsLoopbackOnly serves /metrics to loopback clients only.
	MetricsLoopbackOnly bool `toml:"metrics_loopback_only"`
}

// WebSocketConfig is the [websocket] section.
type WebSocketConfig struct {
	// AuthTimeout is how long a new connection may stay unauthenticated.
	AuthTimeout time.Duration `toml:"auth_timeout"`
	// MaxMessageBytes bounds an incoming message (MESSAGE_TOO_LARGE).
	MaxMessageBytes int64 `toml:"max_message_bytes"`
	// MaxSubscriptionsPerConnection and MaxSubscriptionsPerUser bound
	// subscriptions (SUBSCRIPTION_LIMIT_EXCEEDED); per user 0 = no limit.
	MaxSubscriptionsPerConnection int `toml:"max_subscriptions_per_connection"`
	MaxSubscriptionsPerUser       int `toml:"max_subscriptions_per_user"`
	// SendQueueSize is the per-connection outgoing queue, in messages and
	// commits (one commit's changes for a subscription are one entry); a
	// client whose queue is full is disconnected so writers never wait.
	SendQueueSize int `toml:"send_queue_size"`
	// SendQueueBytes bounds the same queue in bytes of row values, and
	// the changes kept aside while subscriptions load.
	SendQueueBytes int64 `toml:"send_queue_bytes"`
	// MaxBatchBytes bounds an initial-data batch in bytes of row values
	// (at least one row is sent).
	MaxBatchBytes int64 `toml:"max_batch_bytes"`
	// LoadingIdleTimeout bounds how long a subscription may wait, with
	// initial data left, for the client's next_batch; past it the
	// subscription ends with SUBSCRIPTION_FAILED and releases the
	// snapshot it holds (which keeps replaced Parquet files on disk).
	LoadingIdleTimeout time.Duration `toml:"loading_idle_timeout"`
	// LoadingMaxDuration bounds how long a subscription may stay loading
	// in all, however often its client asks for batches (a client asking
	// for one row a minute held its snapshot for days).
	LoadingMaxDuration time.Duration `toml:"loading_max_duration"`
	// MessagesPerSecond is the sustained rate of incoming messages per
	// connection (RATE_LIMIT_EXCEEDED beyond it); 0 = no limit. A
	// connection may send a burst of twice that, and at least enough to
	// open all its subscriptions at once.
	MessagesPerSecond float64 `toml:"messages_per_second"`
}

// CacheConfig is the [cache] section: what the server keeps in memory to
// answer repeated work faster. Each cache is bounded; none changes an
// answer.
type CacheConfig struct {
	// PlanEntries bounds the statements kept parsed (and, for primary-key
	// lookups and INSERT ... VALUES, compiled), by text and default
	// namespace; 0 turns the plan cache off.
	PlanEntries int `toml:"plan_entries"`
	// PlanBytes bounds their estimated memory.
	PlanBytes int64 `toml:"plan_bytes"`
	// ColdBytes bounds what reads keep decoded from Parquet files: pages,
	// footers, page indexes, bloom filters; 0 turns the page cache off
	// (open files still keep their footers and page indexes).
	ColdBytes int64 `toml:"cold_bytes"`
	// RowBytes bounds the row versions kept for reads through secondary
	// indexes (each is immutable, so the cache is never stale); 0 turns
	// the row cache off.
	RowBytes int64 `toml:"row_bytes"`
}

// DefaultBusyPoll is server.busy_poll's default: longer than a quick
// client's turn between an answer and its next request on this class of
// machine (a median of ~85-125 µs for a Go client over loopback), short
// enough that a connection that goes quiet wastes little.
const DefaultBusyPoll = 200 * time.Microsecond

// MaxBusyPoll bounds server.busy_poll: past it a poll costs more CPU than
// the wake-up it saves could ever be worth.
const MaxBusyPoll = 10 * time.Millisecond

// MaxShutdownTimeout bounds server.shutdown_timeout: a shutdown has 60 s
// in all (app.DefaultStopTimeout), and the HTTP and WebSocket drains
// leave its last 5 s to the database's stop, which marks the rows of the
// jobs still running so that the next start does not count them as
// crashes, and closes the store.
const MaxShutdownTimeout = 55 * time.Second

// Default returns the configuration that runs out of the box: a loopback
// listener on 127.0.0.1:8080 and data under ./data.
func Default() Config {
	return Config{
		Server: ServerConfig{
			Host:              "127.0.0.1",
			Port:              8080,
			NodeID:            "node1",
			MaxBodyBytes:      10 * MiB,
			ReadHeaderTimeout: 10 * time.Second,
			ReadBodyTimeout:   30 * time.Second,
			IdleTimeout:       120 * time.Second,
			WriteTimeout:      60 * time.Second,
			ShutdownTimeout:   30 * time.Second,
			FastSQLPath:       true,
			BusyPoll:          DefaultBusyPoll,

			MaxConnections:                4096,
			MaxUnauthenticatedConnections: 512,
			MaxConnectionsPerUser:         256,
		},
		Storage: StorageConfig{
			DataDir:            "./data",
			FlushRows:          100000,
			FlushInterval:      5 * time.Minute,
			FlushCheckInterval: time.Second,
			JobWorkers:         2,
			JobMaxStartRetries: 3,
			AllowedRoots:       []string{},
			S3CacheBytes:       64 * MiB,
		},
		Backup: BackupConfig{AllowedRoots: []string{}},
		Auth: AuthConfig{
			AccessTokenTTL:       time.Hour,
			RefreshTokenTTL:      7 * 24 * time.Hour,
			BcryptCost:           bcrypt.DefaultCost,
			BasicCacheTTL:        60 * time.Second,
			BasicCacheMaxEntries: 10000,

			LoginFailuresPerUserClient:  5,
			LoginFailuresPerClient:      20,
			LoginFailuresPerUser:        100,
			LoginBackoff:                time.Second,
			LoginMaxBackoff:             15 * time.Minute,
			LoginMaxUserBackoff:         time.Minute,
			LoginFailureHalfLife:        5 * time.Minute,
			MaxConcurrentPasswordChecks: 0,
			PasswordCheckWait:           2 * time.Second,
		},
		Logging: LoggingConfig{
			Level:  "info",
			Format: "json",
		},
		Limits: LimitsConfig{
			MaxSQLBytes:           10 * MiB,
			MaxStatementsPerBatch: 1000,
			MaxResultRows:         100000,
			MetricsLoopbackOnly:   true,

			MaxResultBytes:         64 * MiB,
			StatementTimeout:       30 * time.Second,
			MaxValueBytes:          16 * MiB,
			StatementMemoryBytes:   256 * MiB,
			MaxExpressionDepth:     1000,
			MaxStatementComplexity: 1_000_000,
			// The engine's DefaultMaxStatementTargetEntries.
			MaxStatementTargetEntries: 4 * 1664,
		},
		WebSocket: WebSocketConfig{
			AuthTimeout:                   3 * time.Second,
			MaxMessageBytes:               1 * MiB,
			MaxSubscriptionsPerConnection: 100,
			MaxSubscriptionsPerUser:       1000,
			SendQueueSize:                 1024,
			SendQueueBytes:                64 * MiB,
			MaxBatchBytes:                 4 * MiB,
			LoadingIdleTimeout:            60 * time.Second,
			LoadingMaxDuration:            10 * time.Minute,
			MessagesPerSecond:             50,
		},
		Cache: CacheConfig{
			PlanEntries: 1024,
			PlanBytes:   16 * MiB,
			ColdBytes:   128 * MiB,
			RowBytes:    32 * MiB,
		},
	}
}

// nodeIDPattern keeps node ids safe in keys, file names and metrics labels.
var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate checks every key and returns all problems at once (joined), each
// naming its key, so an operator fixes the file in one pass.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	// Every numeric key's own range (keyRanges); what follows checks
	// what depends on other keys, and the strings.
	errs = append(errs, c.checkRanges()...)

	s := c.Server
	checkHost(s.Host, bad)
	if !nodeIDPattern.MatchString(s.NodeID) {
		bad("server.node_id", "%q must be 1-64 letters, digits, '_', '.' or '-'", s.NodeID)
	}
	if s.MaxConnections >= 1 && (s.MaxUnauthenticatedConnections < 1 || s.MaxUnauthenticatedConnections > s.MaxConnections) {
		bad("server.max_unauthenticated_connections", "%d is outside 1..server.max_connections (%d)", s.MaxUnauthenticatedConnections, s.MaxConnections)
	}

	checkDataDir(c.Storage.DataDir, bad)
	for _, r := range c.Storage.AllowedRoots {
		if strings.TrimSpace(r) == "" {
			bad("storage.allowed_roots", "must not contain an empty path")
		}
	}
	for _, r := range c.Backup.AllowedRoots {
		if strings.TrimSpace(r) == "" {
			bad("backup.allowed_roots", "must not contain an empty path")
		}
	}
	if k := c.Storage.SecretKey; k != "" && len(k) < MinStorageSecretKeyBytes {
		bad("storage.secret_key", "must be at least %d bytes (or empty)", MinStorageSecretKeyBytes)
	}
	if f := c.Storage.SecretKeyFile; f != "" && c.Storage.DataDir != "" {
		// A key kept beside the data it protects protects nothing from
		// whoever copies the data directory.
		abs, err1 := filepath.Abs(f)
		dd, err2 := filepath.Abs(c.Storage.DataDir)
		if err1 == nil && err2 == nil && (abs == dd || strings.HasPrefix(abs, dd+string(filepath.Separator))) {
			bad("storage.secret_key_file", "must be outside the data directory")
		}
	}

	a := c.Auth
	switch n := distinctBytes(a.JWTSecret); {
	case a.JWTSecret == "":
	case len(a.JWTSecret) < MinJWTSecretBytes:
		bad("auth.jwt_secret", "must be at least %d bytes (or empty to generate one)", MinJWTSecretBytes)
	case n < MinJWTSecretDistinctBytes:
		// A placeholder ("changeme" repeated) passes the length and is
		// guessed: whoever guesses it forges any user's tokens.
		bad("auth.jwt_secret", "has only %d distinct characters, want at least %d: a placeholder, not a key "+
			"(generate one, e.g. openssl rand -hex 32, or leave it empty to have one generated)", n, MinJWTSecretDistinctBytes)
	}
	if a.AccessTokenTTL > 0 && a.RefreshTokenTTL > 0 && a.RefreshTokenTTL < a.AccessTokenTTL {
		bad("auth.refresh_token_ttl", "(%s) must not be shorter than auth.access_token_ttl (%s)", a.RefreshTokenTTL, a.AccessTokenTTL)
	}
	if a.LoginBackoff > 0 && a.LoginMaxBackoff > 0 && a.LoginMaxBackoff < a.LoginBackoff {
		bad("auth.login_max_backoff", "(%s) must not be shorter than auth.login_backoff (%s)", a.LoginMaxBackoff, a.LoginBackoff)
	}
	if a.LoginBackoff > 0 && a.LoginMaxUserBackoff > 0 && a.LoginMaxUserBackoff < a.LoginBackoff {
		bad("auth.login_max_user_backoff", "(%s) must not be shorter than auth.login_backoff (%s)", a.LoginMaxUserBackoff, a.LoginBackoff)
	}
	if len(a.RootPassword) > 72 {
		// bcrypt ignores (x/crypto refuses) bytes past 72.
		bad("auth.root_password", "must be at most 72 bytes")
	}

	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("logging.level", "%q is not one of debug, info, warn, error", c.Logging.Level)
	}
	switch c.Logging.Format {
	case "json", "console":
	default:
		bad("logging.format", "%q is not one of json, console", c.Logging.Format)
	}

	l := c.Limits
	if l.MaxValueBytes > 0 && l.StatementMemoryBytes < l.MaxValueBytes {
		bad("limits.statement_memory_bytes", "must be at least limits.max_value_bytes (%d)", l.MaxValueBytes)
	}
	if floor := c.minServerMemory(); l.UserMemoryBytes < -1 || (l.UserMemoryBytes > 0 && l.UserMemoryBytes < floor) {
		bad("limits.user_memory_bytes", "must be 0 (a quarter of server_memory_bytes), -1 (no share) or at least %d: "+
			"statement_memory_bytes + 2 × max_result_bytes + server.max_body_bytes, so that one request at its limits fits", floor)
	}
	if floor := c.minServerMemory(); l.ServerMemoryBytes != 0 && l.ServerMemoryBytes < floor {
		bad("limits.server_memory_bytes", "must be 0 (a quarter of the machine's memory) or at least %d: "+
			"statement_memory_bytes + 2 × max_result_bytes + server.max_body_bytes, so that one request at its limits fits", floor)
	}
	if l.HeapLimitBytes < -1 || (l.HeapLimitBytes > 0 && l.HeapLimitBytes < c.ServerMemory()) {
		bad("limits.heap_limit_bytes", "must be 0 (derived from server_memory_bytes), -1 (none) or at least server_memory_bytes as the server runs with it (%d): "+
			"below it the collector would run without pause while the server's statements hold what they may", c.ServerMemory())
	}

	ca := c.Cache
	if ca.PlanBytes < 0 || (ca.PlanEntries > 0 && ca.PlanBytes < 64<<10) {
		bad("cache.plan_bytes", "%d: must be at least 65536 with a plan cache, and never negative", ca.PlanBytes)
	}
	errs = append(errs, c.validateMemorySizes()...)
	return errors.Join(errs...)
}

// MinJWTSecretDistinctBytes is the fewest distinct bytes a configured JWT
// secret may have. A random hex secret of the shortest length accepted
// (32 characters) has about 14 of its 16; a placeholder repeated to the
// length ("changeme" × 4) has 7.
const MinJWTSecretDistinctBytes = 8

// distinctBytes counts the distinct bytes of s.
func distinctBytes(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// checkHost checks server.host: an IP address or a host name, without a
// port or brackets (the port is server.port, and the listen address is
// joined from both).
func checkHost(h string, bad func(key, format string, args ...any)) {
	switch {
	case strings.TrimSpace(h) == "":
		bad("server.host", "must not be empty")
	case net.ParseIP(h) != nil:
	case zonedIPv6(h):
	case !hostNamePattern.MatchString(h):
		bad("server.host", "%q is not an IP address or host name (without a port, a scheme or brackets: the port is server.port)", h)
	}
}

// zonedIPv6 reports whether h is an IPv6 address with its zone
// ("fe80::1%eth0"), which a link-local listen address needs and
// net.ParseIP does not read.
func zonedIPv6(h string) bool {
	addr, zone, ok := strings.Cut(h, "%")
	ip := net.ParseIP(addr)
	return ok && ip != nil && ip.To4() == nil && zone != "" && !strings.ContainsFunc(zone, func(r rune) bool {
		return r <= ' ' || r == '%' || r == '[' || r == ']' || r > '~'
	})
}

// hostNamePattern is a host name: RFC 1123 labels, with the underscores
// container networks put in service names.
var hostNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$`)

// checkDataDir checks storage.data_dir: set, and a directory if it
// exists (a missing one is created at start).
func checkDataDir(dir string, bad func(key, format string, args ...any)) {
	if strings.TrimSpace(dir) == "" {
		bad("storage.data_dir", "must not be empty")
		return
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		bad("storage.data_dir", "%s exists and is not a directory", dir)
	}
}

// Redacted returns a copy with secrets masked, for logging the effective
// configuration at start.
func (c Config) Redacted() Config {
	if c.Auth.RootPassword != "" {
		c.Auth.RootPassword = "[redacted]"
	}
	if c.Auth.JWTSecret != "" {
		c.Auth.JWTSecret = "[redacted]"
	}
	if c.Storage.SecretKey != "" {
		c.Storage.SecretKey = "[redacted]"
	}
	return c
}
