package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The live query load benchmark (docs/live.md, docs/performance.md): the
// server in this process, the clients in a child process (the same test
// binary running TestLiveLoadClient), so that the server's CPU and memory
// are measured alone and neither process runs out of file descriptors.
// The child opens one WebSocket per user, subscribes each user to
// perUser conversations of chat.messages (a USER table), then writes at a
// fixed rate over HTTP, each row to one conversation of one user, with its
// send time in the content; the subscriber that gets it records the
// latency from INSERT to client.

const liveLoadEnv = "KALAMDB_LIVE_LOAD_CLIENT"

type liveLoadSpec struct {
	URL     string        `json:"url"`
	Users   int           `json:"users"`
	PerUser int           `json:"per_user"`
	Rate    int           `json:"rate"` // writes per second
	For     time.Duration `json:"for"`
}

type liveLoadResult struct {
	Writes, Delivered int
	P50, P99, Max     time.Duration
	WriteP50          time.Duration
}

func BenchmarkLiveLoad(b *testing.B) {
	for _, sc := range []struct {
		name           string
		users, perUser int
	}{
		{"users=1000/subscriptions=10000", 1000, 10},
		// The same write rate without any subscriber: what the INSERTs
		// themselves cost the server.
		{"users=10/subscriptions=0", 10, 0},
		{"users=10/subscriptions=10", 10, 1},
		{"users=10000/subscriptions=10000", 10000, 1},
	} {
		b.Run(sc.name, func(b *testing.B) {
			liveLoad(b, liveLoadSpec{Users: sc.users, PerUser: sc.perUser, Rate: 1000, For: 10 * time.Second})
		})
	}
}

func loadUser(i int) string { return fmt.Sprintf("lu%05d", i) }

func liveLoad(b *testing.B, spec liveLoadSpec) {
	b.StopTimer()
	dir := b.TempDir()
	preload(b, dir, func(x *executor.Executor) {
		run(b, x, "root", systable.RoleSystem, benchSchema)
		var sb strings.Builder
		for u := 0; u < spec.Users; u++ {
			fmt.Fprintf(&sb, "CREATE USER '%s' WITH PASSWORD 'pw' ROLE user;", loadUser(u))
			if u%100 == 99 || u == spec.Users-1 {
				run(b, x, "root", systable.RoleSystem, sb.String())
				sb.Reset()
			}
		}
	})
	s := startBenchServer(b, dir)
	spec.URL = s.base
	base := heapInUse()

	raw, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveLoadClient$", "-test.count=1", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), liveLoadEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	expect := func(prefix string) string {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest
			}
		}
		b.Fatalf("load client ended before %q: %v", prefix, lines.Err())
		return ""
	}
	expect("SUBSCRIBED")
	subs := spec.Users * spec.PerUser
	idle := heapInUse() - base

	cpu0, wall0 := cpuTime(), time.Now()
	if _, err := io.WriteString(stdin, "GO\n"); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	var res liveLoadResult
	if err := json.Unmarshal([]byte(expect("DONE ")), &res); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	if want := res.Writes * min(spec.PerUser, 1); res.Delivered != want {
		b.Errorf("delivered %d changes for %d writes", res.Delivered, res.Writes)
	}
	if spec.PerUser > 0 {
		b.ReportMetric(float64(res.P50.Microseconds()), "p50-µs")
		b.ReportMetric(float64(res.P99.Microseconds()), "p99-µs")
		b.ReportMetric(float64(res.Max.Microseconds()), "max-µs")
		b.ReportMetric(float64(idle)/float64(subs), "server-B/idle-sub")
	}
	b.ReportMetric(float64(res.WriteP50.Microseconds()), "insert-p50-µs")
	b.ReportMetric(float64(res.Writes)/wall.Seconds(), "writes/s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "server-cores")
	b.ReportMetric(float64(cpu.Microseconds())/float64(res.Writes), "server-cpu-µs/write")
}

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// TestLiveLoadClient is the client half of BenchmarkLiveLoad; it runs only
// in the child process the benchmark starts.
func TestLiveLoadClient(t *testing.T) {
	raw := os.Getenv(liveLoadEnv)
	if raw == "" {
		t.Skip("the client process of BenchmarkLiveLoad")
	}
	var spec liveLoadSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	wsURL := "ws" + strings.TrimPrefix(spec.URL, "http") + "/v1/ws"
	var mu sync.Mutex
	var lat []time.Duration
	var delivered atomic.Int64
	conns := make([]*websocket.Conn, spec.Users)
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := int(next.Add(1) - 1); u < spec.Users; u = int(next.Add(1) - 1) {
				c, err := loadSubscribe(wsURL, loadUser(u), spec.PerUser)
				if err != nil {
					t.Error(err)
					return
				}
				conns[u] = c
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var readers sync.WaitGroup
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var m struct {
				Type string `json:"type"`
				Rows []struct {
					Content string `json:"content"`
				} `json:"rows"`
			}
			for {
				_, data, err := c.Read(context.Background())
				if err != nil {
					return
				}
				now := time.Now()
				if err := json.Unmarshal(data, &m); err != nil || m.Type != "change" || len(m.Rows) != 1 {
					t.Errorf("unexpected message %s", data)
					continue
				}
				sent, err := strconv.ParseInt(m.Rows[0].Content, 10, 64)
				if err != nil {
					t.Errorf("content %q", m.Rows[0].Content)
					continue
				}
				mu.Lock()
				lat = append(lat, now.Sub(time.Unix(0, sent)))
				mu.Unlock()
				delivered.Add(1)
			}
		}()
	}
	fmt.Println("SUBSCRIBED")
	if line, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil || line != "GO\n" {
		t.Fatalf("waiting for GO: %q %v", line, err)
	}

	// Open-loop writers: write j is due at start + j/rate whatever the
	// latency of earlier ones.
	total := int(spec.Rate * int(spec.For/time.Second))
	interval := time.Second / time.Duration(spec.Rate)
	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	hc := &http.Client{Transport: tr}
	var writeLat []time.Duration
	start := time.Now()
	var job atomic.Int64
	var writers sync.WaitGroup
	for w := 0; w < 16; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			var mine []time.Duration
			for j := int(job.Add(1) - 1); j < total; j = int(job.Add(1) - 1) {
				time.Sleep(time.Until(start.Add(time.Duration(j) * interval)))
				user := loadUser(j % spec.Users)
				conv := 0
				if spec.PerUser > 0 {
					conv = (j / spec.Users) % spec.PerUser
				}
				t0 := time.Now()
				body, _ := json.Marshal(map[string]any{"sql": "INSERT INTO chat.messages (conversation_id, sender, content) VALUES ($1, $2, $3)",
					"params": []any{conv, user, strconv.FormatInt(t0.UnixNano(), 10)}})
				req, _ := http.NewRequest(http.MethodPost, spec.URL+"/v1/api/sql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(user, "pw")
				resp, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("insert: HTTP %d", resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			writeLat = append(writeLat, mine...)
			mu.Unlock()
		}()
	}
	writers.Wait()
	expected := int64(total * min(spec.PerUser, 1))
	for deadline := time.Now().Add(30 * time.Second); delivered.Load() < expected && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	slices.Sort(lat)
	slices.Sort(writeLat)
	res := liveLoadResult{Writes: total, Delivered: len(lat)}
	if len(lat) > 0 {
		res.P50, res.P99, res.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	if len(writeLat) > 0 {
		res.WriteP50 = writeLat[len(writeLat)/2]
	}
	mu.Unlock()
	out, _ := json.Marshal(res)
	// Reported before closing the sockets, so that the server's CPU for
	// the write phase does not include 10K close handshakes.
	fmt.Println("DONE " + string(out))
	for _, c := range conns {
		_ = c.Close(websocket.StatusNormalClosure, "done")
	}
	readers.Wait()
	tr.CloseIdleConnections()
}

// loadSubscribe opens an authenticated socket for user with perUser
// subscriptions, one per conversation, and reads their acks and batches.
func loadSubscribe(url, user string, perUser int) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", user, err)
	}
	send := func(v any) error {
		raw, _ := json.Marshal(v)
		return c.Write(ctx, websocket.MessageText, raw)
	}
	recv := func(want string) error {
		_, data, err := c.Read(ctx)
		if err != nil {
			return err
		}
		var m struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &m); err != nil || m.Type != want {
			return fmt.Errorf("%s: want %s, got %s", user, want, data)
		}
		return nil
	}
	if err := send(map[string]any{"type": "authenticate", "method": "basic", "username": user, "password": "pw"}); err != nil {
		return nil, err
	}
	if err := recv("auth_success"); err != nil {
		return nil, err
	}
	for k := 0; k < perUser; k++ {
		if err := send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": strconv.Itoa(k),
			"sql": fmt.Sprintf("SELECT id, conversation_id, content FROM chat.messages WHERE conversation_id = %d", k)}}); err != nil {
			return nil, err
		}
		if err := recv("subscription_ack"); err != nil {
			return nil, err
		}
		if err := recv("initial_data_batch"); err != nil {
			return nil, err
		}
	}
	return c, nil
}
