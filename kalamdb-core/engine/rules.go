package engine

import (
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// The engine's once-after-all rules, in one place because their order
// matters: textSortKeys (pgtextorder.go) rewrites the comparisons it
// recognises by their node types, which nullComparisons (nullcmp.go)
// hides in its wrapper, so nullComparisons comes last, after
// nullFreeHashJoins (hashnulls.go), which finds a hash join's equalities
// by their node types too. Two init
// functions would run in the order of their files' names.
func init() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll,
		analyzer.Rule{Id: textOrderRuleID, Apply: textSortKeys},
		analyzer.Rule{Id: nullFreeHashRuleID, Apply: nullFreeHashJoins},
		analyzer.Rule{Id: nullComparisonsRuleID, Apply: nullComparisons})
}

// strictCastRuleID identifies KalamDB's analyzer rule in the engine's
// traces; the engine's own rule ids are far below it.
const strictCastRuleID analyzer.RuleId = 10_000

// holdRowsRuleID identifies the rule that marks the rows an IN (subquery)
// collects (holdRows).
const holdRowsRuleID analyzer.RuleId = 10_002

// holdSubqueryRows runs after the engine has turned what IN subqueries it
// can into joins: the ones left are evaluated, and collect their rows.
func holdSubqueryRows(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, holdInSubqueries)
}

// newAnalyzer is the engine's default analyzer plus KalamDB's rules.
// Every plan is executed through checkedBuilder, so that every operator
// honours the statement's context.
func newAnalyzer(p *Provider) *analyzer.Analyzer {
	b := analyzer.NewBuilder(p).
		AddPreAnalyzeRule(pgTypesRuleID, pgTypes).
		AddPostAnalyzeRule(strictCastRuleID, strictCasts).
		AddPostAnalyzeRule(holdRowsRuleID, holdSubqueryRows).
		AddPostAnalyzeRule(scanFiltersRuleID, pushScanFilters).
		AddPostAnalyzeRule(hashKeysRuleID, exactHashKeys).
		AddPostAnalyzeRule(textOrderRuleID, textSortKeys).
		// The once-after-all copy of textSortKeys is for the engine's
		// short rule lists only (pgtextorder.go).
		RemoveAfterAllRule(textOrderRuleID)
	a := withoutMySQLGroupBy(b).Build()
	boundPlanning(a)
	fenceFullJoins(a)
	installSortByIndex(a)
	a.ExecBuilder = newCheckedBuilder()
	return a
}

// withoutMySQLGroupBy removes the engine's validateGroupBy: checkGrouping
// applies PostgreSQL's rule, and the engine's (MySQL's ONLY_FULL_GROUP_BY,
// which knows no primary keys) refused valid PostgreSQL such as SELECT *
// ... GROUP BY id. Its id is not exported: it is found by its name.
func withoutMySQLGroupBy(b *analyzer.Builder) *analyzer.Builder {
	for _, r := range analyzer.DefaultValidationRules {
		if r.Id.String() == "validateGroupBy" {
			b = b.RemoveValidationRule(r.Id)
		}
	}
	return b
}

// strictCasts makes a cast of text to a number fail when the text is not
// a number, as in PostgreSQL: MySQL's CAST('abc' AS SIGNED) is 0 without
// so much as a warning, which turns typos into silently wrong data.
func strictCasts(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		c, ok := e.(*expression.Convert)
		if !ok || !types.IsNumber(c.Type()) {
			return e, transform.SameTree, nil
		}
		return &strictConvert{Convert: c}, transform.NewTree, nil
	})
}

// strictConvert checks a text operand before the engine's conversion,
// and a float converted to a decimal (as the engine does to unify the
// columns of a UNION): the engine's conversion panics on NaN and
// infinities, which no decimal can hold.
type strictConvert struct {
	*expression.Convert
}

func (s *strictConvert) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := s.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case []byte:
		text = string(x)
	case float64, float32:
		if f, _ := toFloat64(x); types.IsDecimal(s.Type()) && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return nil, execError("cannot convert %s to DECIMAL", formatFloat(f, 64))
		}
		return s.convertValue(ctx, v)
	default:
		return s.convertValue(ctx, v)
	}
	t := strings.TrimSpace(text)
	notNumber := func() error {
		return apierror.New(apierror.SQLExecutionError, "invalid input for CAST to %s: %q is not a number", s.Type(), dialect.Snippet(text))
	}
	if _, err := strconv.ParseFloat(t, 64); err != nil && !types.IsDecimal(s.Type()) {
		return nil, notNumber()
	}
	if types.IsDecimal(s.Type()) {
		// The engine's conversion to a decimal costs time quadratic in the
		// digits: measure them first.
		if err := checkDecimalText(t, numericDT, notNumber); err != nil {
			return nil, err
		}
		// Read as PostgreSQL reads it: the engine would compute ten to
		// the power of a zero's exponent (0e100000000).
		if d, ok, _ := dialect.ParseNumeric(t); ok {
			return s.convertValue(ctx, d)
		}
	}
	return s.convertValue(ctx, t)
}

// convertValue runs the engine's conversion on an already evaluated value,
// so the operand (which may be non-deterministic) is evaluated once.
func (s *strictConvert) convertValue(ctx *sql.Context, v any) (any, error) {
	c, err := s.Convert.WithChildren(expression.NewLiteral(v, s.Child.Type()))
	if err != nil {
		return nil, err
	}
	return c.Eval(ctx, nil)
}

func (s *strictConvert) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	c, err := s.Convert.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &strictConvert{Convert: c.(*expression.Convert)}, nil
}
