package engine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// functionSet holds KalamDB's SQL functions by lower-case name. The
// provider serves them before the engine's built-ins, which is how
// CURRENT_USER() and LENGTH() get KalamDB's meaning, and how the engine's
// functions that could run away in time or memory are replaced: the
// REGEXP_* functions (fn_regexp.go) and the functions that build large
// values (fn_sized.go).
type functionSet map[string]sql.Function

func newFunctionSet(seq *ids.Snowflake, uuids *ids.UUIDv7Generator, ulids *ids.ULIDGenerator) (functionSet, error) {
	fs := functionSet{}
	add := func(f sql.Function) { fs[f.FunctionName()] = f }
	sized, err := sizedFunctions()
	if err != nil {
		return nil, err
	}
	for _, f := range append(sized, regexpFunctions()...) {
		add(f)
	}
	add(sql.Function0{Name: "snowflake_id", Fn: func() sql.Expression {
		return &generatorFunc{name: "SNOWFLAKE_ID", typ: types.Int64, gen: func() (any, error) { return seq.Next(), nil }}
	}})
	add(sql.Function0{Name: "uuid_v7", Fn: func() sql.Expression {
		return &generatorFunc{name: "UUID_V7", typ: types.LongText, gen: func() (any, error) { return uuids.Next() }}
	}})
	add(sql.Function0{Name: "ulid", Fn: func() sql.Expression {
		return &generatorFunc{name: "ULID", typ: types.LongText, gen: func() (any, error) { return ulids.Next() }}
	}})
	add(sql.Function0{Name: "current_user", Fn: func() sql.Expression { return currentUser{} }})
	// LENGTH counts characters, as in PostgreSQL; MySQL's counts bytes.
	add(sql.Function1{Name: "length", Fn: function.NewCharLength})
	// Engine functions that reach the server's files, hold state across
	// statements (named locks outlive the per-statement session) or park a
	// worker on purpose have no place in a multi-tenant database.
	for _, name := range []string{"load_file", "get_lock", "release_lock", "release_all_locks", "is_free_lock",
		"is_used_lock", "sleep", "benchmark"} {
		add(sql.FunctionN{Name: name, Fn: func(...sql.Expression) (sql.Expression, error) {
			return nil, apierror.New(apierror.InvalidSQL, "function %s() is not supported", strings.ToUpper(name))
		}})
	}
	return fs, nil
}

// generatorFunc is a zero-argument id generator. It is non-deterministic,
// so the engine evaluates it per row and never folds it to a constant.
type generatorFunc struct {
	name string
	typ  sql.Type
	gen  func() (any, error)
}

var (
	_ sql.FunctionExpression         = (*generatorFunc)(nil)
	_ sql.NonDeterministicExpression = (*generatorFunc)(nil)
)

func (g *generatorFunc) FunctionName() string       { return g.name }
func (g *generatorFunc) Description() string        { return "generates a new " + g.name + " value" }
func (g *generatorFunc) String() string             { return g.name + "()" }
func (g *generatorFunc) Type() sql.Type             { return g.typ }
func (g *generatorFunc) IsNullable() bool           { return false }
func (g *generatorFunc) Resolved() bool             { return true }
func (g *generatorFunc) Children() []sql.Expression { return nil }
func (g *generatorFunc) IsNonDeterministic() bool   { return true }
func (g *generatorFunc) Eval(*sql.Context, sql.Row) (any, error) {
	v, err := g.gen()
	if err != nil {
		return nil, fmt.Errorf("%s(): %w", g.name, err)
	}
	return v, nil
}
func (g *generatorFunc) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(g, len(children), 0)
	}
	return g, nil
}

// currentUser is CURRENT_USER(): the effective user id of the statement
// (the EXECUTE AS target inside EXECUTE AS USER).
type currentUser struct{}

var _ sql.FunctionExpression = currentUser{}

func (currentUser) FunctionName() string       { return "current_user" }
func (currentUser) Description() string        { return "returns the effective user id" }
func (currentUser) String() string             { return "CURRENT_USER()" }
func (currentUser) Type() sql.Type             { return types.LongText }
func (currentUser) IsNullable() bool           { return false }
func (currentUser) Resolved() bool             { return true }
func (currentUser) Children() []sql.Expression { return nil }
func (c currentUser) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 0)
	}
	return c, nil
}
func (currentUser) Eval(ctx *sql.Context, _ sql.Row) (any, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	return s.UserID, nil
}
