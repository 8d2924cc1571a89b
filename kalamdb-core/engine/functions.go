package engine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// functionSet holds KalamDB's SQL functions by lower-case name. The
// provider serves them before the engine's built-ins, which is how
// CURRENT_USER() and LENGTH() get KalamDB's meaning. Statements reach
// functions only through the names the front end (package pgsql)
// translates to, so none of the engine's own functions that could run
// away in time or memory (its backtracking regular expressions, its
// string builders) can be called.
type functionSet map[string]sql.Function

func newFunctionSet(seq *ids.Snowflake, uuids *ids.UUIDv7Generator, ulids *ids.ULIDGenerator) (functionSet, error) {
	fs := functionSet{}
	add := func(f sql.Function) { fs[f.FunctionName()] = f }
	add(sql.Function0{Name: "snowflake_id", Fn: func() sql.Expression {
		return &generatorFunc{name: "SNOWFLAKE_ID", typ: types.Int64, gen: func() (any, error) { return seq.Next(), nil }, keyable: true}
	}})
	add(sql.Function0{Name: "uuid_v7", Fn: func() sql.Expression {
		return &generatorFunc{name: "UUID_V7", typ: types.LongText, gen: func() (any, error) { return uuids.Next() }}
	}})
	add(sql.Function0{Name: "ulid", Fn: func() sql.Expression {
		return &generatorFunc{name: "ULID", typ: types.LongText, gen: func() (any, error) { return ulids.Next() }}
	}})
	add(sql.Function0{Name: "current_user", Fn: func() sql.Expression { return currentUser{} }})
	add(sql.Function0{Name: "current_user_id", Fn: func() sql.Expression { return currentUser{id: true} }})
	// LENGTH counts characters, as in PostgreSQL; MySQL's counts bytes.
	// (Statements reach it as kdb_length; this one serves the engine's
	// own parsing of column DEFAULTs.)
	add(sql.Function1{Name: "length", Fn: function.NewCharLength})

	// The functions and operators of KalamDB's SQL, with PostgreSQL
	// semantics, under the names package pgsql translates to.
	add(sql.FunctionN{Name: pgsql.FnInt, Fn: buildIntLiteral})
	add(sql.FunctionN{Name: pgsql.AggregateCarrier, Fn: buildCarrier})
	add(sql.FunctionN{Name: pgsql.FnNulls, Fn: buildNullsMarker})
	add(sql.FunctionN{Name: "ntile", Fn: buildNTile})
	for name, op := range map[string]string{pgsql.FnAdd: "+", pgsql.FnSub: "-", pgsql.FnMul: "*", pgsql.FnDiv: "/", pgsql.FnMod: "%"} {
		fs.register(name, buildArith(op))
	}
	fs.register(pgsql.FnNeg, buildSign(true))
	fs.register(pgsql.FnPos, buildSign(false))
	fs.register(pgsql.FnPower, buildPower)
	fs.register(pgsql.FnBitAnd, buildBitOp("&"))
	fs.register(pgsql.FnBitOr, buildBitOp("|"))
	fs.register(pgsql.FnShiftLeft, buildBitOp("<<"))
	fs.register(pgsql.FnShiftRight, buildBitOp(">>"))
	fs.register(pgsql.FnBitNot, buildBitNot)
	fs.register(pgsql.FnCast, buildCast(false))
	fs.register(pgsql.FnTryCast, buildCast(true))
	fs.register(pgsql.FnCase, buildCase)
	fs.register(pgsql.FnNot, buildNot)
	fs.register(pgsql.FnCoalesce, buildCoalesce)
	fs.register(pgsql.FnNullIf, buildNullIf)
	fs.register(pgsql.FnGreatest, buildExtreme(true))
	fs.register(pgsql.FnLeast, buildExtreme(false))
	fs.registerStringFunctions()
	fs.registerRegexFunctions()
	fs.registerMathFunctions()
	fs.registerTimeFunctions()
	fs.registerJSONFunctions()
	fs.register(boolParamFn, buildBoolParam)
	fs.register(pgsql.FnNoFunction, buildNoFunction)
	// now() also serves the engine's parsing of DEFAULT NOW(): microseconds
	// and the statement's time, instead of MySQL's whole seconds.
	fs.register("now", buildNow)
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
	// keyable: the values are ids of the generator that also issues
	// _seq, which the statement's session notes (Session.noteID) so that
	// an insert taking one as its key may skip its duplicate check.
	keyable bool
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
func (g *generatorFunc) Eval(ctx *sql.Context, _ sql.Row) (any, error) {
	v, err := g.gen()
	if err != nil {
		return nil, fmt.Errorf("%s(): %w", g.name, err)
	}
	if id, ok := v.(int64); ok && g.keyable && ctx != nil {
		if s, ok := ctx.Session.(*Session); ok {
			s.noteID(id)
		}
	}
	return v, nil
}
func (g *generatorFunc) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(g, len(children), 0)
	}
	return g, nil
}

// currentUser is CURRENT_USER(), the effective user's name, as in
// KalamDB, or with id set CURRENT_USER_ID(), the effective user's id (the
// partition owner). Inside EXECUTE AS USER the effective user is the
// target.
type currentUser struct{ id bool }

var _ sql.FunctionExpression = currentUser{}

func (c currentUser) FunctionName() string {
	if c.id {
		return "current_user_id"
	}
	return "current_user"
}
func (c currentUser) Description() string {
	if c.id {
		return "returns the effective user id"
	}
	return "returns the effective user name"
}
func (c currentUser) String() string           { return strings.ToUpper(c.FunctionName()) + "()" }
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
func (c currentUser) Eval(ctx *sql.Context, _ sql.Row) (any, error) {
	s, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	if c.id {
		return s.UserID, nil
	}
	return s.cat.Snapshot().Username(s.UserID), nil
}
