package config

import (
	"bufio"
	"bytes"
	"math"
	"os"
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

// minServerMemory is what one request may hold at its limits: its
// statement's memory, its result rows and their encoding, and its body.
func (c *Config) minServerMemory() int64 {
	l := c.Limits
	return satAdd(satAdd(l.StatementMemoryBytes, satAdd(l.MaxResultBytes, l.MaxResultBytes)), c.Server.MaxBodyBytes)
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// availableMemory is the memory the process may use: the lower of the
// machine's (MemTotal) and its cgroup's limit, or 4 GiB when neither can
// be read.
func availableMemory() int64 {
	n := memTotal()
	if lim := cgroupLimit(); lim > 0 && (n <= 0 || lim < n) {
		n = lim
	}
	if n <= 0 {
		return 4 << 30
	}
	return n
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

// cgroupLimit is the memory limit of the process's cgroup (v2, then v1),
// 0 when there is none or it cannot be read.
func cgroupLimit() int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		return parseCgroupLimit(data)
	}
	return 0
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
