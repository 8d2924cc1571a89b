//go:build attackmem18

package memory

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cacheNode is a pointer-rich entry like a cache's or a live query's.
type cacheNode struct {
	key  string
	val  []byte
	next *cacheNode
}

// TestAttackmem18ReclaimCost measures what a forced return of the heap's
// free memory (what a user's large give-back triggers, once per interval)
// costs the other goroutines: the latency of a point-query-like operation
// (a map lookup and a few small allocations) while FreeOSMemory runs, for
// a live heap the size of a full cold cache. It logs numbers and asserts
// nothing about time.
func TestAttackmem18ReclaimCost(t *testing.T) {
	for _, liveMiB := range []int{16, 128, 512} {
		live := buildLive(liveMiB)
		// Garbage a statement left behind: what the reclaimer returns.
		garbage := make([][]byte, 0, 256)
		for range 256 {
			garbage = append(garbage, make([]byte, 1<<20))
		}
		garbage = nil
		_ = garbage
		base := measureOps(live, 2*time.Second, nil)
		var frees []time.Duration
		with := measureOps(live, 2*time.Second, func(stop <-chan struct{}) {
			// One run every 200 ms instead of 10 s, to gather samples:
			// the cost per run is what matters.
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					// Refill what a statement would hold and give back.
					g := make([][]byte, 64)
					for i := range g {
						g[i] = make([]byte, 1<<20)
					}
					g = nil
					s := time.Now()
					debug.FreeOSMemory()
					frees = append(frees, time.Since(s))
				}
			}
		})
		slices.Sort(frees)
		t.Logf("live %4d MiB: ops alone %s", liveMiB, base)
		t.Logf("live %4d MiB: ops with FreeOSMemory every 200ms %s", liveMiB, with)
		if len(frees) > 0 {
			t.Logf("live %4d MiB: FreeOSMemory took p50 %v max %v (%d runs)", liveMiB, frees[len(frees)/2], frees[len(frees)-1], len(frees))
		}
		runtime.KeepAlive(live)
	}
}

func buildLive(mib int) map[int]*cacheNode {
	m := make(map[int]*cacheNode)
	// 256-byte values plus a node: about 320 bytes per entry.
	n := mib << 20 / 320
	var prev *cacheNode
	for i := range n {
		c := &cacheNode{key: fmt.Sprint("k", i), val: make([]byte, 256), next: prev}
		m[i] = c
		prev = c
	}
	return m
}

// measureOps runs point operations on one goroutine for d (with bg
// running alongside) and summarises their latency.
func measureOps(live map[int]*cacheNode, d time.Duration, bg func(stop <-chan struct{})) string {
	runtime.GC()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if bg != nil {
		wg.Go(func() { bg(stop) })
	}
	var lat []time.Duration
	end := time.Now().Add(d)
	i := 0
	for time.Now().Before(end) {
		s := time.Now()
		for range 100 {
			c := live[i%len(live)]
			out := make([]byte, 0, 64)
			out = append(out, c.key...)
			out = append(out, c.val[:32]...)
			_ = fmt.Sprint(len(out))
			i += 7919
		}
		lat = append(lat, time.Since(s))
	}
	close(stop)
	wg.Wait()
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	return fmt.Sprintf("n=%d p50=%v p99=%v p99.9=%v max=%v", len(lat), q(0.5), q(0.99), q(0.999), lat[len(lat)-1])
}

// TestAttackmem18ReclaimCPU measures the CPU one forced return costs
// (runtime/metrics: the collector's and the scavenger's CPU seconds),
// which does not depend on how loaded the machine is, for live heaps of
// several sizes: what one run per interval takes from everyone.
func TestAttackmem18ReclaimCPU(t *testing.T) {
	for _, liveMiB := range []int{16, 128, 512} {
		live := buildLive(liveMiB)
		runtime.GC()
		g := make([][]byte, 256)
		for i := range g {
			g[i] = make([]byte, 1<<20)
		}
		g = nil
		before := readCPU()
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		s := time.Now()
		debug.FreeOSMemory()
		wall := time.Since(s)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		after := readCPU()
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		t.Logf("live %4d MiB: FreeOSMemory process cpu %v (runtime's gc estimate %.3fs, scavenge %.3fs, pause %.4fs), wall %v",
			liveMiB, cpu, after[0]-before[0], after[1]-before[1], after[2]-before[2], wall)
		runtime.KeepAlive(live)
	}
}

func readCPU() [3]float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/scavenge/total:cpu-seconds"}, {Name: "/cpu/classes/gc/pause:cpu-seconds"}}
	metrics.Read(s)
	return [3]float64{s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Float64()}
}
