package executor

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Limits bound what one request may ask for (docs/security.md).
type Limits struct {
	// MaxSQLBytes bounds the text of a batch; 0 means 1 MiB.
	MaxSQLBytes int
	// MaxStatements bounds the statements of a batch; 0 means 100.
	MaxStatements int
	// MaxResultRows bounds the rows one statement may return; 0 means no
	// limit. A query over it fails rather than silently truncating.
	MaxResultRows int
	// MaxResultBytes bounds the size of all the rows a request returns,
	// as encoded for the wire; 0 means 64 MiB. Rows are counted as they
	// are read, so an oversized result fails before it is all in memory.
	MaxResultBytes int64
}

// DefaultMaxResultBytes is the default of Limits.MaxResultBytes.
const DefaultMaxResultBytes = 64 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxSQLBytes == 0 {
		l.MaxSQLBytes = 1 << 20
	}
	if l.MaxStatements == 0 {
		l.MaxStatements = 100
	}
	if l.MaxResultRows <= 0 {
		l.MaxResultRows = math.MaxInt
	}
	if l.MaxResultBytes <= 0 {
		l.MaxResultBytes = DefaultMaxResultBytes
	}
	return l
}

// Executor runs statement batches. It is safe for concurrent use.
type Executor struct {
	cat       *catalog.Catalog
	eng       *engine.Engine
	tier      *tier.Manager
	jobs      *jobs.Manager
	txns      *txn.Manager
	limits    Limits
	live      LiveQueries
	passwords PasswordVerifier
	backups   *backup.Service
	parsed    *parseCache
}

// Deps are the parts of the database the executor runs statements with.
// All are required.
type Deps struct {
	Catalog *catalog.Catalog
	Engine  *engine.Engine
	Tier    *tier.Manager
	Jobs    *jobs.Manager
	Txns    *txn.Manager
	// Live ends live queries for KILL LIVE QUERY (nil: there are none).
	Live LiveQueries
	// Backups runs BACKUP, RESTORE and SHOW BACKUPS (nil: they are
	// refused as not enabled).
	Backups *backup.Service
}

// New returns an Executor.
func New(d Deps, limits Limits) *Executor {
	return &Executor{cat: d.Catalog, eng: d.Engine, tier: d.Tier, jobs: d.Jobs, txns: d.Txns, live: d.Live, backups: d.Backups,
		limits: limits.withDefaults(), passwords: catalogPasswords{d.Catalog}, parsed: newParseCache()}
}

// batch is the state carried from one statement of a request to the next.
type batch struct {
	caller     authz.Principal
	clientAddr string
	namespace  string
	tx         *txn.Tx
	// resultBytes is the size of the rows returned so far.
	resultBytes int64
	// memory is the request's reservation for its result rows
	// (Request.Memory).
	memory *memory.Charge
	// owned collects the engine results whose rows the batch's results
	// hold, when the caller gives them back (ExecuteRecycling); nil
	// otherwise.
	owned *[]*engine.QueryResult
}

// Execute runs a request's statements in order. The first failure stops the
// batch and is returned; statements before it keep their effects unless
// they ran inside BEGIN ... COMMIT, whose writes are applied all or nothing.
//
// A request's statements share the statement time limit of the caller's
// role (each standard statement is also held to the limit of the role it
// runs as, inside EXECUTE AS USER): past it, the running statement stops
// and the request fails with QUERY_TIMEOUT. Cancelling ctx stops it too.
func (x *Executor) Execute(ctx context.Context, req Request) ([]Result, error) {
	return x.execute(ctx, req, nil)
}

// ExecuteRecycling is Execute for a caller that knows when it is done with
// the results (the HTTP handler, once the answer is written): it also
// returns done, never nil, which gives the buffers of the results' rows
// back to the engine for later statements. After done the caller must not
// use the results' rows or values.
func (x *Executor) ExecuteRecycling(ctx context.Context, req Request) (results []Result, done func(), err error) {
	var owned []*engine.QueryResult
	results, err = x.execute(ctx, req, &owned)
	if err != nil || len(owned) == 0 {
		// Results that never reach the caller are left to the garbage
		// collector with their rows.
		return results, func() {}, err
	}
	return results, func() {
		for _, qr := range owned {
			qr.Release()
		}
	}, nil
}

func (x *Executor) execute(ctx context.Context, req Request, owned *[]*engine.QueryResult) ([]Result, error) {
	if len(req.SQL) > x.limits.MaxSQLBytes {
		return nil, apierror.New(apierror.InvalidInput, "SQL text is %d bytes; the limit is %d", len(req.SQL), x.limits.MaxSQLBytes)
	}
	if !req.Role.Valid() {
		return nil, apierror.New(apierror.Unauthorized, "caller has no valid role")
	}
	stmts, err := x.parsed.parse(req.SQL)
	if err != nil {
		return nil, err
	}
	if len(stmts) > x.limits.MaxStatements {
		return nil, apierror.New(apierror.InvalidInput, "batch has %d statements; the limit is %d", len(stmts), x.limits.MaxStatements)
	}
	if len(req.Params) > 0 && len(stmts) > 1 {
		return nil, apierror.New(apierror.ParamsWithBatch, "params cannot be used with a batch of %d statements; send one statement per request", len(stmts))
	}
	b := &batch{caller: authz.Principal{UserID: req.UserID, Role: req.Role}, clientAddr: req.ClientAddr, namespace: req.Namespace,
		memory: req.Memory, owned: owned}
	if b.namespace != "" {
		if _, ok := x.cat.Snapshot().Namespace(b.namespace); !ok {
			return nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", b.namespace)
		}
	}
	ctx, cancel := engine.WithTimeout(ctx, x.eng.StatementTimeout(req.Role))
	defer cancel()
	results := make([]Result, 0, len(stmts))
	for _, st := range stmts {
		if err, stopped := engine.StoppedError(ctx); stopped {
			x.abort(b)
			return nil, err
		}
		res, err := x.run(ctx, b, b.caller, st, req.Params)
		if err != nil {
			x.abort(b)
			if stoppedErr, stopped := engine.StoppedError(ctx); stopped {
				return nil, stoppedErr
			}
			return nil, err
		}
		if res.AsUser == "" {
			res.AsUser = x.cat.Snapshot().Username(b.caller.UserID)
		}
		results = append(results, res)
	}
	if b.tx != nil {
		x.abort(b)
		return nil, apierror.New(apierror.SQLExecutionError, "transaction was not committed: the batch ended after BEGIN without COMMIT, so its writes were discarded")
	}
	return results, nil
}

// abort discards an open transaction.
func (x *Executor) abort(b *batch) {
	if b.tx != nil {
		b.tx.Rollback()
		b.tx = nil
	}
}

// run executes one statement as p.
func (x *Executor) run(ctx context.Context, b *batch, p authz.Principal, st dialect.Statement, params []any) (Result, error) {
	if err := authz.DDL(p.Role, st.Kind()); err != nil {
		return Result{}, err
	}
	if len(params) > 0 && !st.Kind().IsDML() {
		return Result{}, apierror.New(apierror.InvalidParameter, "params apply to SELECT, INSERT, UPDATE and DELETE only, not %s", st.Kind())
	}
	switch s := st.(type) {
	case *dialect.StandardSQL:
		if updatesSystemUsers(s) {
			return x.updateSystemUsers(ctx, b, p, s, params)
		}
		return x.runStandard(ctx, b, p, s, params)
	case *dialect.Begin:
		if b.tx != nil {
			return Result{}, apierror.New(apierror.SQLExecutionError, "a transaction is already open")
		}
		b.tx = x.txns.Begin()
		b.tx.SetCommitter(b.caller.UserID)
		return message(0, "Transaction started"), nil
	case *dialect.Commit:
		if b.tx == nil {
			return Result{}, apierror.New(apierror.SQLExecutionError, "COMMIT without BEGIN")
		}
		tx := b.tx
		b.tx = nil
		n, err := tx.Commit(ctx)
		if err != nil {
			return Result{}, err
		}
		return message(n, "Transaction committed"), nil
	case *dialect.Rollback:
		if b.tx == nil {
			return Result{}, apierror.New(apierror.SQLExecutionError, "ROLLBACK without BEGIN")
		}
		x.abort(b)
		return message(0, "Transaction rolled back"), nil
	case *dialect.ExecuteAs:
		return x.executeAs(ctx, b, p, s, params)
	case *dialect.UseNamespace:
		if _, ok := x.cat.Snapshot().Namespace(s.Name); !ok {
			return Result{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", s.Name)
		}
		b.namespace = s.Name
		return message(0, fmt.Sprintf("Using namespace %s", s.Name)), nil
	}
	if b.tx != nil {
		return Result{}, apierror.New(apierror.SQLExecutionError, "%s cannot run inside a transaction", st.Kind())
	}
	res, err := x.runAdmin(ctx, b, p, st)
	if err != nil {
		return Result{}, err
	}
	return res, x.holdRows(b, res)
}

// executeAs runs the inner statement as another user, named by user name,
// following the role matrix.
func (x *Executor) executeAs(ctx context.Context, b *batch, p authz.Principal, s *dialect.ExecuteAs, params []any) (Result, error) {
	if err := authz.ExecuteAsStatement(s.Inner.Kind()); err != nil {
		return Result{}, err
	}
	if updatesSystemUsers(s.Inner) {
		// User management, in the form of an UPDATE.
		return Result{}, apierror.New(apierror.PermissionDenied, "EXECUTE AS cannot run user management (UPDATE of system.users)")
	}
	target, ok := x.cat.Snapshot().UserByName(s.User)
	if !ok {
		return Result{}, authz.ExecuteAsUnknown(p, s.User)
	}
	if err := authz.ExecuteAs(p, target); err != nil {
		return Result{}, err
	}
	res, err := x.run(ctx, b, authz.Principal{UserID: target.UserID, Role: target.Role}, s.Inner, params)
	if err != nil {
		return Result{}, err
	}
	res.AsUser = target.Username
	return res, nil
}

// runStandard hands a SELECT/INSERT/UPDATE/DELETE to the query engine.
func (x *Executor) runStandard(ctx context.Context, b *batch, p authz.Principal, s *dialect.StandardSQL, params []any) (Result, error) {
	qr, err := x.eng.Query(ctx, engine.QueryRequest{
		UserID: p.UserID, Committer: b.caller.UserID, Role: p.Role, Namespace: b.namespace, Statement: s,
		Params: params, Tx: b.tx, MaxRows: x.limits.MaxResultRows,
		MaxBytes: max(x.limits.MaxResultBytes-b.resultBytes, 1), Memory: b.memory,
	})
	if err != nil {
		return Result{}, err
	}
	b.resultBytes += qr.Bytes
	if !qr.ReturnsRows {
		return message(qr.RowsAffected, strconv.FormatInt(qr.RowsAffected, 10)+" rows affected"), nil
	}
	if b.owned != nil {
		*b.owned = append(*b.owned, qr)
	}
	res := Result{Rows: qr.Rows, RowCount: int64(len(qr.Rows))}
	if len(qr.Columns) > 0 {
		res.Schema = make([]Column, 0, len(qr.Columns))
	}
	for i, c := range qr.Columns {
		res.Schema = append(res.Schema, Column{Name: c.Name, DataType: c.WireType, Index: i})
	}
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	return res, nil
}
