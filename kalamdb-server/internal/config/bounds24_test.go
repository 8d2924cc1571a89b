package config

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fieldOf returns the field of c that the dotted key sets.
func fieldOf(t *testing.T, c *Config, key string) reflect.Value {
	t.Helper()
	for _, k := range envKeys(c) {
		if k.key == key {
			return k.field
		}
	}
	t.Fatalf("no key %s", key)
	return reflect.Value{}
}

// setNumber sets a numeric field to n (a float field to float64(n)).
func setNumber(f reflect.Value, n int64) {
	if f.Kind() == reflect.Float64 {
		f.SetFloat(float64(n))
		return
	}
	f.SetInt(n)
}

// memoryBoundedKeys are the keys whose upper bound is the memory the
// process may use (validateMemorySizes), unchecked where it is unknown.
var memoryBoundedKeys = map[string]bool{
	"server.max_body_bytes": true, "storage.s3_cache_bytes": true, "limits.max_sql_bytes": true,
	"limits.max_result_bytes": true, "limits.max_value_bytes": true, "limits.statement_memory_bytes": true,
	"limits.server_memory_bytes": true, "limits.user_memory_bytes": true, "websocket.max_message_bytes": true,
	"websocket.send_queue_bytes": true, "websocket.max_batch_bytes": true, "cache.plan_bytes": true,
	"cache.cold_bytes": true, "cache.row_bytes": true,
}

// Every numeric key had at most a lower bound: a typo (a digit or a unit
// too many) made tokens near-permanent (access_token_ttl = "87600h"),
// locked a user name out for years (login_max_user_backoff), started a
// million job workers, or wrapped a conversion (requests_per_second =
// 1e300 became a burst of -2^63, and every request was refused). Each
// key now has a range; every value of the range's ends is accepted, one
// past either end is refused naming the key, the value and the range.
// Failed before: every value past a range's top was accepted.
func TestEveryRangeIsEnforcedAtBothEnds(t *testing.T) {
	if len(keyRanges) == 0 {
		t.Fatal("no ranges")
	}
	for _, r := range keyRanges {
		for _, tc := range []struct {
			n  int64
			ok bool
		}{{r.lo, true}, {r.hi, true}, {r.lo - 1, r.lo-1 == 0 && r.zero != ""}, {r.hi + 1, false}} {
			if tc.n == math.MaxInt64 || (tc.n == r.hi+1 && r.hi == math.MaxInt64) {
				continue
			}
			c := Default()
			if r.key == "auth.refresh_token_ttl" {
				c.Auth.AccessTokenTTL = time.Second // so that refresh may be as short as its floor
			}
			if r.key == "auth.login_backoff" {
				c.Auth.LoginMaxBackoff, c.Auth.LoginMaxUserBackoff = time.Hour, time.Hour
			}
			if r.key == "auth.login_max_backoff" || r.key == "auth.login_max_user_backoff" {
				c.Auth.LoginBackoff = time.Millisecond
			}
			if r.key == "server.max_connections" {
				c.Server.MaxUnauthenticatedConnections = 1
			}
			if r.key == "limits.statement_memory_bytes" {
				c.Limits.MaxValueBytes = 1
			}
			setNumber(fieldOf(t, &c, r.key), tc.n)
			err := c.Validate()
			if tc.ok && err != nil && strings.Contains(err.Error(), r.key+":") {
				t.Errorf("%s = %s refused: %v", r.key, r.format(tc.n), err)
			}
			if !tc.ok {
				if err == nil {
					t.Errorf("%s = %s accepted, want refused (range %s)", r.key, r.format(tc.n), r.rangeText())
					continue
				}
				for _, want := range []string{r.key, r.format(tc.n), r.rangeText()} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s = %s: error does not say %q: %v", r.key, r.format(tc.n), want, err)
					}
				}
			}
		}
	}
}

// A negative value means nothing for any key but the two whose -1 is
// documented (user_memory_bytes and heap_limit_bytes: no share, no
// limit): each is refused by name. Failed before: storage.s3_cache_bytes
// and cache.plan_bytes (without a plan cache) accepted negatives.
func TestNegativeValuesAreRefusedEverywhere(t *testing.T) {
	var c Config
	for _, k := range envKeys(&c) {
		switch k.field.Kind() {
		case reflect.Int, reflect.Int64, reflect.Float64:
		default:
			continue
		}
		n := int64(-1)
		if k.key == "limits.user_memory_bytes" || k.key == "limits.heap_limit_bytes" {
			n = -2
		}
		d := Default()
		setNumber(fieldOf(t, &d, k.key), n)
		if err := d.Validate(); err == nil || !strings.Contains(err.Error(), k.key) {
			t.Errorf("%s = %d: %v, want an error naming the key", k.key, n, err)
		}
	}
}

// The largest value a key's type holds (math.MaxInt64 nanoseconds,
// +Inf) is refused for every key, so no consumer multiplies or converts
// a value that wraps: the one exception is heap_limit_bytes, where a
// limit past the machine's memory is documented to set none. Failed
// before: most keys accepted it.
func TestHugeValuesAreRefusedEverywhere(t *testing.T) {
	known := memoryLimit() > 0
	var c Config
	for _, k := range envKeys(&c) {
		if k.key == "limits.heap_limit_bytes" || (!known && memoryBoundedKeys[k.key]) {
			continue
		}
		d := Default()
		f := fieldOf(t, &d, k.key)
		switch f.Kind() {
		case reflect.Int, reflect.Int64:
			f.SetInt(math.MaxInt64)
		case reflect.Float64:
			for _, x := range []float64{math.Inf(1), 1e300} {
				f.SetFloat(x)
				if err := d.Validate(); err == nil || !strings.Contains(err.Error(), k.key) {
					t.Errorf("%s = %g: %v, want an error naming the key", k.key, x, err)
				}
			}
			continue
		default:
			continue
		}
		if err := d.Validate(); err == nil || !strings.Contains(err.Error(), k.key) {
			t.Errorf("%s = MaxInt64: %v, want an error naming the key", k.key, err)
		}
	}
}

// Values too large for their type never reach Validate: the TOML decoder
// and the environment parser refuse them, naming the key or the
// variable, instead of wrapping.
func TestOverflowingValuesAreRefusedWhenRead(t *testing.T) {
	for _, doc := range []string{
		"[auth]\naccess_token_ttl = 9223372036854775808\n",
		"[auth]\naccess_token_ttl = \"3000000h\"\n", // 1.08e19 ns
		"[auth]\naccess_token_ttl = 1e30\n",
		"[storage]\njob_workers = 99999999999999999999\n",
		"[limits]\nrequests_per_second = inf\n",
		"[websocket]\nmessages_per_second = nan\n",
	} {
		_, err := Load(writeFile(t, doc), mapEnv(nil))
		key := strings.Fields(strings.SplitN(doc, "\n", 2)[1])[0]
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", doc, err, key)
		}
	}
	for name, val := range map[string]string{
		"KALAMDB_AUTH_REFRESH_TOKEN_TTL":     "3000000h",
		"KALAMDB_STORAGE_JOB_WORKERS":        "99999999999999999999",
		"KALAMDB_SERVER_MAX_BODY_BYTES":      "9223372036854775808",
		"KALAMDB_LIMITS_REQUESTS_PER_SECOND": "+Inf",
	} {
		_, err := Load("", mapEnv(map[string]string{name: val}))
		if err == nil || !(strings.Contains(err.Error(), name) || strings.Contains(err.Error(), EnvNames()[name])) {
			t.Errorf("%s=%s: %v, want an error naming the variable or its key", name, val, err)
		}
	}
}

// Every problem is reported at once, each with its key, value and range.
func TestRangeProblemsAreReportedTogether(t *testing.T) {
	c := Default()
	c.Auth.AccessTokenTTL = 10 * 365 * 24 * time.Hour
	c.Auth.RefreshTokenTTL = 20 * 365 * 24 * time.Hour
	c.Auth.LoginMaxUserBackoff = 1000 * time.Hour
	c.Storage.JobWorkers = 100000
	c.WebSocket.MessagesPerSecond = 1e9
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"auth.access_token_ttl: 87600h is outside 1s..24h",
		"auth.refresh_token_ttl: 175200h is outside 1s..8760h",
		"auth.login_max_user_backoff: 1000h is outside 1ms..1h",
		"storage.job_workers: 100000 is outside 1..64",
		"websocket.messages_per_second: 1000000000 is outside 0..10000",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// A JWT secret of 32 bytes or more that repeats a few characters
// ("changemechangemechangemechangeme") is a placeholder, not a key: its
// tokens can be forged by whoever guesses it. Failed before: accepted.
func TestPlaceholderJWTSecretIsRefused(t *testing.T) {
	for _, s := range []string{"changemechangemechangemechangeme", strings.Repeat("a", 64), strings.Repeat("secret", 6)} {
		c := Default()
		c.Auth.JWTSecret = s
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "auth.jwt_secret") {
			t.Errorf("%q: %v, want refused", s, err)
		} else if strings.Contains(err.Error(), s) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	for _, s := range []string{"0123456789abcdef0123456789abcdef", "3f9c1b27e04d8a65c2b7f1e09a4d6c38b5e2f7a19c0d4e6b8a3f5c7e9b1d2a4f"} {
		c := Default()
		c.Auth.JWTSecret = s
		if err := c.Validate(); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
}

// server.host is a host name or an IP address: a port or brackets in it
// made the listen address unusable ("[::1]" became "[[::1]]:8080"), and
// the server failed at listen with a message that named no key. Failed
// before: accepted.
func TestHostIsAnAddressWithoutPort(t *testing.T) {
	for _, h := range []string{"127.0.0.1:9000", "[::1]", "http://0.0.0.0", "local host"} {
		c := Default()
		c.Server.Host = h
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "server.host") {
			t.Errorf("%q: %v, want refused", h, err)
		}
	}
	for _, h := range []string{"127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "db-1.internal"} {
		c := Default()
		c.Server.Host = h
		if err := c.Validate(); err != nil {
			t.Errorf("%q refused: %v", h, err)
		}
	}
}

// A data directory that exists as a file cannot hold RocksDB: the server
// failed deep in the store's open. It is refused at start by name; a
// directory that does not exist yet is fine (it is created).
func TestDataDirThatIsAFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Storage.DataDir = file
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "storage.data_dir") {
		t.Errorf("a file: %v, want refused", err)
	}
	c.Storage.DataDir = filepath.Join(dir, "not", "yet")
	if err := c.Validate(); err != nil {
		t.Errorf("a directory to create: %v", err)
	}
}

// The example file documents every range: the comment above each ranged
// key states its top, so what Validate enforces is what operators read.
func TestExampleFileDocumentsEveryRange(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "server.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	comments := map[string]string{} // section.key -> the comment block above it
	section, block, afterKey := "", "", false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "["):
			section, block = strings.Trim(line, "[]"), ""
		case strings.HasPrefix(line, "#"):
			if afterKey {
				block, afterKey = "", false
			}
			block += line + "\n"
		case strings.Contains(line, "="):
			// Keys on consecutive lines share the comment above them.
			comments[section+"."+strings.TrimSpace(strings.SplitN(line, "=", 2)[0])] = block
			afterKey = true
		default:
			block = ""
		}
	}
	for _, r := range keyRanges {
		if r.hi == math.MaxInt64 {
			continue
		}
		if c := comments[r.key]; !strings.Contains(c, r.rangeText()) {
			t.Errorf("the example does not document %s's range %s..%s above it", r.key, r.format(r.lo), r.format(r.hi))
		}
	}
}

// Every range names a numeric key of Config, once.
func TestEveryRangeNamesANumericKey(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range keyRanges {
		var c Config
		switch fieldOf(t, &c, r.key).Kind() {
		case reflect.Int, reflect.Int64, reflect.Float64:
		default:
			t.Errorf("%s is not numeric", r.key)
		}
		if seen[r.key] || r.lo > r.hi {
			t.Errorf("%s: listed twice or an empty range", r.key)
		}
		seen[r.key] = true
		d := Default()
		if msg := r.check(fieldOf(t, &d, r.key)); msg != "" {
			t.Errorf("the default of %s is out of its range: %s", r.key, msg)
		}
	}
}
