package engine

import (
	"errors"
	"testing"

	icuregex "github.com/dolthub/go-icu-regex"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The engine's own REGEXP_* functions are linked against the workspace's
// stand-in for go-icu-regex (go.work), which refuses every expression: the
// real one would compile ICU at every process start and answer true here.
func TestEngineRegexRunsOnTheStandIn(t *testing.T) {
	ctx := sql.NewEmptyContext()
	e, err := function.NewRegexpLike(expression.NewLiteral("abc", types.LongText), expression.NewLiteral("b", types.LongText))
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.Eval(ctx, nil)
	if !icuregex.ErrUnsupported.Is(err) {
		t.Fatalf("REGEXP_LIKE('abc', 'b') = %v, %v; want the stand-in's refusal", v, err)
	}
}

// A plan that still holds one of the engine's regular expressions is
// refused before it runs, with an internal error rather than the
// stand-in's message: the front end is expected to translate them all.
func TestRefuseEngineRegex(t *testing.T) {
	like, err := function.NewRegexpLike(expression.NewLiteral("abc", types.LongText), expression.NewLiteral("b", types.LongText))
	if err != nil {
		t.Fatal(err)
	}
	refused := plan.NewProject([]sql.Expression{expression.NewNot(like)}, plan.NewEmptyTableWithSchema(nil))
	var ae *apierror.Error
	if err := refuseEngineRegex(refused); !errors.As(err, &ae) || ae.Code != apierror.InternalError {
		t.Fatalf("refuseEngineRegex(project of NOT REGEXP_LIKE) = %v; want %s", err, apierror.InternalError)
	}
	kept := plan.NewProject([]sql.Expression{expression.NewLiteral("abc", types.LongText)}, plan.NewEmptyTableWithSchema(nil))
	if err := refuseEngineRegex(kept); err != nil {
		t.Fatalf("refuseEngineRegex(project of a literal) = %v; want nil", err)
	}
}
