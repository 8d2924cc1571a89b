package config

import "testing"

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
