package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// sampleTOML is a server.toml fixture that changes a key in every section.
const sampleTOML = `
[server]
host = "0.0.0.0"
port = 9090
node_id = "node-7"
max_body_bytes = 2048
shutdown_timeout = "5s"

[storage]
data_dir = "/var/lib/kalamdb"
sync_writes = true
flush_rows = 500
flush_interval = "90s"
flush_check_interval = "2s"
job_workers = 3
job_max_start_retries = 5
allowed_roots = ["/srv/kalamdb-storages", "relative/roots"]

[auth]
root_password = "s3cret"
jwt_secret = "0123456789abcdef0123456789abcdef"
access_token_ttl = "15m"
refresh_token_ttl = "24h"
bcrypt_cost = 12
basic_cache_ttl = "30s"

[logging]
level = "debug"
format = "console"

[limits]
max_sql_bytes = 1024
max_statements_per_batch = 10
max_result_rows = 0
requests_per_second = 5
metrics_loopback_only = false

[websocket]
auth_timeout = "1500ms"
max_message_bytes = 4096
max_subscriptions_per_connection = 7
max_subscriptions_per_user = 20
messages_per_second = 12.5
`

// envJWTSecret is a JWT secret of 40 bytes that looks random enough.
const envJWTSecret = "k7Q2m9Xp4Lz8Rb3Nc6Vt1Wy5Hd0Jf2Gs8Ua4Eo6P"

// mapEnv is an Env over a fixed map.
func mapEnv(m map[string]string) Env {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.toml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsRunOutOfTheBox(t *testing.T) {
	cfg, err := Load("", mapEnv(nil))
	if err != nil {
		t.Fatalf("Load with no file and no env: %v", err)
	}
	if got := cfg.Server.Addr(); got != "127.0.0.1:8080" {
		t.Errorf("Addr = %q, want 127.0.0.1:8080", got)
	}
	if cfg.Storage.DataDir != "./data" {
		t.Errorf("DataDir = %q", cfg.Storage.DataDir)
	}
	checks := map[string][2]any{
		"max_body_bytes":        {cfg.Server.MaxBodyBytes, int64(10 << 20)},
		"access_token_ttl":      {cfg.Auth.AccessTokenTTL, time.Hour},
		"refresh_token_ttl":     {cfg.Auth.RefreshTokenTTL, 7 * 24 * time.Hour},
		"bcrypt_cost":           {cfg.Auth.BcryptCost, 10},
		"basic_cache_ttl":       {cfg.Auth.BasicCacheTTL, 60 * time.Second},
		"metrics_loopback_only": {cfg.Limits.MetricsLoopbackOnly, true},
		"requests_per_second":   {cfg.Limits.RequestsPerSecond, 0.0},
		"auth_timeout":          {cfg.WebSocket.AuthTimeout, 3 * time.Second},
		"max_message_bytes":     {cfg.WebSocket.MaxMessageBytes, int64(1 << 20)},
		"max_subs_per_conn":     {cfg.WebSocket.MaxSubscriptionsPerConnection, 100},
		"ws_messages_per_sec":   {cfg.WebSocket.MessagesPerSecond, 50.0},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
}

func TestLoadTOML(t *testing.T) {
	cfg, err := Load(writeFile(t, sampleTOML), mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.Host = "0.0.0.0"
	want.Server.Port = 9090
	want.Server.NodeID = "node-7"
	want.Server.MaxBodyBytes = 2048
	want.Server.ShutdownTimeout = 5 * time.Second
	want.Storage = StorageConfig{DataDir: "/var/lib/kalamdb", SyncWrites: true, FlushRows: 500,
		FlushInterval: 90 * time.Second, FlushCheckInterval: 2 * time.Second, JobWorkers: 3, JobMaxStartRetries: 5,
		AllowedRoots: []string{"/srv/kalamdb-storages", "relative/roots"}, S3CacheBytes: 64 * MiB}
	want.Auth.RootPassword = "s3cret"
	want.Auth.JWTSecret = "0123456789abcdef0123456789abcdef"
	want.Auth.AccessTokenTTL = 15 * time.Minute
	want.Auth.RefreshTokenTTL = 24 * time.Hour
	want.Auth.BcryptCost = 12
	want.Auth.BasicCacheTTL = 30 * time.Second
	want.Logging = LoggingConfig{Level: "debug", Format: "console"}
	want.Limits.MaxSQLBytes = 1024
	want.Limits.MaxStatementsPerBatch = 10
	want.Limits.MaxResultRows = 0
	want.Limits.RequestsPerSecond = 5 // a TOML integer into a float key
	want.Limits.MetricsLoopbackOnly = false
	want.WebSocket.AuthTimeout = 1500 * time.Millisecond
	want.WebSocket.MaxMessageBytes = 4096
	want.WebSocket.MaxSubscriptionsPerConnection = 7
	want.WebSocket.MaxSubscriptionsPerUser = 20
	want.WebSocket.MessagesPerSecond = 12.5
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("loaded config differs:\n got %+v\nwant %+v", *cfg, want)
	}
}

func TestPathFromKalamdbConfigEnv(t *testing.T) {
	p := writeFile(t, "[server]\nport = 7000\n")
	cfg, err := Load("", mapEnv(map[string]string{"KALAMDB_CONFIG": p}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Port != 7000 {
		t.Errorf("port = %d, want 7000 from $KALAMDB_CONFIG file", cfg.Server.Port)
	}
	// The flag wins over the environment variable.
	flag := writeFile(t, "[server]\nport = 7001\n")
	cfg, err = Load(flag, mapEnv(map[string]string{"KALAMDB_CONFIG": p}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Port != 7001 {
		t.Errorf("port = %d, want 7001 from --config file", cfg.Server.Port)
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"), mapEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("err = %v, want an error naming the file", err)
	}
}

func TestUnknownKeysAreErrorsNamingTheKey(t *testing.T) {
	for _, doc := range []string{
		"[server]\nhots = \"x\"\n",
		"[serverr]\nhost = \"x\"\n",
		"toplevel = 1\n",
	} {
		_, err := Load(writeFile(t, doc), mapEnv(nil))
		if err == nil {
			t.Errorf("%q: no error", doc)
			continue
		}
		for _, name := range []string{"hots", "serverr", "toplevel"} {
			if strings.Contains(doc, name) && !strings.Contains(err.Error(), name) {
				t.Errorf("%q: error %q does not name %q", doc, err, name)
			}
		}
	}
}

func TestTOMLTypeErrorNamesTheKey(t *testing.T) {
	_, err := Load(writeFile(t, "[server]\nport = \"eighty\"\n"), mapEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "port") {
		t.Fatalf("err = %v, want an error naming port", err)
	}
	_, err = Load(writeFile(t, "[auth]\naccess_token_ttl = \"an hour\"\n"), mapEnv(nil))
	if err == nil {
		t.Fatal("bad duration accepted")
	}
}

func TestEnvOverridesFile(t *testing.T) {
	p := writeFile(t, sampleTOML)
	env := map[string]string{
		"KALAMDB_SERVER_HOST":                  "10.0.0.1",
		"KALAMDB_SERVER_PORT":                  "8181",
		"KALAMDB_DATA_DIR":                     "/alias/dir",
		"KALAMDB_ROOT_PASSWORD":                "from-env",
		"KALAMDB_JWT_SECRET":                   envJWTSecret,
		"KALAMDB_LOG_LEVEL":                    "warn",
		"KALAMDB_NODE_ID":                      "n42",
		"KALAMDB_LIMITS_METRICS_LOOPBACK_ONLY": "true",
		"KALAMDB_LIMITS_REQUESTS_PER_SECOND":   "2.5",
		"KALAMDB_WEBSOCKET_AUTH_TIMEOUT":       "10s",
		"KALAMDB_STORAGE_SYNC_WRITES":          "false",
		"KALAMDB_SERVER_MAX_BODY_BYTES":        "4096",
		"KALAMDB_STORAGE_ALLOWED_ROOTS":        "/a:/b/c",
	}
	cfg, err := Load(p, mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"host":       cfg.Server.Host,
		"port":       cfg.Server.Port,
		"data_dir":   cfg.Storage.DataDir,
		"root":       cfg.Auth.RootPassword,
		"jwt":        cfg.Auth.JWTSecret,
		"level":      cfg.Logging.Level,
		"node":       cfg.Server.NodeID,
		"metrics":    cfg.Limits.MetricsLoopbackOnly,
		"rps":        cfg.Limits.RequestsPerSecond,
		"auth_to":    cfg.WebSocket.AuthTimeout,
		"sync":       cfg.Storage.SyncWrites,
		"body":       cfg.Server.MaxBodyBytes,
		"format":     cfg.Logging.Format, // not overridden: file value stays
		"cache_ttl":  cfg.Auth.BasicCacheTTL,
		"bcryptcost": cfg.Auth.BcryptCost,
		"roots":      cfg.Storage.AllowedRoots,
	}
	want := map[string]any{
		"host":       "10.0.0.1",
		"port":       8181,
		"data_dir":   "/alias/dir",
		"root":       "from-env",
		"jwt":        envJWTSecret,
		"level":      "warn",
		"node":       "n42",
		"metrics":    true,
		"rps":        2.5,
		"auth_to":    10 * time.Second,
		"sync":       false,
		"body":       int64(4096),
		"format":     "console",
		"cache_ttl":  30 * time.Second,
		"bcryptcost": 12,
		"roots":      []string{"/a", "/b/c"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestSystematicEnvNameBeatsAlias(t *testing.T) {
	cfg, err := Load("", mapEnv(map[string]string{
		"KALAMDB_DATA_DIR":         "/alias",
		"KALAMDB_STORAGE_DATA_DIR": "/systematic",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.DataDir != "/systematic" {
		t.Errorf("DataDir = %q, want /systematic", cfg.Storage.DataDir)
	}
}

func TestBadEnvValueNamesTheVariable(t *testing.T) {
	for name, val := range map[string]string{
		"KALAMDB_SERVER_PORT":                  "http",
		"KALAMDB_STORAGE_SYNC_WRITES":          "maybe",
		"KALAMDB_AUTH_ACCESS_TOKEN_TTL":        "3600", // no unit
		"KALAMDB_LIMITS_REQUESTS_PER_SECOND":   "fast",
		"KALAMDB_WEBSOCKET_MAX_MESSAGE_BYTES":  "1MB",
		"KALAMDB_LIMITS_METRICS_LOOPBACK_ONLY": "yes please",
	} {
		_, err := Load("", mapEnv(map[string]string{name: val}))
		if err == nil {
			t.Errorf("%s=%q accepted", name, val)
			continue
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %q does not name the variable", name, val, err)
		}
	}
	// Values that parse but are invalid are caught by Validate, naming the key.
	_, err := Load("", mapEnv(map[string]string{"KALAMDB_LOG_LEVEL": "loud"}))
	if err == nil || !strings.Contains(err.Error(), "logging.level") {
		t.Errorf("err = %v, want a logging.level error", err)
	}
}

// server.busy_poll takes 0 (off) up to MaxBusyPoll, microseconds
// included, from the file or the environment; outside that it is refused
// by name.
func TestBusyPollRange(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want time.Duration
		ok   bool
	}{{"0s", 0, true}, {"150us", 150 * time.Microsecond, true}, {"10ms", MaxBusyPoll, true}, {"11ms", 0, false}, {"-1us", 0, false}} {
		cfg, err := Load("", func(k string) (string, bool) {
			if k == "KALAMDB_SERVER_BUSY_POLL" {
				return tc.val, true
			}
			return "", false
		})
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s refused: %v", tc.val, err)
		case tc.ok && cfg.Server.BusyPoll != tc.want:
			t.Errorf("%s read as %s", tc.val, cfg.Server.BusyPoll)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "server.busy_poll")):
			t.Errorf("%s: want an error naming server.busy_poll, got %v", tc.val, err)
		}
	}
}

// limits.order_index_budget takes 0 (the engine's rule) up to
// MaxOrderIndexBudget entries, from the file or the environment; a
// negative or larger value is refused at start, by name.
func TestOrderIndexBudgetRange(t *testing.T) {
	if d := Default().Limits.OrderIndexBudget; d != 0 {
		t.Fatalf("default order_index_budget %d, want 0 (the engine's rule)", d)
	}
	for _, tc := range []struct {
		val  string
		want int
		ok   bool
	}{{"0", 0, true}, {"1", 1, true}, {"5000", 5000, true}, {fmt.Sprint(MaxOrderIndexBudget), MaxOrderIndexBudget, true},
		{fmt.Sprint(MaxOrderIndexBudget + 1), 0, false}, {"-1", 0, false}, {"99999999999999", 0, false}} {
		env := func(k string) (string, bool) {
			if k == "KALAMDB_LIMITS_ORDER_INDEX_BUDGET" {
				return tc.val, true
			}
			return "", false
		}
		file := writeFile(t, "[limits]\norder_index_budget = "+tc.val+"\n")
		for _, src := range []struct {
			name string
			cfg  func() (*Config, error)
		}{{"env", func() (*Config, error) { return Load("", env) }}, {"file", func() (*Config, error) { return Load(file, mapEnv(nil)) }}} {
			cfg, err := src.cfg()
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s %s refused: %v", src.name, tc.val, err)
			case tc.ok && cfg.Limits.OrderIndexBudget != tc.want:
				t.Errorf("%s %s read as %d", src.name, tc.val, cfg.Limits.OrderIndexBudget)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), "limits.order_index_budget")):
				t.Errorf("%s %s: want an error naming limits.order_index_budget, got %v", src.name, tc.val, err)
			}
		}
	}
}

func TestEveryKeyHasAnEnvName(t *testing.T) {
	names := EnvNames()
	// Each env name must set its field: set all of them to a valid value of
	// the field's type and check the config changed for every key.
	cfg := Default()
	keys := envKeys(&cfg)
	if len(keys) != len(names) {
		t.Fatalf("%d keys but %d env names", len(keys), len(names))
	}
	for _, want := range []string{
		"KALAMDB_SERVER_HOST", "KALAMDB_SERVER_PORT", "KALAMDB_STORAGE_DATA_DIR",
		"KALAMDB_AUTH_ROOT_PASSWORD", "KALAMDB_AUTH_JWT_SECRET", "KALAMDB_LOGGING_LEVEL",
		"KALAMDB_SERVER_NODE_ID", "KALAMDB_WEBSOCKET_MAX_SUBSCRIPTIONS_PER_USER",
	} {
		if _, ok := names[want]; !ok {
			t.Errorf("no env name %s", want)
		}
	}
	for alias, target := range Aliases() {
		if _, ok := names[target]; !ok {
			t.Errorf("alias %s targets unknown %s", alias, target)
		}
	}
	for _, k := range keys {
		var v string
		switch k.field.Interface().(type) {
		case time.Duration:
			v = "1m"
		case string:
			v = "x"
		case bool:
			v = "true"
		case int, int64:
			v = "3"
		case float64:
			v = "1.5"
		case []string:
			v = "/x:/y"
		default:
			t.Errorf("%s: field type %T not supported by env overrides", k.key, k.field.Interface())
			continue
		}
		if err := setField(k, k.env, v); err != nil {
			t.Errorf("%s: %v", k.env, err)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := Default()
	cfg.Server.Port = 70000
	cfg.Auth.JWTSecret = "short"
	cfg.Auth.BcryptCost = 2
	cfg.Logging.Format = "xml"
	cfg.WebSocket.AuthTimeout = 3 // 3ns: a TOML integer, not "3s"
	cfg.Auth.LoginFailuresPerUser = -1
	cfg.Auth.LoginMaxBackoff = 500 * time.Millisecond // under login_backoff
	cfg.Auth.LoginFailureHalfLife = 0
	cfg.Auth.MaxConcurrentPasswordChecks = -2
	cfg.Cache.PlanEntries = -1
	cfg.Cache.ColdBytes = 1 << 20 // under the smallest useful page cache
	cfg.Cache.RowBytes = -1
	cfg.Storage.JobMaxStartRetries = 0
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, key := range []string{"server.port", "auth.jwt_secret", "auth.bcrypt_cost", "logging.format", "websocket.auth_timeout",
		"auth.login_failures_per_user", "auth.login_max_backoff", "auth.login_failure_half_life", "auth.max_concurrent_password_checks",
		"cache.plan_entries", "cache.cold_bytes", "cache.row_bytes", "storage.job_max_start_retries"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
	if d := Default(); d.Validate() != nil {
		t.Errorf("defaults invalid: %v", d.Validate())
	}
}

// The shipped example must parse, document every key, and show the defaults.
func TestExampleFileDocumentsEveryKeyWithDefaults(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "server.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("example has unknown keys %v", u)
	}
	for _, key := range EnvNames() {
		section, name, _ := strings.Cut(key, ".")
		if !md.IsDefined(section, name) {
			t.Errorf("example does not document %s", key)
		}
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("example values differ from Default():\n got %+v\nwant %+v", cfg, Default())
	}
}

func TestStorageRoots(t *testing.T) {
	cfg := Default()
	cfg.Storage.DataDir = "/var/lib/kalamdb"
	if got, err := cfg.Storage.StorageRoots(); err != nil || !reflect.DeepEqual(got, []string{"/var/lib/kalamdb/storages"}) {
		t.Errorf("default roots: %v, %v", got, err)
	}
	cfg.Storage.AllowedRoots = []string{"/mnt/a", "rel"}
	wd, _ := os.Getwd()
	if got, err := cfg.Storage.StorageRoots(); err != nil || !reflect.DeepEqual(got, []string{"/mnt/a", filepath.Join(wd, "rel")}) {
		t.Errorf("configured roots: %v, %v", got, err)
	}
	cfg.Storage.AllowedRoots = []string{"/mnt/a", " "}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "storage.allowed_roots") {
		t.Errorf("an empty root accepted: %v", err)
	}
	// An empty variable means the default, not a root of "".
	loaded, err := Load("", mapEnv(map[string]string{"KALAMDB_STORAGE_ALLOWED_ROOTS": ""}))
	if err != nil || len(loaded.Storage.AllowedRoots) != 0 {
		t.Errorf("empty env list: %v, %v", loaded, err)
	}
}

func TestRedacted(t *testing.T) {
	cfg := Default()
	cfg.Auth.RootPassword = "pw"
	cfg.Auth.JWTSecret = strings.Repeat("s", 32)
	cfg.Storage.SecretKey = "storage-key-material"
	r := cfg.Redacted()
	if strings.Contains(r.Auth.RootPassword+r.Auth.JWTSecret, "pw") || strings.Contains(r.Auth.JWTSecret, "sss") {
		t.Errorf("secrets not redacted: %+v", r.Auth)
	}
	if strings.Contains(r.Storage.SecretKey, "material") {
		t.Errorf("storage secret key not redacted")
	}
	if cfg.Auth.RootPassword != "pw" {
		t.Error("Redacted modified the receiver")
	}
}

func TestEnsureJWTSecretGeneratesPersistsAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := Default()
	cfg.Storage.DataDir = dir
	if err := EnsureJWTSecret(&cfg); err != nil {
		t.Fatal(err)
	}
	first := cfg.Auth.JWTSecret
	if len(first) < MinJWTSecretBytes {
		t.Fatalf("generated secret %q too short", first)
	}
	st, err := os.Stat(filepath.Join(dir, JWTSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode %o, want 600", perm)
	}
	// A restart reads the same secret.
	again := Default()
	again.Storage.DataDir = dir
	if err := EnsureJWTSecret(&again); err != nil {
		t.Fatal(err)
	}
	if again.Auth.JWTSecret != first {
		t.Errorf("secret changed across restart: %q vs %q", again.Auth.JWTSecret, first)
	}
	// Another data dir gets a different one.
	other := Default()
	other.Storage.DataDir = t.TempDir()
	if err := EnsureJWTSecret(&other); err != nil {
		t.Fatal(err)
	}
	if other.Auth.JWTSecret == first {
		t.Error("two data dirs share a generated secret")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only %s", len(entries), JWTSecretFile)
	}
}

func TestEnsureJWTSecretKeepsConfiguredSecret(t *testing.T) {
	dir := t.TempDir()
	cfg := Default()
	cfg.Storage.DataDir = dir
	cfg.Auth.JWTSecret = strings.Repeat("c", 32)
	if err := EnsureJWTSecret(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.JWTSecret != strings.Repeat("c", 32) {
		t.Error("configured secret replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, JWTSecretFile)); !os.IsNotExist(err) {
		t.Errorf("secret file written although a secret was configured (stat err %v)", err)
	}
}

func TestEnsureJWTSecretRefusesTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, JWTSecretFile), []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Storage.DataDir = dir
	if err := EnsureJWTSecret(&cfg); err == nil {
		t.Fatal("a 3-byte secret file was accepted")
	}
}

func TestBackupRoots(t *testing.T) {
	cfg := Default()
	if got, err := cfg.Backup.BackupRoots("/var/lib/kalamdb"); err != nil || !reflect.DeepEqual(got, []string{"/var/lib/kalamdb/backups"}) {
		t.Errorf("default roots: %v, %v", got, err)
	}
	loaded, err := Load("", mapEnv(map[string]string{"KALAMDB_BACKUP_ALLOWED_ROOTS": "/mnt/b1:/mnt/b2"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loaded.Backup.BackupRoots("/d"); err != nil || !reflect.DeepEqual(got, []string{"/mnt/b1", "/mnt/b2"}) {
		t.Errorf("configured roots: %v, %v", got, err)
	}
	cfg.Backup.AllowedRoots = []string{""}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "backup.allowed_roots") {
		t.Errorf("an empty root accepted: %v", err)
	}
}

func TestStorageSecretKey(t *testing.T) {
	dir := t.TempDir()
	cfg := Default()
	cfg.Storage.DataDir = filepath.Join(dir, "data")
	if s, err := cfg.Storage.StorageSecret(); err != nil || s != "" {
		t.Fatalf("no key: %q, %v", s, err)
	}
	cfg.Storage.SecretKeyFile = filepath.Join(cfg.Storage.DataDir, "key")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "outside the data directory") {
		t.Fatalf("a key file inside the data directory: %v", err)
	}
	keyFile := filepath.Join(dir, "storage.key")
	cfg.Storage.SecretKeyFile = keyFile
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Storage.StorageSecret(); err == nil {
		t.Fatal("a short key file was accepted")
	}
	if err := os.WriteFile(keyFile, []byte("  a-long-enough-random-secret \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := cfg.Storage.StorageSecret(); err != nil || s != "a-long-enough-random-secret" {
		t.Fatalf("key file: %q, %v", s, err)
	}
	// The key itself (KALAMDB_STORAGE_SECRET_KEY) wins over the file.
	loaded, err := Load("", mapEnv(map[string]string{"KALAMDB_STORAGE_SECRET_KEY": "from-the-environment-123"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg = *loaded
	cfg.Storage.SecretKeyFile = keyFile
	if s, _ := cfg.Storage.StorageSecret(); s != "from-the-environment-123" {
		t.Fatalf("environment key: %q", s)
	}
	cfg.Storage.SecretKey = "short"
	if err := cfg.Validate(); err == nil {
		t.Fatal("a short key was accepted")
	}
}

// server.shutdown_timeout takes up to MaxShutdownTimeout, which leaves
// the whole shutdown's last seconds to the database's stop; past it, it
// is refused by name.
func TestShutdownTimeoutRange(t *testing.T) {
	for _, tc := range []struct {
		val string
		ok  bool
	}{{"30s", true}, {"55s", true}, {"56s", false}, {"0s", false}} {
		cfg, err := Load("", func(k string) (string, bool) {
			if k == "KALAMDB_SERVER_SHUTDOWN_TIMEOUT" {
				return tc.val, true
			}
			return "", false
		})
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s refused: %v", tc.val, err)
		case tc.ok && cfg.Server.ShutdownTimeout.String() != tc.val:
			t.Errorf("%s read as %s", tc.val, cfg.Server.ShutdownTimeout)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "server.shutdown_timeout")):
			t.Errorf("%s: want an error naming server.shutdown_timeout, got %v", tc.val, err)
		}
	}
}
