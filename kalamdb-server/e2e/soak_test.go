package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSoak runs the real server binary under continuous writes from
// several users while flush policies, compactions and live subscribers do
// their work, and kills it with SIGKILL in the middle of the traffic, over
// and over. After every restart each user's rows must be exactly what the
// server acknowledged (an operation cut off by the kill may or may not
// have happened, nothing else is uncertain), with no duplicate keys; and
// in every round each user's live subscription must end up showing
// exactly the rows a SELECT shows.
//
// `make test` runs two short rounds; `make soak` runs it for
// KALAMDB_SOAK (a duration, e.g. 10m).
func TestSoak(t *testing.T) {
	duration := soakDuration(t)
	bin := buildServer(t)
	dir := t.TempDir()
	env := []string{"KALAMDB_STORAGE_FLUSH_ROWS=300", "KALAMDB_STORAGE_FLUSH_INTERVAL=1s",
		"KALAMDB_STORAGE_FLUSH_CHECK_INTERVAL=200ms"}
	p := startProcess(t, bin, dir, env...)
	s := &server{t: t, base: p.base}
	users := []string{"soak1", "soak2", "soak3"}
	s.ok(root, "CREATE NAMESPACE soak; CREATE TABLE soak.t (id BIGINT PRIMARY KEY, v TEXT NOT NULL)")
	models := make([]*soakModel, len(users))
	for i, u := range users {
		s.ok(root, fmt.Sprintf("CREATE USER '%s' WITH PASSWORD 'pw' ROLE user", u))
		models[i] = &soakModel{user: u, rows: map[int64]string{}, rng: rand.New(rand.NewPCG(uint64(i), 42))}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Now()
	for round := 1; round <= 2 || time.Since(start) < duration; round++ {
		// Live subscriptions, loaded before the writers start.
		subs := make([]*soakSubscriber, len(users))
		for i, m := range models {
			subs[i] = subscribeSoak(t, p.base, m.user)
		}
		// runWriters lets every user write for d, then runs midway (if
		// any) while they are still writing, then stops them.
		runWriters := func(d time.Duration, midway func()) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for _, m := range models {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m.write(p.base, stop)
				}()
			}
			time.Sleep(d)
			if midway != nil {
				midway()
			}
			close(stop)
			wg.Wait()
		}
		runWriters(time.Duration(500+rng.IntN(2500))*time.Millisecond, nil)
		for i, m := range models {
			if m.err != nil {
				t.Fatalf("round %d: %s: %v", round, m.user, m.err)
			}
			// A marker write: once the subscriber has it, it has every
			// earlier change of its partition.
			marker := -int64(round)
			m.apply(p.base, soakOp{kind: "insert", ids: []int64{marker}, v: "marker"})
			if m.err != nil {
				t.Fatalf("round %d: %s marker: %v", round, m.user, m.err)
			}
			if err := subs[i].waitFor(marker); err != nil {
				t.Fatalf("round %d: %s live: %v", round, m.user, err)
			}
			if got, want := subs[i].snapshot(), render(m.rows); got != want {
				t.Fatalf("round %d: %s: the live view differs from the acknowledged rows\nlive  %s\nwant  %s", round, m.user, got, want)
			}
		}
		// More traffic, killed in the middle.
		runWriters(time.Duration(200+rng.IntN(1500))*time.Millisecond, func() {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		})
		for _, sub := range subs {
			sub.close()
		}

		p = startProcess(t, bin, dir, env...)
		s = &server{t: t, base: p.base}
		for _, m := range models {
			m.reconcile(t, s, round)
		}
		// Jobs fail only by being interrupted (and are retried).
		if got := s.ok(root, "SELECT job_type, error_message FROM system.jobs WHERE status = 'failed' AND error_message NOT LIKE 'interrupted:%'").rows(t); got != "null" {
			t.Fatalf("round %d: jobs failed: %s", round, got)
		}
		acked := 0
		for _, m := range models {
			acked += m.acked
		}
		t.Logf("round %d: %d row writes acknowledged; jobs %s", round, acked,
			s.ok(root, "SELECT job_type, status, count(*) FROM system.jobs GROUP BY job_type, status ORDER BY job_type, status").rows(t))
	}
}

// soakModel is what the server acknowledged for one user. One goroutine
// at a time writes, so at most one operation is in flight.
type soakModel struct {
	user     string
	rows     map[int64]string
	next     int64
	rng      *rand.Rand
	inflight *soakOp
	acked    int
	err      error
}

type soakOp struct {
	kind string // insert, update, delete
	ids  []int64
	v    string
}

// write runs operations until stop or until the server goes away.
func (m *soakModel) write(base string, stop <-chan struct{}) {
	for m.err == nil && m.inflight == nil {
		select {
		case <-stop:
			return
		default:
		}
		op := soakOp{kind: "insert"}
		live := make([]int64, 0, 8)
		for id := range m.rows {
			if id > 0 {
				live = append(live, id)
				if len(live) == 8 {
					break
				}
			}
		}
		switch r := m.rng.IntN(100); {
		case r < 10 && len(live) > 0:
			op = soakOp{kind: "delete", ids: []int64{live[m.rng.IntN(len(live))]}}
		case r < 40 && len(live) > 0:
			op = soakOp{kind: "update", ids: []int64{live[m.rng.IntN(len(live))]}, v: fmt.Sprintf("u%d", m.rng.IntN(1e6))}
		default:
			n := 1
			if r >= 95 {
				n = 5 // a multi-row statement: all or nothing
			}
			for range n {
				m.next++
				op.ids = append(op.ids, m.next)
			}
			op.v = fmt.Sprintf("i%d", m.rng.IntN(1e6))
		}
		m.apply(base, op)
	}
}

// apply runs one operation; on a lost response it stays in flight.
func (m *soakModel) apply(base string, op soakOp) {
	var sqlText string
	var params []any
	switch op.kind {
	case "insert":
		vals := make([]string, len(op.ids))
		for i, id := range op.ids {
			vals[i] = fmt.Sprintf("(%d, '%s')", id, op.v)
		}
		sqlText = "INSERT INTO soak.t (id, v) VALUES " + strings.Join(vals, ", ")
	case "update":
		sqlText, params = "UPDATE soak.t SET v = $1 WHERE id = $2", []any{op.v, op.ids[0]}
	case "delete":
		sqlText, params = "DELETE FROM soak.t WHERE id = $1", []any{op.ids[0]}
	}
	m.inflight = &op
	status, body, err := postSQL(base, m.user, sqlText, params)
	if err != nil {
		return // the server is gone: the operation may or may not have happened
	}
	if status != http.StatusOK {
		m.err = fmt.Errorf("%s: HTTP %d %s", sqlText, status, body)
		return
	}
	op.applyIn(m.rows)
	m.inflight = nil
	m.acked += len(op.ids)
}

func (op soakOp) applyIn(rows map[int64]string) {
	for _, id := range op.ids {
		if op.kind == "delete" {
			delete(rows, id)
		} else {
			rows[id] = op.v
		}
	}
}

// applyTo returns rows with op applied, leaving rows as they are.
func (op soakOp) applyTo(rows map[int64]string) map[int64]string {
	out := maps.Clone(rows)
	op.applyIn(out)
	return out
}

// reconcile checks the user's rows after a restart against the model and
// resolves the operation the kill cut off.
func (m *soakModel) reconcile(t *testing.T, s *server, round int) {
	t.Helper()
	c := basic(m.user, "pw")
	got := map[int64]string{}
	for _, r := range s.ok(c, "SELECT id, v FROM soak.t").Results[0].Rows {
		id, err := r[0].(json.Number).Int64()
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := got[id]; dup {
			t.Fatalf("round %d: %s: id %d returned twice", round, m.user, id)
		}
		got[id] = r[1].(string)
	}
	if c := s.ok(c, "SELECT count(*) - count(DISTINCT id) FROM soak.t").rows(t); c != "[[0]]" {
		t.Fatalf("round %d: %s: duplicate keys: %s", round, m.user, c)
	}
	want := render(m.rows)
	if render(got) == want {
		m.inflight = nil
		return
	}
	if m.inflight != nil {
		if after := m.inflight.applyTo(m.rows); render(got) == render(after) {
			m.rows, m.inflight = after, nil
			return
		}
	}
	t.Fatalf("round %d: %s: after kill -9 and restart\n got  %s\nwant %s\n(in flight: %+v)", round, m.user, render(got), want, m.inflight)
}

func render(rows map[int64]string) string {
	b, _ := json.Marshal(rows) // map keys are sorted
	return string(b)
}

// postSQL posts one statement, returning transport errors instead of
// failing the test: the server may have just been killed.
func postSQL(base, user, sqlText string, params []any) (int, string, error) {
	body := map[string]any{"sql": sqlText}
	if len(params) > 0 {
		body["params"] = params
	}
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, base+"/v1/api/sql", bytes.NewReader(raw))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), err
}

// soakSubscriber keeps a live view of "SELECT id, v FROM soak.t".
type soakSubscriber struct {
	c      *websocket.Conn
	mu     sync.Mutex
	view   map[int64]string
	err    error
	seen   map[int64]bool // markers seen
	notify chan struct{}
	done   chan struct{}
	closed atomic.Bool
}

func subscribeSoak(t *testing.T, base, user string) *soakSubscriber {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(64 << 20)
	sub := &soakSubscriber{c: c, view: map[int64]string{}, seen: map[int64]bool{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
	for _, m := range []any{
		map[string]any{"type": "authenticate", "method": "basic", "username": user, "password": "pw"},
		map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "all", "sql": "SELECT id, v FROM soak.t",
			"options": map[string]any{"batch_size": 200}}},
	} {
		raw, _ := json.Marshal(m)
		if err := c.Write(ctx, websocket.MessageText, raw); err != nil {
			t.Fatal(err)
		}
	}
	go sub.read()
	return sub
}

func (s *soakSubscriber) read() {
	defer close(s.done)
	for {
		_, data, err := s.c.Read(context.Background())
		if err != nil {
			if !s.closed.Load() {
				s.fail(fmt.Errorf("socket ended: %w", err))
			}
			return
		}
		var m wsMsg
		if err := json.Unmarshal(data, &m); err != nil {
			s.fail(fmt.Errorf("decode %s: %w", data, err))
			return
		}
		s.mu.Lock()
		switch m.Type {
		case "auth_success", "subscription_ack":
		case "initial_data_batch":
			s.put(m.Rows)
			if m.BatchControl.HasMore {
				raw, _ := json.Marshal(map[string]any{"type": "next_batch", "subscription_id": "all"})
				if err := s.c.Write(context.Background(), websocket.MessageText, raw); err != nil && !s.closed.Load() {
					s.err = err
				}
			}
		case "change":
			if m.ChangeType == "delete" {
				for _, r := range m.OldValues {
					delete(s.view, int64(r["id"].(float64)))
				}
			} else {
				s.put(m.Rows)
			}
		default:
			s.err = fmt.Errorf("unexpected message %s", data)
		}
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// put records rows; markers (negative ids) are also remembered as seen.
func (s *soakSubscriber) put(rows []map[string]any) {
	for _, r := range rows {
		id := int64(r["id"].(float64))
		s.view[id] = r["v"].(string)
		if id < 0 {
			s.seen[id] = true
		}
	}
}

func (s *soakSubscriber) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// waitFor waits until the marker arrived (or the subscription failed).
func (s *soakSubscriber) waitFor(marker int64) error {
	deadline := time.After(wsWait)
	for {
		s.mu.Lock()
		seen, err := s.seen[marker], s.err
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if seen {
			return nil
		}
		select {
		case <-s.notify:
		case <-deadline:
			return fmt.Errorf("marker %d not received", marker)
		}
	}
}

func (s *soakSubscriber) snapshot() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return render(s.view)
}

func (s *soakSubscriber) close() {
	s.closed.Store(true)
	_ = s.c.CloseNow()
	<-s.done
}
