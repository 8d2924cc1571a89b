package engine

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Session is the engine session of one request. It carries the effective
// identity that every table provider is built for.
type Session struct {
	*sql.BaseSession
	// UserID and Role are the effective user: the caller, or the target
	// of EXECUTE AS USER.
	UserID string
	Role   systable.Role
	// tx collects the statement's (or the open transaction's) writes.
	tx *txn.Tx
	// ownTx is set when tx is the statement's own, committed as soon as
	// it ends (no BEGIN): its commit alone decides what an INSERT may
	// write.
	ownTx bool
	// showDeleted is set when the statement filters on _deleted: only then
	// do soft-deleted rows appear (docs/api.md, "Tables and system
	// columns").
	showDeleted bool
	// fatal is the first warning that fails the statement.
	fatal *sql.Warning
	// snap is the statement's read snapshot, taken at its first read of a
	// data table, or when the planner first asks for a table's secondary
	// indexes (which depend on it), so that every table, every tier and
	// the manifest that lists cold files are read as of one moment.
	snap *kv.Snapshot
	// borrowedSnap is set when the caller supplied snap (a live query's
	// initial read); it is not closed with the statement.
	borrowedSnap bool
	// snapCat is the catalog read just after snap was taken, and
	// readyCat the one read just before it was (for a borrowed snap, the
	// lender's; nil when it has none): together they say which secondary
	// indexes have every entry snap's rows need (usableIndex).
	snapCat, readyCat *catalog.Snapshot
	// caches is go-mysql-server's memory manager of the session's
	// statements, where its operators register their caches: it makes
	// one per context unless given one, two allocations of every
	// statement. Kept with the pooled session while it holds no cache
	// (newContextIn).
	caches *sql.MemoryManager
	db     *kv.DB
	// cat resolves the effective user's name (CURRENT_USER()).
	cat *catalog.Catalog
	// noIndexes hides primary-key indexes from the planner (live query
	// compilation wants the WHERE as one filter).
	noIndexes bool
	// budget is the statement's memory account (see memoryBudget).
	budget memoryBudget
	// returning is set for a statement with a RETURNING list: the editor
	// fills in the system columns of the rows it writes, which RETURNING
	// reads. deleting is set for a DELETE ... RETURNING, which the engine
	// runs as an UPDATE: the editor deletes the rows it is asked to update
	// (see withReturning).
	returning, deleting bool
	// onRow takes the statement's result rows (QueryRequest.OnRow).
	onRow func(row []any, size int64) error
	// joinCost is what ordering the statement's joins has cost so far
	// (see chargeJoin).
	joinCost int64
	// joinTables counts the tables of the statement's joins so far.
	joinTables int
	// open holds the statement's table iterators that are not closed yet.
	// The engine does not always close the iterators under an operator
	// that fails (a hash join whose build side errors, for one), and an
	// open iterator holds a reference on the snapshot, whose Close would
	// then wait for it forever; endStatement closes what is left.
	openMu sync.Mutex
	open   map[*rowIter]struct{}
	// lastID is the statement's latest SNOWFLAKE_ID(), and lastIDFree
	// says no insert has taken it as its key yet (see takeID).
	idMu       sync.Mutex
	lastID     int64
	lastIDFree bool
	// catMemo is the statement's listing of the catalog for the virtual
	// schemas, and their rows (catalogMemo).
	catMemo catalogMemo
}

// noteID records id, just issued by SNOWFLAKE_ID() in the statement.
func (s *Session) noteID(id int64) {
	s.idMu.Lock()
	s.lastID, s.lastIDFree = id, true
	s.idMu.Unlock()
}

// takeID reports whether key is the statement's latest SNOWFLAKE_ID()
// and no insert took it before; it is taken then. Such a key was issued
// by the generator in this statement (never before: its ids only grow,
// after a restart too) and keys no other write of it: the engine's
// inserts of a DEFAULT SNOWFLAKE_ID() key (evaluated for each row just
// before its insert) may skip their duplicate check as the fast path's
// do (txn.Write.Generated). Any other key, a value named by the
// statement, a copy of an id another row took, an id issued before the
// latest, is not taken, and its write counts as explicit.
func (s *Session) takeID(key int64) bool {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if !s.lastIDFree || s.lastID != key {
		return false
	}
	s.lastIDFree = false
	return true
}

// GetPrivilegeSet implements sql.Session. KalamDB checks permissions
// itself (authz) and the engine holds no MySQL grants, so there is no
// privilege set; the counter says it was looked up all the same, so that
// an engine path that reads it finds no privileges rather than looking
// them up again.
func (s *Session) GetPrivilegeSet() (sql.PrivilegeSet, uint64) { return nil, 1 }

// track records an open table iterator of the statement.
func (s *Session) track(it *rowIter) {
	s.openMu.Lock()
	if s.open == nil {
		s.open = make(map[*rowIter]struct{})
	}
	s.open[it] = struct{}{}
	s.openMu.Unlock()
}

// untrack forgets a closed table iterator.
func (s *Session) untrack(it *rowIter) {
	s.openMu.Lock()
	delete(s.open, it)
	s.openMu.Unlock()
}

// snapshot returns the statement's read snapshot, taking it on first use.
func (s *Session) snapshot() (*kv.Snapshot, error) {
	if s.snap == nil {
		before := s.cat.Snapshot()
		snap, err := s.db.NewSnapshot()
		if err != nil {
			return nil, err
		}
		s.snap, s.readyCat, s.snapCat = snap, before, s.cat.Snapshot()
	}
	return s.snap, nil
}

// usableIndex reports whether the statement's snapshot holds an entry of
// ix for each of its rows of t, so that a read through ix finds them all.
//
// An index's entries are complete in a snapshot when the index was ready
// before the snapshot was taken and its entries were not deleted before
// it. DROP INDEX takes an index out of the catalog before it deletes the
// entries (tier's DropIndex), so an index that is still in a catalog read
// after the snapshot was taken (snapCat) kept them there, wherever the
// DROP is now; ids are never reused, so one dropped and created again
// under its name is another index. A build marks its index ready only
// after it wrote every entry, so an index ready in a catalog read before
// the snapshot was taken (readyCat) has them all; the catalog the
// statement is planned with may be newer (a statement the fast path
// gave up on is planned after it took its snapshot), so it does not
// tell. Otherwise a statement planned before a DROP INDEX and reading
// after it found no rows through the index, and a read at a snapshot
// older than a CREATE INDEX (a live query's later batch, a planner run
// after the fast path) missed the rows written before the build.
//
// The caller holds the snapshot.
func (s *Session) usableIndex(t *tables.Table, ix *tables.Index) bool {
	id := ix.Def.IndexID
	if s.snapCat != nil && !hasIndex(s.snapCat, t, id, false) {
		return false
	}
	return s.readyCat == nil || hasIndex(s.readyCat, t, id, true)
}

// hasIndex reports whether cat has index id of t's incarnation (ready,
// when ready is set).
func hasIndex(cat *catalog.Snapshot, t *tables.Table, id uint32, ready bool) bool {
	cur, ok := cat.TableByID(t.Meta.TableID)
	if !ok || !cur.SameTable(t.Table) {
		return false
	}
	def, ok := cur.Meta.IndexByID(id)
	return ok && (!ready || def.Ready())
}

// endStatement closes what the statement left open, then releases its
// snapshot.
func (s *Session) endStatement() {
	s.openMu.Lock()
	left := make([]*rowIter, 0, len(s.open))
	for it := range s.open {
		left = append(left, it)
	}
	s.openMu.Unlock()
	for _, it := range left {
		_ = it.Close(nil)
	}
	if s.snap != nil && !s.borrowedSnap {
		_ = s.snap.Close()
	}
	s.snap, s.borrowedSnap, s.snapCat, s.readyCat = nil, false, nil, nil
	s.idMu.Lock()
	s.lastIDFree = false
	s.idMu.Unlock()
	s.catMemo.reset()
}

// sessionOf returns the KalamDB session behind an engine context. Every
// context the engine runs with is created by Engine.NewContext, so a
// missing session is a bug, reported as an internal error rather than a
// panic.
func sessionOf(ctx *sql.Context) (*Session, error) {
	if ctx != nil {
		if s, ok := ctx.Session.(*Session); ok {
			return s, nil
		}
	}
	return nil, apierror.New(apierror.InternalError, "query context has no KalamDB session")
}

// MySQL warning codes that KalamDB treats as errors: PostgreSQL-like SQL
// fails a statement where MySQL would warn and carry on with NULL or 0.
const (
	warnTruncatedValue = 1292 // CAST('abc' AS SIGNED), '1a' + 1, bad dates
	warnOutOfRange     = 1264
	warnDivisionByZero = 1365
	warnIncorrectValue = 1366
)

// Warn records an engine warning; the first one that KalamDB treats as an
// error fails the statement once it has run (see Engine.Query).
func (s *Session) Warn(w *sql.Warning) {
	switch w.Code {
	case warnTruncatedValue, warnOutOfRange, warnDivisionByZero, warnIncorrectValue:
		if s.fatal == nil {
			s.fatal = w
		}
	}
	s.BaseSession.Warn(w)
}

// fatalError is the error for the first fatal warning, or nil.
func (s *Session) fatalError() error {
	if s.fatal == nil {
		return nil
	}
	msg := s.fatal.Message
	if s.fatal.Code == warnDivisionByZero {
		msg = "division by zero"
	}
	return apierror.New(apierror.SQLExecutionError, "%s", msg)
}
