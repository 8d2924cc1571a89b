package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerMemoryDefault(t *testing.T) {
	c := Default()
	floor := c.Limits.StatementMemoryBytes + 2*c.Limits.MaxResultBytes + c.Server.MaxBodyBytes
	got := c.ServerMemory()
	if want := max(availableMemory()/4, floor); got != want {
		t.Fatalf("default server memory %d, want %d (a quarter of %d, at least %d)", got, want, availableMemory(), floor)
	}
	c.Limits.ServerMemoryBytes = 5 << 30
	if got := c.ServerMemory(); got != 5<<30 {
		t.Fatalf("configured 5 GiB, got %d", got)
	}
	// Set, it must fit one request at its limits.
	c.Limits.ServerMemoryBytes = floor - 1
	if err := c.Validate(); err == nil {
		t.Fatal("server_memory_bytes below one request's limits accepted")
	}
	c.Limits.ServerMemoryBytes = floor
	if err := c.Validate(); err != nil {
		t.Fatalf("server_memory_bytes at one request's limits: %v", err)
	}
}

func TestMemoryReadings(t *testing.T) {
	if got := parseMemTotal([]byte("MemFree:  100 kB\nMemTotal:       24576000 kB\n")); got != 24576000*1024 {
		t.Fatalf("MemTotal: %d", got)
	}
	for _, bad := range []string{"", "MemTotal: x kB\n", "MemTotal: -1 kB\n", "MemTotal: 99999999999999999999 kB\n"} {
		if got := parseMemTotal([]byte(bad)); got != 0 {
			t.Fatalf("%q: %d, want 0", bad, got)
		}
	}
	for in, want := range map[string]int64{"max\n": 0, "1073741824\n": 1 << 30, "9223372036854771712\n": 0, "": 0, "-5": 0} {
		if got := parseCgroupLimit([]byte(in)); got != want {
			t.Fatalf("cgroup %q: %d, want %d", in, got, want)
		}
	}
}

func TestUserMemoryDefault(t *testing.T) {
	c := Default()
	floor := c.minServerMemory()
	c.Limits.ServerMemoryBytes = 8 << 30
	if got := c.UserMemory(); got != 2<<30 {
		t.Fatalf("default share of 8 GiB: %d, want 2 GiB", got)
	}
	c.Limits.ServerMemoryBytes = floor // a quarter would be under one request
	if got := c.UserMemory(); got != floor {
		t.Fatalf("share at the smallest bound: %d, want %d", got, floor)
	}
	c.Limits.UserMemoryBytes = -1
	if got := c.UserMemory(); got != 0 {
		t.Fatalf("no share: %d", got)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("-1: %v", err)
	}
	for _, bad := range []int64{-2, floor - 1} {
		c.Limits.UserMemoryBytes = bad
		if err := c.Validate(); err == nil {
			t.Fatalf("user_memory_bytes %d accepted", bad)
		}
	}
}

// The limit is the lowest on the way from the process's own cgroup up to
// the hierarchy's root, in v2 and in v1.
func TestCgroupLimitOfTheProcessCgroup(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "sys")
	write("sys/memory.max", "max\n")
	write("sys/system.slice/memory.max", "8589934592\n")
	write("sys/system.slice/kalamdb.service/memory.max", "max\n")
	write("v2", "0::/system.slice/kalamdb.service\n")
	if got := cgroupLimitAt(filepath.Join(dir, "v2"), root); got != 8<<30 {
		t.Fatalf("v2: %d, want the parent's 8 GiB", got)
	}
	write("sys/memory/memory.limit_in_bytes", "9223372036854771712\n")
	write("sys/memory/process_api/x/memory.limit_in_bytes", "2147483648\n")
	write("v1", "4:memory:/process_api/x\n3:cpuset:/\n")
	if got := cgroupLimitAt(filepath.Join(dir, "v1"), root); got != 2<<30 {
		t.Fatalf("v1: %d, want 2 GiB", got)
	}
	write("none", "0::/\n")
	if got := cgroupLimitAt(filepath.Join(dir, "none"), filepath.Join(dir, "empty")); got != 0 {
		t.Fatalf("no limit: %d", got)
	}
	// Without /proc/self/cgroup, the roots.
	write("sys2/memory.max", "1073741824\n")
	if got := cgroupLimitAt(filepath.Join(dir, "missing"), filepath.Join(dir, "sys2")); got != 1<<30 {
		t.Fatalf("roots: %d", got)
	}
}

// TestHeapLimit: the runtime's soft memory limit is the configured one;
// by default twice the server's memory bound plus the caches and a base
// (at most the memory the process may use), unless GOMEMLIMIT already set
// one; -1 sets none. A configured limit below the server's memory bound
// is refused: the collector would run without pause while statements
// hold only what they may.
func TestHeapLimit(t *testing.T) {
	c := Default()
	c.Limits.ServerMemoryBytes = 1 << 30
	want := int64(2<<30) + c.Cache.ColdBytes + c.Cache.RowBytes + c.Cache.PlanBytes + c.Storage.S3CacheBytes + heapBase
	want = min(want, max(availableMemory()/4*3, 1<<30))
	if got, set := c.HeapLimit(""); !set || got != want {
		t.Errorf("default: %d (set %v), want %d", got, set, want)
	}
	// A server bound of half the memory (a small container) derives more
	// than the process may use: the limit leaves a quarter of it to
	// RocksDB, which allocates outside the Go heap.
	big := Default()
	big.Limits.ServerMemoryBytes = availableMemory() / 2
	if got, set := big.HeapLimit(""); !set || got != availableMemory()/4*3 {
		t.Errorf("server bound of half the memory: %d (set %v), want three quarters of %d", got, set, availableMemory())
	}
	if _, set := c.HeapLimit("3GiB"); set {
		t.Error("default with GOMEMLIMIT: the server replaced the operator's limit")
	}
	c.Limits.HeapLimitBytes = 3 << 30
	if got, set := c.HeapLimit("1GiB"); !set || got != 3<<30 {
		t.Errorf("configured 3 GiB: %d (set %v)", got, set)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("3 GiB: %v", err)
	}
	c.Limits.HeapLimitBytes = -1
	if _, set := c.HeapLimit(""); set {
		t.Error("-1: a limit was set")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("-1: %v", err)
	}
	for _, bad := range []int64{-2, 1<<30 - 1} {
		c.Limits.HeapLimitBytes = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "limits.heap_limit_bytes") {
			t.Errorf("%d: %v, want an error naming limits.heap_limit_bytes", bad, err)
		}
	}
}
