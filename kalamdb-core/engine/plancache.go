package engine

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// Plan reuse. Apps send the same statement texts over and over with
// different $n parameters, and parsing one with PostgreSQL's parser and
// translating it costs more than a primary-key lookup's storage work. The
// plan cache keeps, per statement text and default namespace:
//
//   - the translated statement (pgsql.Translate's result, immutable, a
//     pure function of the text and of the engine's planning limits, which
//     are fixed for the engine's lifetime);
//   - what is worked out from it once: whether it filters on _deleted,
//     which table it names without a namespace;
//   - for the shapes the fast path runs, the compiled plan (fastPlan),
//     bound to the *catalog.Table version it was compiled against. Every
//     change of a table (ALTER, DROP, CREATE) publishes a new
//     *catalog.Table, so a plan whose table is no longer the catalog's is
//     compiled again: DDL invalidates by identity, without a hook.
//
// Nothing in an entry depends on who runs the statement: permissions are
// decided and the table is bound to the caller's partition on every
// execution (tableFactory.open), exactly as without the cache. Statements
// that are not on the fast path skip the parse but are bound and analysed
// by the engine every time (go-mysql-server cannot reuse an analysed plan
// with new values).
//
// Views are not part of an entry: the cached translation is the text as
// written, and a statement that names a view has it expanded on every run
// from the catalog as it is then (views.go), so CREATE OR REPLACE VIEW and
// DROP VIEW apply to the next run. An expanded statement does not take the
// fast path. Secondary indexes are: a fast-path plan may read one, and
// CREATE INDEX, its build becoming ready and DROP INDEX each publish a new
// *catalog.Table, so the plan is compiled again and sees the table's
// indexes as they are.
//
// Failed translations are not cached: their errors point into the request
// they came from.

// Defaults of PlanCacheOptions.
const (
	DefaultPlanCacheEntries = 1024
	DefaultPlanCacheBytes   = 16 << 20
)

// PlanCacheOptions bound the plan cache.
type PlanCacheOptions struct {
	// Entries bounds the statements kept (0: DefaultPlanCacheEntries;
	// negative: no cache, every statement is parsed).
	Entries int
	// Bytes bounds their estimated memory (0: DefaultPlanCacheBytes).
	Bytes int64
}

func (o PlanCacheOptions) withDefaults() PlanCacheOptions {
	if o.Entries == 0 {
		o.Entries = DefaultPlanCacheEntries
	}
	if o.Bytes <= 0 {
		o.Bytes = DefaultPlanCacheBytes
	}
	return o
}

// PlanCacheStats are the plan cache's counters and contents.
type PlanCacheStats struct {
	// Hits and Misses count lookups of statement texts; FastCompiles
	// counts fast-path plans compiled (a first run, or a run after the
	// table changed).
	Hits, Misses, FastCompiles int64
	// Evictions counts entries dropped for room.
	Evictions int64
	// Entries and Bytes are what the cache holds; Bytes is an estimate.
	Entries int
	Bytes   int64
}

type planKey struct {
	text, namespace string
}

// cachedStatement is one statement text as the engine runs it in one
// default namespace. It is shared by concurrent executions: everything but
// fast is immutable.
type cachedStatement struct {
	key planKey
	st  *pgsql.Statement
	// showDeleted: the statement filters on _deleted.
	showDeleted bool
	// unqualified is the first table it names without a namespace (not
	// a WITH query), or "".
	unqualified string
	// tableFunction: it calls a set-returning function in FROM
	// (hasTableFunction, a walk of the whole tree: worked out once here
	// instead of on every run of a statement without a namespace).
	tableFunction bool
	// fast is the compiled fast-path plan, nil before the first run.
	fast atomic.Pointer[fastPlan]
	// cteErr is boundStatementShape's verdict on the statement as written
	// (a statement whose views were expanded is checked on every run).
	cteErr error
	// readsDerived: a query of it reads a derived table or a WITH query,
	// so boundDerivedColumns looks at it on every run.
	readsDerived bool
	// wideStar: it has a * that could pass MaxTargetListEntries or
	// MaxStatementTargetEntries over tables as wide as tables may be
	// (each list alone, or all together), so boundTargetLists looks at
	// it on every run (otherwise cteErr holds its verdict).
	wideStar bool
	// entriesErr is boundStatementEntries' verdict on it when wideStar
	// is not set (checked after boundDerivedColumns, which names what to
	// change more closely).
	entriesErr error
	// constant: a SELECT of literals only; answer is its kept answer
	// once it ran (constselect.go).
	constant bool
	answer   atomic.Pointer[QueryResult]
	size     int64

	prev, next *cachedStatement // LRU list, under planCache.mu
}

// planCache is a bounded LRU of cachedStatements, safe for concurrent use.
type planCache struct {
	maxEntries int
	maxBytes   int64

	mu    sync.Mutex
	m     map[planKey]*cachedStatement
	head  cachedStatement // sentinel: head.next is the most recently used
	bytes int64

	hits, misses, compiles, evictions atomic.Int64
}

func newPlanCache(o PlanCacheOptions) *planCache {
	o = o.withDefaults()
	if o.Entries < 0 {
		return nil
	}
	c := &planCache{maxEntries: o.Entries, maxBytes: o.Bytes, m: make(map[planKey]*cachedStatement)}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

// statementSize estimates what an entry keeps: the key's text, the
// translated tree (measured at 10-25 bytes per byte of text for typical
// statements, more for very short ones) and the entry itself.
func statementSize(text, namespace string) int64 {
	return 1024 + 16*int64(len(text)) + int64(len(namespace))
}

func (c *planCache) get(k planKey) *cachedStatement {
	c.mu.Lock()
	e, ok := c.m[k]
	if ok {
		c.unlinkLocked(e)
		c.pushFrontLocked(e)
	}
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return e
	}
	c.misses.Add(1)
	return nil
}

// add inserts e, unless another execution added the same statement first
// (that entry is returned then) or e alone is larger than the budget (e
// is returned, uncached).
func (c *planCache) add(e *cachedStatement) *cachedStatement {
	if e.size > c.maxBytes {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[e.key]; ok {
		return old
	}
	c.m[e.key] = e
	c.pushFrontLocked(e)
	c.bytes += e.size
	for len(c.m) > c.maxEntries || c.bytes > c.maxBytes {
		victim := c.head.prev
		c.unlinkLocked(victim)
		delete(c.m, victim.key)
		c.bytes -= victim.size
		c.evictions.Add(1)
	}
	return e
}

func (c *planCache) pushFrontLocked(e *cachedStatement) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}

func (c *planCache) unlinkLocked(e *cachedStatement) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// forgetTable drops the fast-path plans compiled for a dropped table, so
// that they do not keep its structures until they are evicted (they
// would never run again: the catalog no longer holds that table).
func (c *planCache) forgetTable(t *catalog.Table) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m {
		if p := e.fast.Load(); p != nil && p.t == t {
			e.fast.CompareAndSwap(p, nil)
		}
	}
}

func (c *planCache) stats() PlanCacheStats {
	if c == nil {
		return PlanCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return PlanCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), FastCompiles: c.compiles.Load(),
		Evictions: c.evictions.Load(), Entries: len(c.m), Bytes: c.bytes}
}

// PlanCacheStats returns the plan cache's counters (zero when it is off).
func (e *Engine) PlanCacheStats() PlanCacheStats { return e.plans.stats() }

// statement returns the translated statement for std run with a default
// namespace, from the plan cache when it holds it. The result may be
// shared: callers must not change it (the fast-path plan is the one
// mutable field, and is atomic).
func (e *Engine) statement(std *dialect.StandardSQL, namespace string) (*cachedStatement, error) {
	k := planKey{text: std.Text(), namespace: namespace}
	if e.plans != nil {
		if cs := e.plans.get(k); cs != nil {
			if cs.st.Kind != std.Kind() {
				// Same text, same parser: only a classification that
				// changed under it could get here.
				return nil, kindMismatch(std, cs.st)
			}
			return cs, nil
		}
	}
	// The entry keeps its own copy of the text: the request's may be a
	// large batch, and the translation keeps pieces of its text (labels).
	k.text = strings.Clone(k.text)
	st, err := e.translateText(std, k.text)
	if err != nil {
		return nil, err
	}
	cs := &cachedStatement{key: k, st: st, showDeleted: filtersOnDeleted(st.AST), unqualified: unqualifiedTable(st.AST),
		tableFunction: hasTableFunction(st.AST), cteErr: boundStatementShape(st.AST), readsDerived: readsDerived(st.AST),
		constant: constantSelect(st.AST), size: statementSize(k.text, k.namespace)}
	if cs.cteErr == nil {
		listErr := boundTargetLists(st.AST, nil, k.namespace)
		sumErr := boundStatementEntries(st.AST, nil, k.namespace, e.limits.MaxStatementTargetEntries)
		switch {
		case (listErr != nil || sumErr != nil) && hasStar(st.AST):
			cs.wideStar = true
		case listErr != nil:
			cs.cteErr = listErr
		default:
			cs.entriesErr = sumErr
		}
	}
	if cs.constant {
		cs.size += maxConstantBytes
	}
	if e.plans != nil {
		cs = e.plans.add(cs)
	}
	return cs, nil
}

func kindMismatch(std *dialect.StandardSQL, st *pgsql.Statement) error {
	return apierror.New(apierror.InvalidSQL, "statement is classified as %s but parses as %s", std.Kind(), st.Kind)
}
