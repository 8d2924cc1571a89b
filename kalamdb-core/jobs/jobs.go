// Package jobs runs the database's background work (flush, compaction,
// cleanup, retention) on a bounded worker pool and records every job as a
// row of system.jobs through its life: queued, running, then completed,
// failed or cancelled (docs/architecture.md, "Jobs").
//
// Jobs that share an exclusivity key (a table) never run at the same time:
// a second one waits in the queue until the first ends. KILL JOB cancels a
// job's context; the job's code decides how fast it stops, and a flush
// never leaves half its work visible. Jobs a crash left queued or running
// are marked failed at start and handed back to their owners to retry, a
// bounded number of times (MaxStartRetries).
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Job types, as system.jobs shows them (docs/api.md, "System tables").
const (
	TypeFlush     = "flush"
	TypeCompact   = "compact"
	TypeCleanup   = "cleanup"
	TypeRetention = "retention"
	TypeBackup    = "backup"
	TypeRestore   = "restore"
	// TypeIndexBuild writes the entries of a new secondary index for the
	// rows a table already had.
	TypeIndexBuild = "index_build"
)

// DefaultMaxStartRetries is how many crashes in a row a job's work may
// take before a start stops running it again (Options.MaxStartRetries).
// A job whose work kills the process (a crash in the store's C code, an
// out-of-memory kill on a huge partition) would otherwise be run at every
// start and kill it again, a loop no statement can end: KILL JOB needs
// the server up, and the job starts with it. Three lets a job survive a
// crash that was not its own (a power cut, another job's) twice.
const DefaultMaxStartRetries = 3

// Spec describes a job to run.
type Spec struct {
	Type        string
	NamespaceID string
	TableName   string
	UserID      string
	// Key makes jobs exclusive: two jobs with the same non-empty key never
	// run at once. Table jobs use the table id.
	Key        string
	Parameters any
	// Crashes carries the crash count of the interrupted job this one
	// runs again (its systable.Job.Crashes), so retries are bounded.
	Crashes int
}

// Progress lets a running job report what it did; the numbers land in its
// system.jobs row when it ends.
type Progress struct {
	mu    sync.Mutex
	rows  int64
	bytes int64
}

// AddRows adds processed rows.
func (p *Progress) AddRows(n int64) { p.mu.Lock(); p.rows += n; p.mu.Unlock() }

// AddBytes adds written bytes.
func (p *Progress) AddBytes(n int64) { p.mu.Lock(); p.bytes += n; p.mu.Unlock() }

func (p *Progress) totals() (int64, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rows, p.bytes
}

// RunFunc does a job's work. Its result is stored as the job's result JSON.
type RunFunc func(ctx context.Context, p *Progress) (result any, err error)

// Options configure a Manager.
type Options struct {
	NodeID string
	// Workers bounds concurrently running jobs; 0 means 2.
	Workers int
	// HistoryRetention is how long ended jobs stay in system.jobs; 0
	// means 7 days.
	HistoryRetention time.Duration
	// MaxStartRetries bounds the crashes in a row a job's work may take
	// before GiveUp stops its owner running it again; 0 means
	// DefaultMaxStartRetries.
	MaxStartRetries int
	// HoldsTable tells history pruning whether a table's latest given-up
	// flush or compaction still holds its table (tier.HoldsTable: the
	// table exists and is not newer than the job); nil: every one does.
	// One that holds nothing (its table dropped) is pruned with the
	// rest, or it would be kept for good: no newer job of its type comes.
	HoldsTable func(*systable.Job) bool
	Now        func() time.Time
}

type entry struct {
	job    *systable.Job
	run    RunFunc
	key    string
	cancel context.CancelFunc
	done   chan struct{}
	// killed: KILL JOB ended the job (under Manager.mu), so a stop that
	// races it does not take it for interrupted.
	killed bool
	// The rest is under Manager.mu too, for a stop whose deadline
	// passes while the job runs (markStopped). running is the row
	// startLocked wrote (never changed after); ended: finish owns the
	// row from then on.
	running *systable.Job
	ended   bool
}

// Manager runs and records jobs. It is safe for concurrent use.
type Manager struct {
	opts  Options
	table *systable.Table[systable.Job]

	mu      sync.Mutex
	queue   []*entry          // waiting, in submission order
	active  map[string]*entry // queued or running, by id
	busy    map[string]bool   // exclusivity keys of running jobs
	running int
	stopped bool
	wg      sync.WaitGroup
	wake    chan struct{}
	stop    chan struct{}
	// start is what GivenUp and Unfinished answer from, made of the rows
	// Open read: a start asks them several times, and with a long
	// history each full scan of the table costs as much as Open's. It
	// serves while no row has been written since, and is dropped (nil)
	// by the first write: Prepare, Submit, a job's start or end,
	// EndInterrupted, PruneHistory, markStopped.
	start *rowView
}

// rowView is what GivenUp and Unfinished need of the rows of system.jobs,
// as stored (the jobs Open reports interrupted still queued or running):
// of each table, its latest job of each type, and the unfinished jobs.
// It keeps those rows alone, not the whole history.
type rowView struct {
	latest     map[string]map[[2]string]*systable.Job // by job type, then table
	unfinished []*systable.Job
}

func newRowView(all []*systable.Job) *rowView {
	v := &rowView{latest: map[string]map[[2]string]*systable.Job{}}
	for _, j := range all {
		if j.Status == systable.JobQueued || j.Status == systable.JobRunning {
			v.unfinished = append(v.unfinished, j)
		}
		if j.TableName == "" {
			continue
		}
		latest := v.latest[j.JobType]
		if latest == nil {
			latest = map[[2]string]*systable.Job{}
			v.latest[j.JobType] = latest
		}
		k := [2]string{j.NamespaceID, j.TableName}
		if latest[k] == nil || j.CreatedAt.After(latest[k].CreatedAt) {
			latest[k] = j
		}
	}
	return v
}

// Open opens the job table and finds the jobs a crash or a stop left
// queued or running. They are returned, marked failed ("interrupted"), so
// their owners can submit them again; their rows are rewritten only by
// EndInterrupted, once the owners did: a start that fails before that
// must leave them for the next one, or their work is lost for good.
//
// A job found running with no graceful stop recorded has its Crashes
// raised by one: its work may be what killed the process. One a graceful
// stop ended (a deploy, which may come often) or that was still queued
// (its work never began) keeps its count: neither says anything about
// its work. Owners ask GiveUp before running a job again.
func Open(db *kv.DB, o Options) (*Manager, []*systable.Job, error) {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.HistoryRetention <= 0 {
		o.HistoryRetention = 7 * 24 * time.Hour
	}
	if o.MaxStartRetries <= 0 {
		o.MaxStartRetries = DefaultMaxStartRetries
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t, err := systable.Open(db, systable.Jobs)
	if err != nil {
		return nil, nil, err
	}
	m := &Manager{opts: o, table: t, active: map[string]*entry{}, busy: map[string]bool{},
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	all, err := t.ScanAll()
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: recover: %w", err)
	}
	m.start = newRowView(all)
	var interrupted []*systable.Job
	for _, row := range all {
		if row.Status != systable.JobQueued && row.Status != systable.JobRunning {
			continue
		}
		j := ptrTo(*row) // the row stays as stored, for GivenUp and Unfinished
		if j.Status == systable.JobRunning && !j.Stopped {
			j.Crashes++
		}
		j.Stopped = false
		j.Status = systable.JobFailed
		j.ErrorMessage = "interrupted: the server stopped before the job ended (flush, compaction, cleanup and index builds run again)"
		if j.Crashes > 0 && runAgain(j.JobType) {
			j.ErrorMessage += fmt.Sprintf("; interrupted %s in a row by a crash (at %d it is no longer run again)", times(j.Crashes), o.MaxStartRetries)
		}
		j.FinishedAt = o.Now().UTC()
		interrupted = append(interrupted, j)
	}
	return m, interrupted, nil
}

// GiveUp tells an owner not to run an interrupted job (one Open
// returned) again: its work was interrupted by a crash MaxStartRetries
// times in a row, each start having run it again. It then sets the job's
// message to say so and what to do instead (remedy: the statement that
// does the work again, say), for EndInterrupted to record.
func (m *Manager) GiveUp(j *systable.Job, remedy string) bool {
	if j.Crashes < m.opts.MaxStartRetries {
		return false
	}
	j.ErrorMessage = fmt.Sprintf("interrupted %s in a row by a crash (each start ran it again): not run again; %s", times(j.Crashes), remedy)
	return true
}

// GivenUp returns, of each table that has jobs of type typ, the latest
// one when a start gave it up (GiveUp recorded it failed at the bound):
// work its owner must not start again by itself, only when asked (a
// newer job of the type, run by hand, ends that). A job that failed with
// a count at the bound for another reason (the bound lowered since) is
// taken as given up too.
func (m *Manager) GivenUp(typ string) ([]*systable.Job, error) {
	v, err := m.view()
	if err != nil {
		return nil, fmt.Errorf("jobs: given up: %w", err)
	}
	var out []*systable.Job
	for _, j := range v.latest[typ] {
		if m.givenUp(j) {
			out = append(out, ptrTo(*j))
		}
	}
	return out, nil
}

func (m *Manager) givenUp(j *systable.Job) bool {
	return j.Status == systable.JobFailed && j.Crashes >= m.opts.MaxStartRetries
}

// runAgain reports whether the owners of jobs of type typ run them again
// after an interruption (backups and restores are not: their messages do
// not speak of a bound).
func runAgain(typ string) bool {
	switch typ {
	case TypeFlush, TypeCompact, TypeCleanup, TypeIndexBuild:
		return true
	}
	return false
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// EndInterrupted records the jobs Open returned as failed, once their
// owners have submitted them again. A crash between the two leaves both
// the old rows and the new ones; the owners' retries are idempotent (and
// a dropped table's cleanup keeps one chain per drop), so the next start
// running both is harmless.
func (m *Manager) EndInterrupted(interrupted []*systable.Job) error {
	m.wrote()
	var b kv.Batch
	for _, j := range interrupted {
		if err := m.table.PutInBatch(&b, j); err != nil {
			return fmt.Errorf("jobs: end interrupted %s: %w", j.JobID, err)
		}
	}
	if err := m.table.Write(&b); err != nil {
		return fmt.Errorf("jobs: end interrupted: %w", err)
	}
	return nil
}

// Table is system.jobs, for the query engine.
func (m *Manager) Table() systable.SQLTable { return m.table }

// Start runs the dispatcher until Stop.
func (m *Manager) Start() {
	m.wg.Add(1)
	go m.dispatch()
}

// Stop cancels running and queued jobs and waits for the running ones to
// return. Their rows stay queued or running, as after a crash, so the next
// Open reports them interrupted (see finish); jobs killed before are
// recorded as cancelled. If ctx ends first, the rows of the jobs still
// running are marked stopped, those of killed ones written cancelled
// (markStopped), and Stop returns an error. A second Stop returns nil at
// once.
func (m *Manager) Stop(ctx context.Context) error {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return nil
	}
	m.stopped = true
	for _, e := range m.active {
		if e.cancel != nil {
			e.cancel()
		}
	}
	queued := m.queue
	m.queue = nil
	m.mu.Unlock()
	for _, e := range queued {
		m.finish(e, nil, context.Canceled)
	}
	close(m.stop)
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("jobs: stop: %w", ctx.Err()), m.markStopped())
	}
}

// markStopped marks the rows of the jobs still running when a graceful
// stop's deadline passes as ended by a stop (Stopped), as finish would
// once they return: the process exits soon after, and the next start
// would count an unmarked running row as a crash (three slow deploys
// in a row would give a cleanup or an index build up). Only a process
// still alive after the wait gets here, so a crash during the wait (the
// job's work killing the process) leaves its row unmarked, and counts.
// A job killed by KILL JOB was asked to end for good: its row is written
// cancelled, as finish would write it, so that no start runs it again
// (left running, the next start would take it for a crash and hand it
// back to its owner).
//
// The rows are written under m.mu: a job that returns meanwhile has its
// finish write its row after (it takes m.mu first), its real end, and
// one whose finish began (ended) is left to it, so a mark never hides
// how a job ended. startLocked writes a job's running row under m.mu
// too, so every job started has it written here: none is left for its
// goroutine to mark after Stop returned.
func (m *Manager) markStopped() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b kv.Batch
	n := 0
	for _, e := range m.active {
		if e.running == nil || e.ended {
			continue // queued (Stop ends those itself), or ending
		}
		row := *e.running
		if e.killed {
			row.Status = systable.JobCancelled
			row.ErrorMessage = "cancelled"
			row.FinishedAt = m.opts.Now().UTC()
		} else {
			row.Stopped = true
		}
		if err := m.table.PutInBatch(&b, &row); err != nil {
			return fmt.Errorf("jobs: mark %s stopped: %w", row.JobID, err)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	m.wroteLocked()
	if err := m.table.Write(&b); err != nil {
		return fmt.Errorf("jobs: mark stopped: %w", err)
	}
	return nil
}

func newJobID(typ string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return typ + "-" + hex.EncodeToString(b[:])
}

// Prepare records a queued job into b, so that the job exists exactly
// when the caller's other changes in b commit (DROP TABLE and the cleanup
// of its files, say). After b is written, Launch starts it; if the server
// dies first, recovery reports it as interrupted, to be retried.
func (m *Manager) Prepare(b *kv.Batch, spec Spec) (*systable.Job, error) {
	j, err := m.newJob(spec)
	if err != nil {
		return nil, err
	}
	m.wrote()
	if err := m.table.PutInBatch(b, j); err != nil {
		return nil, err
	}
	return j, nil
}

// Launch queues a job recorded by Prepare.
func (m *Manager) Launch(j *systable.Job, key string, run RunFunc) error {
	e := &entry{job: j, run: run, key: key, done: make(chan struct{})}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return apierror.New(apierror.SQLExecutionError, "the server is shutting down; job not started")
	}
	m.active[j.JobID] = e
	m.queue = append(m.queue, e)
	m.poke()
	return nil
}

func (m *Manager) newJob(spec Spec) (*systable.Job, error) {
	var params json.RawMessage
	if spec.Parameters != nil {
		raw, err := json.Marshal(spec.Parameters)
		if err != nil {
			return nil, fmt.Errorf("jobs: parameters: %w", err)
		}
		params = raw
	}
	return &systable.Job{JobID: newJobID(spec.Type), JobType: spec.Type, Status: systable.JobQueued,
		NamespaceID: spec.NamespaceID, TableName: spec.TableName, UserID: spec.UserID, Parameters: params,
		NodeID: m.opts.NodeID, CreatedAt: m.opts.Now().UTC(), Crashes: spec.Crashes}, nil
}

// Submit records a job as queued and runs it when a worker and its
// exclusivity key are free. It returns the job id.
func (m *Manager) Submit(spec Spec, run RunFunc) (string, error) {
	j, err := m.newJob(spec)
	if err != nil {
		return "", err
	}
	e := &entry{job: j, run: run, key: spec.Key, done: make(chan struct{})}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return "", apierror.New(apierror.SQLExecutionError, "the server is shutting down; job not started")
	}
	m.wroteLocked()
	if err := m.table.Put(j); err != nil {
		return "", fmt.Errorf("jobs: record %s: %w", j.JobID, err)
	}
	m.active[j.JobID] = e
	m.queue = append(m.queue, e)
	m.poke()
	return j.JobID, nil
}

func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// dispatch starts queued jobs whose key is free while workers are free.
func (m *Manager) dispatch() {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		for m.running < m.opts.Workers {
			i := m.nextRunnable()
			if i < 0 {
				break
			}
			e := m.queue[i]
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			m.startLocked(e)
		}
		m.mu.Unlock()
		select {
		case <-m.wake:
		case <-m.stop:
			return
		}
	}
}

func (m *Manager) nextRunnable() int {
	for i, e := range m.queue {
		if e.key == "" || !m.busy[e.key] {
			return i
		}
	}
	return -1
}

// startLocked starts e; m.mu is held. The running row is written here,
// under m.mu, not by the job's goroutine: a stop whose deadline passes
// (markStopped, under m.mu) then finds the row of every job started
// written and marks it itself, before Stop returns and the process
// exits.
func (m *Manager) startLocked(e *entry) {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if e.key != "" {
		m.busy[e.key] = true
	}
	m.running++
	m.wroteLocked()
	e.job.Status = systable.JobRunning
	e.job.StartedAt = m.opts.Now().UTC()
	job := *e.job
	e.running = &job
	recordErr := m.table.Put(&job)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancel()
		if recordErr != nil {
			m.finish(e, nil, fmt.Errorf("record running: %w", recordErr))
			return
		}
		result, err := m.safeRun(ctx, e)
		m.finish(e, result, err)
	}()
}

// safeRun runs a job, turning a panic into a failure: a bug in one job must
// not take the server down.
func (m *Manager) safeRun(ctx context.Context, e *entry) (result any, err error) {
	p := &Progress{}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job panicked: %v\n%s", r, debug.Stack())
		}
		rows, bytes := p.totals()
		e.job.RowsProcessed, e.job.BytesWritten = rows, bytes
	}()
	return e.run(ctx, p)
}

// finish records a job's end and frees its key and worker.
func (m *Manager) finish(e *entry, result any, err error) {
	j := e.job
	m.mu.Lock()
	// A job that a graceful stop ended keeps its row queued or running,
	// as a crash would leave it, so the next Open reports it interrupted
	// and its owner submits it again: a deploy must not end a dropped
	// table's cleanup or an index build for good. Only KILL JOB cancels.
	// The row says a graceful stop ended it (Stopped), so the next Open
	// does not count it a crash. A job that never gets here (the process
	// died, or the job's code with it) keeps a row with no such mark,
	// unless it was still running when the stop's wait ended
	// (markStopped).
	stoppedByStop := m.stopped && !e.killed && errors.Is(err, context.Canceled)
	e.ended = true
	m.wroteLocked()
	m.mu.Unlock()
	j.FinishedAt = m.opts.Now().UTC()
	switch {
	case stoppedByStop:
		j.Stopped = true
	case err == nil:
		j.Status = systable.JobCompleted
		if result != nil {
			if raw, mErr := json.Marshal(result); mErr == nil {
				j.Result = raw
			}
		}
	case errors.Is(err, context.Canceled):
		j.Status = systable.JobCancelled
		j.ErrorMessage = "cancelled"
	default:
		j.Status = systable.JobFailed
		j.ErrorMessage = err.Error()
	}
	// Best effort: the job's effects do not depend on its row; a stopped
	// job whose mark is lost counts one crash too many.
	_ = m.table.Put(j)
	m.mu.Lock()
	delete(m.active, j.JobID)
	if e.cancel != nil {
		if e.key != "" {
			delete(m.busy, e.key)
		}
		m.running--
	}
	m.mu.Unlock()
	close(e.done)
	m.poke()
}

// Kill cancels a queued or running job. Killing a job that already ended
// is NOT_FOUND.
func (m *Manager) Kill(id string) error {
	m.mu.Lock()
	e, ok := m.active[id]
	if !ok {
		m.mu.Unlock()
		if j, err := m.table.Get(id); err == nil {
			return apierror.New(apierror.SQLExecutionError, "job %s already ended (%s)", id, j.Status)
		}
		return apierror.New(apierror.NotFound, "job %s does not exist", id)
	}
	e.killed = true
	if e.cancel != nil {
		e.cancel()
		m.mu.Unlock()
		return nil
	}
	queued := false
	for i, q := range m.queue {
		if q == e {
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			queued = true
			break
		}
	}
	m.mu.Unlock()
	// Not running and not in the queue: a Stop took the queue and ends
	// the job itself, recording it cancelled since it is marked killed;
	// ending it here too would close its done channel twice.
	if queued {
		m.finish(e, nil, context.Canceled)
	}
	return nil
}

// Unfinished returns the jobs whose rows say queued or running: the ones
// this manager has not finished, those recorded by Prepare and not yet
// launched included (their row is written with the caller's batch). It
// reads the rows (those Open read while none was written since: view),
// not the manager's memory, so a reader that saw a change written in one
// batch with a job's row sees the job here. Until EndInterrupted, the
// rows of the jobs Open reported interrupted still say so.
func (m *Manager) Unfinished() ([]*systable.Job, error) {
	v, err := m.view()
	if err != nil {
		return nil, fmt.Errorf("jobs: unfinished: %w", err)
	}
	out := make([]*systable.Job, 0, len(v.unfinished))
	for _, j := range v.unfinished {
		out = append(out, ptrTo(*j))
	}
	return out, nil
}

// view returns the view of the rows of system.jobs: Open's while no row
// has been written since, else one of a scan. Callers copy the rows they
// hand out: Open's view serves every call.
//
// A reader that saw a change written in one batch with a job's row (a
// cleanup's file list and the continuation that reads it) sees the job:
// Prepare drops Open's view before its caller writes the batch.
func (m *Manager) view() (*rowView, error) {
	m.mu.Lock()
	v := m.start
	m.mu.Unlock()
	if v != nil {
		return v, nil
	}
	all, err := m.table.ScanAll()
	if err != nil {
		return nil, err
	}
	return newRowView(all), nil
}

// wroteLocked drops Open's view: a row is about to be written (or, with
// Prepare, is in a caller's batch). m.mu is held.
func (m *Manager) wroteLocked() { m.start = nil }

func (m *Manager) wrote() {
	m.mu.Lock()
	m.wroteLocked()
	m.mu.Unlock()
}

func ptrTo[T any](v T) *T { return &v }

// Wait blocks until the job ends (or ctx ends) and returns its row.
func (m *Manager) Wait(ctx context.Context, id string) (*systable.Job, error) {
	m.mu.Lock()
	e, ok := m.active[id]
	m.mu.Unlock()
	if ok {
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return m.table.Get(id)
}

// PruneHistory deletes ended jobs older than the retention period and
// returns how many it deleted. A table's latest flush or compaction that
// a start gave up stays whatever its age while it holds its table
// (Options.HoldsTable): it is what holds the table's flush policy or
// compactions (GivenUp, rebuilt at each start), which must not end by
// itself and bring the crashes back; the next flush or compaction of
// the table (by hand), or the table's drop, makes it prunable.
func (m *Manager) PruneHistory() (int, error) {
	m.wrote()
	all, err := m.table.ScanAll()
	if err != nil {
		return 0, err
	}
	holds := map[*systable.Job]bool{}
	v := newRowView(all)
	for _, typ := range []string{TypeFlush, TypeCompact} {
		for _, j := range v.latest[typ] {
			holds[j] = m.givenUp(j) && (m.opts.HoldsTable == nil || m.opts.HoldsTable(j))
		}
	}
	cutoff := m.opts.Now().Add(-m.opts.HistoryRetention)
	var b kv.Batch
	n := 0
	for _, j := range all {
		if holds[j] {
			continue
		}
		ended := j.Status == systable.JobCompleted || j.Status == systable.JobFailed || j.Status == systable.JobCancelled
		if ended && !j.FinishedAt.IsZero() && j.FinishedAt.Before(cutoff) {
			m.table.DeleteInBatch(&b, j.JobID)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, m.table.Write(&b)
}
