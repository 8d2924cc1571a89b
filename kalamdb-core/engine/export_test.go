package engine

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// CachedAST returns the translated statement the plan cache holds for a
// text run in a namespace, or nil.
func CachedAST(e *Engine, text, namespace string) sqlparser.Statement {
	e.plans.mu.Lock()
	defer e.plans.mu.Unlock()
	if cs, ok := e.plans.m[planKey{text: text, namespace: namespace}]; ok {
		return cs.st.AST
	}
	return nil
}

// analyzedPlan is text, a query root runs in namespace ns, planned as the
// engine would run it (translated, views expanded, KalamDB's checks and
// the analyzer's rules applied); release ends its transaction.
func analyzedPlan(ctx context.Context, e *Engine, ns, text string) (_ sql.Node, release func(), err error) {
	tx := e.txns.Begin()
	sctx, releaseCtx, err := e.newContext(ctx, "root", systable.RoleSystem, ns, tx)
	if err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	done := func() { releaseCtx(); tx.Rollback() }
	defer func() {
		if err != nil {
			done()
		}
	}()
	std := dialect.NewStandardSQL(dialect.KindSelect, text)
	cs, err := e.statement(std, ns)
	if err != nil {
		return nil, nil, err
	}
	ast, err := e.expandViews(std, cs.st, systable.RoleSystem, ns)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := e.checkStatement(sctx, ast, cs.unqualified, cs.tableFunction, QueryRequest{UserID: "root", Role: systable.RoleSystem, Namespace: ns, Statement: std})
	if err != nil {
		return nil, nil, err
	}
	binder := planbuilder.New(sctx, e.gms.Analyzer.Catalog, e.gms.EventScheduler, e.gms.Parser)
	bound, flags, err := binder.BindOnly(parsed, cs.key.text, nil)
	if err != nil {
		return nil, nil, translateError(err)
	}
	analyzed, err := e.gms.Analyzer.Analyze(sctx, bound, nil, flags)
	if err != nil {
		return nil, nil, translateError(err)
	}
	return analyzed, done, nil
}

// WindowImplementations plans text, a query root runs in namespace ns, as
// the engine would run it (translated, views expanded, KalamDB's checks
// and the analyzer's rules applied) and names what computes each
// expression of each window node of its plan, subqueries included, in
// the order the plan holds them: "kalamdb:<aggregate>" (pgAgg),
// "engine:<function>" (row_number, ntile, lag, lead), "peers:<function>"
// (rank, dense_rank, percent_rank) or "plain". An expression buildWindow
// would refuse is an error.
func WindowImplementations(ctx context.Context, e *Engine, ns, text string) ([]string, error) {
	analyzed, release, err := analyzedPlan(ctx, e, ns, text)
	if err != nil {
		return nil, err
	}
	defer release()
	var out []string
	var walk func(n sql.Node)
	walk = func(n sql.Node) {
		transform.Inspect(n, func(n sql.Node) bool {
			if w, ok := n.(*plan.Window); ok {
				for _, x := range w.SelectExprs {
					if a, ok := x.(*expression.Alias); ok {
						x = a.Child
					}
					impl, ierr := windowImplOf(x)
					if ierr != nil {
						err = ierr
						return false
					}
					name := ""
					switch f := x.(type) {
					case *pgAgg:
						name = f.spec.name
					case sql.FunctionExpression:
						name = strings.ToLower(f.FunctionName())
					}
					out = append(out, [...]string{"plain", "kalamdb:", "engine:", "peers:"}[impl]+name)
				}
			}
			if n == nil {
				return false
			}
			if x, ok := n.(sql.Expressioner); ok {
				for _, e := range x.Expressions() {
					transform.InspectExpr(e, func(e sql.Expression) bool {
						if sq, ok := e.(*plan.Subquery); ok {
							walk(sq.Query)
						}
						return false
					})
				}
			}
			return err == nil
		})
	}
	walk(analyzed)
	return out, err
}

// CatalogListings is how many times e has listed the catalog for the
// virtual schemas (information_schema, pg_catalog).
func CatalogListings(e *Engine) int64 { return e.provider.listings.Load() }

// WithoutNullComparisons is ctx for statements planned with
// nullComparisons off: their comparisons are the engine's own.
func WithoutNullComparisons(ctx context.Context) context.Context {
	return context.WithValue(ctx, nullComparisonsOff{}, true)
}

// NullCheckedComparisons plans text as WindowImplementations does and
// counts the comparisons nullComparisons wrapped, in subqueries too, and
// those with a computed operand.
func NullCheckedComparisons(ctx context.Context, e *Engine, ns, text string) (all, computed int, err error) {
	err = inspectPlan(ctx, e, ns, text, nil, func(e sql.Expression) {
		if x, ok := e.(*nullCheckedComparison); ok {
			all++
			if x.values != nil {
				computed++
			}
		}
	})
	return all, computed, err
}

// inspectPlan plans text as WindowImplementations does and calls node
// with each node of the plan and expr with each expression of a node's
// own (not of a node in a subquery expression), the plans of subquery
// expressions included; either may be nil.
func inspectPlan(ctx context.Context, e *Engine, ns, text string, node func(sql.Node), expr func(sql.Expression)) error {
	analyzed, release, err := analyzedPlan(ctx, e, ns, text)
	if err != nil {
		return err
	}
	defer release()
	var walk func(n sql.Node)
	walk = func(n sql.Node) {
		transform.Inspect(n, func(n sql.Node) bool {
			if node != nil {
				node(n)
			}
			if x, ok := n.(sql.Expressioner); ok {
				for _, e := range x.Expressions() {
					transform.InspectExpr(e, func(e sql.Expression) bool {
						if sq, ok := e.(*plan.Subquery); ok {
							walk(sq.Query)
						}
						if expr != nil {
							expr(e)
						}
						return false
					})
				}
			}
			return true
		})
	}
	walk(analyzed)
	return nil
}

// KeepingNullHashKeys is ctx for statements planned with
// nullFreeHashJoins off: their hash joins keep NULL keys.
func KeepingNullHashKeys(ctx context.Context) context.Context {
	return context.WithValue(ctx, nullHashKeysKept{}, true)
}

// NullFreeHashSides plans text as WindowImplementations does and counts
// the hashed sides that leave NULL keys out, in subqueries too.
func NullFreeHashSides(ctx context.Context, e *Engine, ns, text string) (int, error) {
	count := 0
	err := inspectPlan(ctx, e, ns, text, func(n sql.Node) {
		switch x := n.(type) {
		case *nullFreeSide:
			count++
		case *hashedSide:
			if x.nulls != nil {
				count++
			}
		}
	}, nil)
	return count, err
}

// WithFullJoinsNested is ctx for statements whose FULL JOINs stay the
// engine's nested loops.
func WithFullJoinsNested(ctx context.Context) context.Context {
	return context.WithValue(ctx, fullJoinsNested{}, true)
}

// StatementCachesAtStart opens a statement's context as root, returns
// how many caches its memory manager holds at the start, and, with
// leave, leaves one there undisposed before the context is released.
func StatementCachesAtStart(e *Engine, leave bool) (int, error) {
	sctx, release, err := e.newContextIn(context.Background(), "root", systable.RoleSystem, "", nil, nil)
	if err != nil {
		return 0, err
	}
	defer release()
	n := sctx.Memory.NumCaches()
	if leave {
		sctx.Memory.NewHistoryCache()
	}
	return n, nil
}

// TableSchema is the engine schema a table of namespace ns hands the
// planner (its cached shape's).
func TableSchema(e *Engine, ns, name string) (sql.Schema, error) {
	t, ok := e.cat.Snapshot().Table(ns, name)
	if !ok {
		return nil, sql.ErrTableNotFound.New(name)
	}
	s, err := e.provider.tables.shape(t)
	if err != nil {
		return nil, err
	}
	return s.sch, nil
}
