package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// keyRange is the range a numeric key accepts: lo..hi inclusive (a
// duration's in nanoseconds, a float's as whole numbers), and 0 besides
// when zero says what 0 means. A hi of math.MaxInt64 means the key has
// no bound of its own here: a byte size, bounded by the memory the
// process may use (validateMemorySizes).
//
// Why every key has a top: a value past it is a typo (a digit or a unit
// too many) rather than a choice, and it is not harmless. A token TTL
// of years is a token that leaks and stays usable; a lock-out of years
// is a user locked out by whoever guesses at their name; a million job
// workers or WebSocket messages a second bound nothing; and a consumer
// that converts or multiplies the value (2 × messages_per_second as an
// int, ceil(requests_per_second) as a burst) wraps past the type.
type keyRange struct {
	key    string
	lo, hi int64
	zero   string
	why    string
}

// unbounded marks a byte size whose top is the memory the process may
// use.
const unbounded = math.MaxInt64

// keyRanges lists every numeric key with a plain range. Keys whose
// bounds depend on other keys (max_unauthenticated_connections,
// server_memory_bytes, user_memory_bytes, heap_limit_bytes, plan_bytes)
// are checked in Validate.
var keyRanges = []keyRange{
	{key: "server.port", lo: 1, hi: 65535, zero: "a free port"},
	{key: "server.max_body_bytes", lo: 1, hi: unbounded},
	{key: "server.read_header_timeout", lo: ms, hi: int64(5 * time.Minute),
		why: "headers arrive in a packet or a few; a client slower than that holds a connection and a goroutine (slowloris)"},
	{key: "server.read_body_timeout", lo: ms, hi: int64(time.Hour),
		why: "past it a client trickling a body holds its share of server memory that long"},
	{key: "server.write_timeout", lo: ms, hi: int64(time.Hour),
		why: "past it a client that does not read holds its answer's memory that long"},
	{key: "server.idle_timeout", lo: ms, hi: int64(time.Hour),
		why: "an idle keep-alive connection holds a connection slot"},
	{key: "server.max_connections", lo: 1, hi: MaxConnections,
		why: "at most half the open-file limit is used, and no system allows more than this many open files by default"},
	{key: "server.max_connections_per_user", lo: 1, hi: MaxConnections, zero: "no limit"},
	{key: "server.busy_poll", lo: int64(time.Microsecond), hi: int64(MaxBusyPoll), zero: "no polling",
		why: "past it a poll costs more CPU than the wake-up it saves"},
	{key: "server.shutdown_timeout", lo: ms, hi: int64(MaxShutdownTimeout),
		why: "the whole shutdown has 60 s, and its last 5 s are the database's (the marks of the jobs still running, the store's close)"},

	{key: "storage.flush_rows", lo: 1, hi: 1 << 30, zero: "off",
		why: "past it a partition is never flushed by rows: say so with 0"},
	{key: "storage.flush_interval", lo: int64(time.Second), hi: int64(7 * 24 * time.Hour), zero: "off",
		why: "under a second every table writes a Parquet file a second; past a week rows stay in the hot tier as if off: say so with 0"},
	{key: "storage.flush_check_interval", lo: int64(10 * time.Millisecond), hi: int64(time.Hour),
		why: "more often spends a core on checks; less often flushes by rows late by that much"},
	{key: "storage.job_workers", lo: 1, hi: MaxJobWorkers,
		why: "each running job (a compaction) holds its own readers, writers and buffers; more at once than this is past what a disk serves in parallel"},
	{key: "storage.job_max_start_retries", lo: 1, hi: MaxJobStartRetries,
		why: "more starts than this killed by one job is a crash loop however it is set"},
	{key: "storage.s3_cache_bytes", lo: 1, hi: unbounded, zero: "no cache"},

	{key: "auth.access_token_ttl", lo: int64(time.Second), hi: int64(24 * time.Hour),
		why: "a token that leaks stays usable until it expires"},
	{key: "auth.refresh_token_ttl", lo: int64(time.Second), hi: int64(365 * 24 * time.Hour),
		why: "a session past a year outlives what its sign-in vouched for"},
	{key: "auth.bcrypt_cost", lo: int64(bcrypt.MinCost), hi: MaxBcryptCost,
		why: "each step doubles a check (measured on a shared 2-core machine: cost 10, 0.27 s; 12, 0.77 s; 14, 3.1 s): past it a sign-in outlasts what a client waits, and a few hold every core"},
	{key: "auth.basic_cache_ttl", lo: ms, hi: int64(time.Hour), zero: "no cache",
		why: "a remembered credential skips bcrypt; longer than an hour saves nothing more and keeps it in memory"},
	{key: "auth.basic_cache_max_entries", lo: 1, hi: 1_000_000, zero: "no cache",
		why: "each entry takes memory; a million covers a million active users"},
	{key: "auth.login_failures_per_user_client", lo: 1, hi: 1_000_000, zero: "off", why: "past it the count never locks: say so with 0"},
	{key: "auth.login_failures_per_client", lo: 1, hi: 1_000_000, zero: "off", why: "past it the count never locks: say so with 0"},
	{key: "auth.login_failures_per_user", lo: 1, hi: 1_000_000, zero: "off", why: "past it the count never locks: say so with 0"},
	{key: "auth.login_backoff", lo: ms, hi: int64(time.Hour),
		why: "the first lock, at most auth.login_max_user_backoff"},
	{key: "auth.login_max_backoff", lo: ms, hi: int64(24 * time.Hour),
		why: "a lock of days is a denial of service on whoever shares the address"},
	{key: "auth.login_max_user_backoff", lo: ms, hi: int64(time.Hour),
		why: "anyone may guess at a user name from anywhere: past it they lock its owner out of new addresses that long"},
	{key: "auth.login_failure_half_life", lo: int64(time.Second), hi: int64(24 * time.Hour),
		why: "shorter, counts vanish before they lock; longer, last week's typos still lock today"},
	{key: "auth.max_concurrent_password_checks", lo: 1, hi: 1024, zero: "the number of CPU cores",
		why: "checks are CPU-bound: more at once than cores only lengthens each"},
	{key: "auth.password_check_wait", lo: ms, hi: int64(time.Minute), zero: "no wait",
		why: "a request waiting longer has been given up by its client"},

	{key: "limits.max_sql_bytes", lo: 1, hi: unbounded},
	{key: "limits.max_statements_per_batch", lo: 1, hi: 1_000_000,
		why: "no client sends more in one request; past it the bound guards nothing"},
	{key: "limits.max_result_rows", lo: 1, hi: 1 << 30, zero: "no limit",
		why: "past it limits.max_result_bytes always stops a result first: say no limit with 0"},
	{key: "limits.max_result_bytes", lo: 1, hi: unbounded},
	{key: "limits.statement_timeout", lo: ms, hi: int64(MaxStatementTimeout),
		why: "a statement running longer holds its snapshot and memory that long; run longer work as several"},
	{key: "limits.statement_timeout_user", lo: ms, hi: int64(MaxStatementTimeout), zero: "limits.statement_timeout"},
	{key: "limits.statement_timeout_service", lo: ms, hi: int64(MaxStatementTimeout), zero: "limits.statement_timeout"},
	{key: "limits.statement_timeout_dba", lo: ms, hi: int64(MaxStatementTimeout), zero: "limits.statement_timeout"},
	{key: "limits.statement_timeout_system", lo: ms, hi: int64(MaxStatementTimeout), zero: "limits.statement_timeout"},
	{key: "limits.max_value_bytes", lo: 1, hi: unbounded},
	{key: "limits.statement_memory_bytes", lo: 1, hi: unbounded},
	{key: "limits.max_expression_depth", lo: 1, hi: 10_000,
		why: "the parser overflows its stack, killing the process, at about 100,000 levels"},
	{key: "limits.max_statement_complexity", lo: 1, hi: 100_000_000,
		why: "planning time grows with it and cannot be interrupted: past it an operator chain plans for minutes, deaf to statement_timeout"},
	{key: "limits.max_statement_target_entries", lo: MinStatementTargetEntries, hi: MaxStatementTargetEntries,
		why: "below it one list as long as a list may be is refused; past it lists side by side plan for seconds, deaf to statement_timeout"},
	{key: "limits.order_index_budget", lo: 1, hi: MaxOrderIndexBudget, zero: "max(1024, 20 × (LIMIT + OFFSET))",
		why: "a billion entries before switching is already never switching"},
	{key: "limits.requests_per_second", lo: 0, hi: 1_000_000, zero: "no limit",
		why: "a million requests a second from one user is past what a server answers: say no limit with 0"},
	{key: "limits.requests_burst", lo: 1, hi: 1_000_000, zero: "max(1, ceil(requests_per_second))",
		why: "a burst past a million is no limit"},

	{key: "websocket.auth_timeout", lo: ms, hi: int64(time.Minute),
		why: "an unauthenticated socket holds a connection slot and a goroutine"},
	{key: "websocket.max_message_bytes", lo: 1, hi: unbounded},
	{key: "websocket.max_subscriptions_per_connection", lo: 1, hi: 10_000,
		why: "a connection may send twice as many requests at once, and its queue holds them"},
	{key: "websocket.max_subscriptions_per_user", lo: 1, hi: 1_000_000, zero: "no limit"},
	{key: "websocket.send_queue_size", lo: 1, hi: 1 << 20,
		why: "websocket.send_queue_bytes bounds the queue's memory; past a million entries a client is that far behind"},
	{key: "websocket.send_queue_bytes", lo: 1, hi: unbounded},
	{key: "websocket.max_batch_bytes", lo: 1, hi: unbounded},
	{key: "websocket.loading_idle_timeout", lo: ms, hi: int64(time.Hour),
		why: "a loading subscription holds a snapshot, and the Parquet files it reads stay on disk"},
	{key: "websocket.loading_max_duration", lo: ms, hi: int64(24 * time.Hour),
		why: "a loading subscription holds a snapshot, and the Parquet files it reads stay on disk"},
	{key: "websocket.messages_per_second", lo: 0, hi: 10_000, zero: "no limit",
		why: "a connection may queue twice as many requests; past it the rate bounds nothing: say no limit with 0"},

	{key: "cache.plan_entries", lo: 1, hi: 1_000_000, zero: "no plan cache",
		why: "cache.plan_bytes bounds the memory; past a million statements the cache only costs lookups"},
	{key: "cache.cold_bytes", lo: 4 * MiB, hi: unbounded, zero: "no page cache",
		why: "one row group's bloom filter alone may take 128 KiB"},
	{key: "cache.row_bytes", lo: 1, hi: unbounded, zero: "no row cache"},
}

// Tops of keys that other packages or tests name.
const (
	// MaxConnections bounds server.max_connections: Linux's default
	// ceiling on one process's open files (fs.nr_open).
	MaxConnections = 1 << 20
	// MaxJobWorkers bounds storage.job_workers.
	MaxJobWorkers = 64
	// MaxBcryptCost bounds auth.bcrypt_cost.
	MaxBcryptCost = 14
	// MaxStatementTimeout bounds limits.statement_timeout and its per-role
	// keys.
	MaxStatementTimeout = 24 * time.Hour
	// MinStatementTargetEntries and MaxStatementTargetEntries bound
	// limits.max_statement_target_entries: one select list as long as a
	// list may be (PostgreSQL's 1664), and sixteen (each list over a
	// 1600-column table costs about 60 ms of planning the time limit
	// cannot stop, and the arms of a set operation more than that).
	MinStatementTargetEntries = 1664
	MaxStatementTargetEntries = 16 * 1664
)

// ms is the floor of most durations: a bare TOML integer is nanoseconds,
// so a value under it is almost certainly "30" meant as seconds.
const ms = int64(time.Millisecond)

// checkRanges checks every key of keyRanges, returning one error per key
// out of its range.
func (c *Config) checkRanges() []error {
	fields := map[string]reflect.Value{}
	for _, k := range envKeys(c) {
		fields[k.key] = k.field
	}
	var errs []error
	for _, r := range keyRanges {
		f, ok := fields[r.key]
		if !ok {
			continue // TestEveryRangeNamesANumericKey keeps the table right
		}
		if msg := r.check(f); msg != "" {
			errs = append(errs, fmt.Errorf("config: %s: %s", r.key, msg))
		}
	}
	return errs
}

// check returns why f's value is out of r, or "".
func (r keyRange) check(f reflect.Value) string {
	var shown string
	switch f.Kind() {
	case reflect.Float64:
		x := f.Float()
		if x == 0 && r.zero != "" || x >= float64(r.lo) && x <= float64(r.hi) {
			return ""
		}
		shown = strconv.FormatFloat(x, 'g', -1, 64)
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			shown = strconv.FormatFloat(x, 'f', -1, 64)
		}
	default:
		n := f.Int()
		if n == 0 && r.zero != "" || n >= r.lo && n <= r.hi {
			return ""
		}
		shown = r.format(n)
	}
	msg := shown + " is outside " + r.rangeText()
	switch {
	case r.zero != "" && r.lo > 0:
		msg += " (or 0: " + r.zero + ")"
	case r.zero != "":
		msg += " (0: " + r.zero + ")"
	}
	if r.isDuration() && f.Int() > 0 && f.Int() < ms {
		msg += `: a bare TOML integer is nanoseconds; write durations as strings such as "30s"`
	} else if r.why != "" {
		msg += ": " + r.why
	}
	return msg
}

// rangeText is lo..hi as format shows them.
func (r keyRange) rangeText() string {
	if r.hi == unbounded {
		return r.format(r.lo) + "..(the memory this process may use)"
	}
	return r.format(r.lo) + ".." + r.format(r.hi)
}

// format shows n as the key's type does: a duration without its zero
// minutes and seconds ("24h", not "24h0m0s"), an integer as digits.
func (r keyRange) format(n int64) string {
	if !r.isDuration() {
		return strconv.FormatInt(n, 10)
	}
	s := time.Duration(n).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// durationKeys are the keys of keyRanges whose field is a time.Duration,
// found once from Config's type.
var durationKeys = func() map[string]bool {
	out := map[string]bool{}
	var c Config
	for _, k := range envKeys(&c) {
		if k.field.Type() == reflect.TypeOf(time.Duration(0)) {
			out[k.key] = true
		}
	}
	return out
}()

func (r keyRange) isDuration() bool { return durationKeys[r.key] }
