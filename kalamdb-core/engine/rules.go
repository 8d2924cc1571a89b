package engine

import (
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// strictCastRuleID identifies KalamDB's analyzer rule in the engine's
// traces; the engine's own rule ids are far below it.
const strictCastRuleID analyzer.RuleId = 10_000

// newAnalyzer is the engine's default analyzer plus KalamDB's rules.
// Every plan is executed through checkedBuilder, so that every operator
// honours the statement's context.
func newAnalyzer(p *Provider) *analyzer.Analyzer {
	a := analyzer.NewBuilder(p).
		AddPreAnalyzeRule(pgTypesRuleID, pgTypes).
		AddPostAnalyzeRule(strictCastRuleID, strictCasts).
		AddPostAnalyzeRule(scanFiltersRuleID, pushScanFilters).Build()
	installSortByIndex(a)
	a.ExecBuilder = newCheckedBuilder()
	return a
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

// strictConvert checks a text operand before the engine's conversion.
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
	default:
		return s.convertValue(ctx, v)
	}
	t := strings.TrimSpace(text)
	if _, err := strconv.ParseFloat(t, 64); err != nil {
		return nil, apierror.New(apierror.SQLExecutionError, "invalid input for CAST to %s: %q is not a number", s.Type(), text)
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
