package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

// A size with a digit too many made every bound derived from it bound
// nothing: server.max_body_bytes (or statement_memory_bytes, or
// max_result_bytes) past the machine's memory raised the server's memory
// account to fit one request at its limits, so the account, each user's
// share and the heap limit were all past the machine's memory; caches
// past it grew until the collector ran without pause. Each is refused at
// start, naming the keys and the memory the process may use. Failed
// before: every one of these configurations was accepted.
func TestSizesPastTheMachinesMemoryAreRefused(t *testing.T) {
	if memoryLimit() <= 0 {
		t.Skip("the memory this process may use is unknown here; the bounds are not checked")
	}
	const huge = 1 << 60 // past any machine's memory
	for _, tc := range []struct {
		name, key string
		set       func(*Config)
	}{
		{"body", "server.max_body_bytes", func(c *Config) { c.Server.MaxBodyBytes = huge }},
		{"statement memory", "limits.statement_memory_bytes", func(c *Config) { c.Limits.StatementMemoryBytes = huge }},
		{"result", "limits.max_result_bytes", func(c *Config) { c.Limits.MaxResultBytes = huge }},
		{"server memory", "limits.server_memory_bytes", func(c *Config) { c.Limits.ServerMemoryBytes = huge }},
		{"user memory", "limits.user_memory_bytes", func(c *Config) { c.Limits.UserMemoryBytes = huge }},
		{"cold cache", "cache.cold_bytes", func(c *Config) { c.Cache.ColdBytes = math.MaxInt64 }},
		{"row cache", "cache.row_bytes", func(c *Config) { c.Cache.RowBytes = huge }},
		{"plan cache", "cache.plan_bytes", func(c *Config) { c.Cache.PlanBytes = huge }},
		{"s3 cache", "storage.s3_cache_bytes", func(c *Config) { c.Storage.S3CacheBytes = huge }},
	} {
		c := Default()
		tc.set(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "the memory this process may use") {
			t.Errorf("%s: %v, want an error naming %s and the memory this process may use", tc.name, err, tc.key)
		}
	}
	// Together: caches that each fit and together do not.
	c := Default()
	c.Cache.ColdBytes, c.Cache.RowBytes = memoryLimit()/2+MiB, memoryLimit()/2+MiB
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "cache.cold_bytes") {
		t.Errorf("two caches of half the memory each: %v", err)
	}
	// What the machine holds is accepted.
	c = Default()
	c.Limits.ServerMemoryBytes = memoryLimit() / 2
	if err := c.Validate(); err != nil {
		t.Errorf("server_memory_bytes of half the memory: %v", err)
	}
}

// storage.flush_check_interval was checked only for being positive: a
// bare TOML integer ("30", meant as seconds) is 30 ns, and the flush
// scheduler ticked without pause. It is now checked like every other
// duration; storage.flush_interval (0: none) also must not be negative.
// Failed before: both were accepted.
func TestFlushDurationsInNanosecondsAreRefused(t *testing.T) {
	c := Default()
	c.Storage.FlushCheckInterval = 30
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "storage.flush_check_interval") {
		t.Errorf("flush_check_interval = 30ns: %v", err)
	}
	c = Default()
	c.Storage.FlushInterval = -time.Second
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "storage.flush_interval") {
		t.Errorf("flush_interval = -1s: %v", err)
	}
}

// The s3 range cache (storage.s3_cache_bytes) is in the Go heap like
// the other caches, but the derived heap limit left it out: a server
// with s3 storages and a large range cache had that much less room for
// what the accounts allow, and the collector ran sooner than it had to.
// Failed before: the two limits were equal.
func TestHeapLimitCountsTheS3Cache(t *testing.T) {
	c := Default()
	c.Limits.ServerMemoryBytes = 1 << 30
	c.Storage.S3CacheBytes = 0
	without, _ := c.HeapLimit("")
	c.Storage.S3CacheBytes = 256 * MiB
	with, _ := c.HeapLimit("")
	if cap := max(availableMemory()/4*3, 1<<30); with == cap {
		t.Skipf("the derived limit is capped at three quarters of this machine's memory (%d)", cap)
	}
	if with-without != 256*MiB {
		t.Errorf("heap limit %d with a 256 MiB s3 cache, %d without", with, without)
	}
}
