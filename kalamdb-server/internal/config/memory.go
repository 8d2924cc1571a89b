package config

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ServerMemory is limits.server_memory_bytes as the server runs with it:
// the configured bound, or when it is 0 a quarter of the memory the
// process may use (the machine's, or its cgroup's limit when lower), and
// never less than one request at its limits needs. A quarter, because
// what the account counts is live data: the Go heap grows to about twice
// its live data between collections, and the rest of the process (RocksDB's
// block cache and memtables, the caches) needs its share.
func (c *Config) ServerMemory() int64 {
	if c.Limits.ServerMemoryBytes > 0 {
		return c.Limits.ServerMemoryBytes
	}
	return max(availableMemory()/4, c.minServerMemory())
}

// UserMemory is limits.user_memory_bytes as the server runs with it: the
// configured share, or when it is 0 a quarter of ServerMemory, never less
// than one request at its limits needs; 0 when there is no share (-1).
func (c *Config) UserMemory() int64 {
	switch l := c.Limits.UserMemoryBytes; {
	case l < 0:
		return 0
	case l > 0:
		return l
	}
	return max(c.ServerMemory()/4, c.minServerMemory())
}

// HeapLimit is the Go runtime's soft memory limit as the server runs
// with it (debug.SetMemoryLimit), and whether the server sets one: the
// configured limits.heap_limit_bytes; when it is 0, GOMEMLIMIT from the
// environment (goMemLimit, the operator's own choice, which the runtime
// has already read) or else twice ServerMemory plus the caches' bounds
// (cacheBytes) and a base for the runtime, at most three quarters of the memory the
// process may use (the rest is RocksDB's, which allocates outside the Go
// heap: its block cache and memtables); none when it is -1.
//
// Why: the server's memory account bounds the live bytes statements and
// answers hold, but the Go heap grows to about twice its live data
// between collections (GOGC=100), and garbage that no account sees (a
// statement's values built and dropped row by row) counts as well. Six
// concurrent statements of one user, each failing at its 256 MiB limit,
// took the process to 3 GB resident and left it there: the runtime only
// gives memory back to the system slowly while no limit presses it. With
// a limit the collector runs sooner as the heap nears it, and the
// scavenger returns freed memory promptly to stay under it, so no
// statement mix pushes the process past it into the OOM killer or keeps
// it there.
func (c *Config) HeapLimit(goMemLimit string) (limit int64, set bool) {
	switch l := c.Limits.HeapLimitBytes; {
	case l < 0:
		return 0, false
	case l > 0:
		return l, true
	}
	if goMemLimit != "" {
		return 0, false
	}
	derived := satAdd(satAdd(satAdd(c.ServerMemory(), c.ServerMemory()), c.cacheBytes()), heapBase)
	return min(derived, max(availableMemory()/4*3, c.ServerMemory())), true
}

// cacheBytes is what the caches may hold together, all in the Go heap:
// the plan, page and row caches and the s3 range cache.
func (c *Config) cacheBytes() int64 {
	ca := c.Cache
	return satAdd(satAdd(max(ca.ColdBytes, 0), max(ca.RowBytes, 0)), satAdd(max(ca.PlanBytes, 0), max(c.Storage.S3CacheBytes, 0)))
}

// heapBase is what the runtime and the server's own structures take
// besides what the accounts and caches bound: goroutine stacks, the
// catalog, connections' buffers.
const heapBase = 256 << 20

// minServerMemory is what one request may hold at its limits: its
// statement's memory, its result rows and their encoding, and its body.
func (c *Config) minServerMemory() int64 {
	l := c.Limits
	return satAdd(satAdd(l.StatementMemoryBytes, satAdd(l.MaxResultBytes, l.MaxResultBytes)), c.Server.MaxBodyBytes)
}

// satAdd is a + b for a, b >= 0, at most the int64 maximum.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// availableMemory is the memory the process may use (memoryLimit), or
// 4 GiB when it is unknown.
func availableMemory() int64 {
	if n := memoryLimit(); n > 0 {
		return n
	}
	return 4 << 30
}

// memoryLimit is the memory the process may use: the lower of the
// machine's (MemTotal) and its cgroup's limit; 0 when neither can be read.
func memoryLimit() int64 {
	n := memTotal()
	if lim := cgroupLimit(); lim > 0 && (n <= 0 || lim < n) {
		n = lim
	}
	return max(n, 0)
}

// validateMemorySizes refuses byte sizes past the memory the process may
// use, which are typos (a digit too many) rather than choices: the bounds
// derived from them would bound nothing. One request at its limits past
// it raises the server's account, each user's share and the heap limit
// past it too (they must fit that request); caches past it grow until
// the collector runs without pause. (A heap limit past it is allowed: it
// sets no limit, like -1, and bounds nothing else.) Where that memory is unknown (no
// /proc/meminfo, no cgroup limit) nothing is checked: a guess would
// refuse real machines.
func (c *Config) validateMemorySizes() []error {
	avail := memoryLimit()
	if avail <= 0 {
		return nil
	}
	var errs []error
	past := func(key string, n int64, what string) {
		if n > avail {
			errs = append(errs, fmt.Errorf("config: %s: %d is more than the memory this process may use (%d bytes)%s", key, n, avail, what))
		}
	}
	l := c.Limits
	past("limits.statement_memory_bytes + 2 × limits.max_result_bytes + server.max_body_bytes", c.minServerMemory(),
		": the server's memory bound must fit one request at its limits, and would bound nothing")
	past("limits.server_memory_bytes", l.ServerMemoryBytes, "")
	past("limits.user_memory_bytes", l.UserMemoryBytes, "")
	past("cache.cold_bytes + cache.row_bytes + cache.plan_bytes + storage.s3_cache_bytes", c.cacheBytes(),
		": the caches would grow until the collector ran without pause")
	// Bounds on one request, one value or one connection: past the
	// memory, each bounds nothing.
	past("limits.max_sql_bytes", l.MaxSQLBytes, "")
	past("limits.max_value_bytes", l.MaxValueBytes, "")
	w := c.WebSocket
	past("websocket.max_message_bytes", w.MaxMessageBytes, "")
	past("websocket.send_queue_bytes", w.SendQueueBytes, "")
	past("websocket.max_batch_bytes", w.MaxBatchBytes, "")
	return errs
}

// memTotal reads MemTotal from /proc/meminfo (0 when unknown).
func memTotal() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(data)
}

func parseMemTotal(data []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb <= 0 || kb > math.MaxInt64/1024 {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// cgroupLimit is the memory limit of the process's cgroup (v2 or v1), 0
// when there is none or it cannot be read.
func cgroupLimit() int64 { return cgroupLimitAt("/proc/self/cgroup", "/sys/fs/cgroup") }

// cgroupLimitAt reads the process's cgroups from self (/proc/self/cgroup)
// and their limits under root (/sys/fs/cgroup). The process's own cgroup
// is often not the hierarchy's root (a systemd unit's MemoryMax, a
// container without its own cgroup namespace), and a limit on any cgroup
// above it applies too, so the lowest limit on the way up counts.
func cgroupLimitAt(self, root string) int64 {
	var lowest int64
	take := func(file string) {
		if data, err := os.ReadFile(file); err == nil {
			if n := parseCgroupLimit(data); n > 0 && (lowest == 0 || n < lowest) {
				lowest = n
			}
		}
	}
	walk := func(dir, path, file string) {
		for p := filepath.Clean("/" + path); ; p = filepath.Dir(p) {
			take(filepath.Join(dir, p, file))
			if p == "/" {
				return
			}
		}
	}
	data, _ := os.ReadFile(self)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			walk(root, f[2], "memory.max")
		case slices.Contains(strings.Split(f[1], ","), "memory"):
			walk(filepath.Join(root, "memory"), f[2], "memory.limit_in_bytes")
		}
	}
	if lowest == 0 { // no /proc/self/cgroup: the hierarchies' roots
		take(filepath.Join(root, "memory.max"))
		take(filepath.Join(root, "memory", "memory.limit_in_bytes"))
	}
	return lowest
}

func parseCgroupLimit(data []byte) int64 {
	s := strings.TrimSpace(string(data))
	n, err := strconv.ParseInt(s, 10, 64)
	// "max" (v2), or v1's "no limit", a number near 2^63 rounded to pages.
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}
