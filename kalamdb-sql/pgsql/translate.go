package pgsql

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// MaxParams bounds the placeholders of one statement.
const MaxParams = 65535

// Statement is a standard statement translated for the engine.
//
// It depends on nothing but the text it was translated from and is never
// changed after Translate returns, so it may be cached by text and shared
// between sessions. The AST must not be modified: a caller that needs a
// different AST copies the nodes it changes.
type Statement struct {
	// AST is the statement as the engine's planner takes it.
	AST sqlparser.Statement
	// Params is how many request params the statement takes ($1..$Params).
	Params int
	// Refs[i] is how many times $i+1 appears in AST: the engine binds each
	// reference as a literal of its own, so a parameter's cost in planning
	// is its size times its references (Params may exceed len(Refs)).
	Refs []int
	// Kind is SELECT, INSERT, UPDATE or DELETE, as PostgreSQL parsed it.
	Kind dialect.Kind
}

// BindName is the engine's name of the bind variable for $n.
func BindName(n int) string {
	if n > 0 && n < len(bindNames) {
		return bindNames[n]
	}
	return "v" + strconv.Itoa(n)
}

// bindNames are the names of the first parameters, made once: binding
// them was an allocation per parameter of every statement.
var bindNames = func() (names [65]string) {
	for i := 1; i < len(names); i++ {
		names[i] = "v" + strconv.Itoa(i)
	}
	return names
}()

// Translate parses one standard statement with PostgreSQL's parser and
// translates it for the engine. Errors carry positions within text. A
// statement over lim (zero fields: the defaults) is refused with
// RESOURCE_LIMIT_EXCEEDED before anything parses it.
func Translate(text string, lim Limits) (*Statement, error) {
	// PostgreSQL's parser reads C strings: a NUL would end the statement
	// early ("DELETE FROM t\x00 WHERE ..." would lose its WHERE), and
	// PostgreSQL refuses both NUL and invalid UTF-8 in statement text.
	if i := strings.IndexByte(text, 0); i >= 0 {
		return nil, dialect.ErrorAt(apierror.InvalidSQL, text, i, "the statement contains a NUL character (pass such text as a parameter)")
	}
	if !utf8.ValidString(text) {
		return nil, apierror.New(apierror.InvalidSQL, "the statement is not valid UTF-8")
	}
	if err := checkComplexity(text, lim.withDefaults()); err != nil {
		return nil, err
	}
	pre, err := preprocess(text)
	if err != nil {
		return nil, err
	}
	tree, err := pg.Parse(pre.text)
	if err != nil {
		return nil, pre.parseError(err)
	}
	if len(tree.Stmts) != 1 {
		return nil, apierror.New(apierror.InvalidSQL, "expected one statement, got %d", len(tree.Stmts))
	}
	t := &translator{pre: pre, root: tree.Stmts[0].Stmt}
	ast, kind, err := t.statement(tree.Stmts[0].Stmt)
	if err != nil {
		return nil, err
	}
	if pre.questions > 0 {
		t.params = pre.questions
	}
	return &Statement{AST: ast, Params: t.params, Refs: t.refs, Kind: kind}, nil
}

// translator holds the state of one translation.
type translator struct {
	pre *prepared
	// params is the highest $n seen.
	params int
	// refs counts the references to each $n (Statement.Refs).
	refs []int
	// depth counts nested expressions, to bound recursion on hostile input
	// (PostgreSQL's parser already bounds its own stack).
	depth int
	// inWrite is set while an UPDATE or DELETE is translated (subLink).
	inWrite bool
	// inWindowArgs is set while a window function's arguments are
	// translated (a subquery's own SELECT clears it): an aggregate there
	// (sum(count(*)) OVER (...)) is refused.
	inWindowArgs bool
	// windows are the named windows of the SELECT being translated (its
	// WINDOW clause), resolved.
	windows map[string]*pg.WindowDef
	// root is the statement translated; tableNames the names it uses for
	// tables, computed from it when a WITH is met (ctescope.go).
	root       *pg.Node
	tableNames map[string]bool
	// ctes are the scopes of the WITH clauses being translated, innermost
	// last; cteRenames counts the internal names given.
	ctes       []cteScope
	cteRenames int
	// aggs is where aggregates may not be called, in the query being
	// translated (a subquery has its own).
	aggs aggScope
	// symmetric counts the BETWEEN SYMMETRIC whose operands are being
	// translated (MaxSymmetricNesting).
	symmetric int
}

// aggScope says where an aggregate call is refused: in a WHERE or an
// UPDATE's SET (refusedIn names it), or in another aggregate's arguments.
type aggScope struct {
	refusedIn string
	inArgs    bool
}

// refuseAggregates translates with aggregates refused, naming clause in
// the error, as PostgreSQL does.
func (t *translator) refuseAggregates(clause string, fn func() error) error {
	saved := t.aggs.refusedIn
	t.aggs.refusedIn = clause
	defer func() { t.aggs.refusedIn = saved }()
	return fn()
}

// errorAt is an INVALID_SQL error about the text at offset loc of the
// parsed text (-1: no position).
func (t *translator) errorAt(loc int32, format string, args ...any) *apierror.Error {
	return t.codeAt(apierror.InvalidSQL, loc, format, args...)
}

// unsupported is an UNSUPPORTED error: valid PostgreSQL that KalamDB does
// not run.
func (t *translator) unsupported(loc int32, format string, args ...any) *apierror.Error {
	return t.codeAt(apierror.Unsupported, loc, format, args...)
}

// execErrorAt is the error of a constant the translation computes that
// fails as it is computed (beyond its type's range, "bigint out of
// range", or a division by zero): the same SQL_EXECUTION_ERROR as when
// the engine computes it, as PostgreSQL's are run-time errors
// (numeric_value_out_of_range, division_by_zero) however early they are
// found.
func (t *translator) execErrorAt(loc int32, format string, args ...any) *apierror.Error {
	return t.codeAt(apierror.SQLExecutionError, loc, format, args...)
}

func (t *translator) codeAt(code apierror.Code, loc int32, format string, args ...any) *apierror.Error {
	if loc < 0 {
		return apierror.New(code, format, args...)
	}
	return dialect.ErrorAt(code, t.pre.src, t.pre.srcOffset(int(loc)), format, args...)
}

// pgNear extracts what PostgreSQL's syntax errors quote.
var pgNear = regexp.MustCompile(`^syntax error at or near "(.*)"$`)

// parseError turns an error of PostgreSQL's parser into an INVALID_SQL
// error located in the source text.
func (p *prepared) parseError(err error) error {
	var pe *pgparser.Error
	if !errors.As(err, &pe) {
		return apierror.Wrap(apierror.InvalidSQL, err, "the statement could not be parsed")
	}
	msg := pe.Message
	if pe.Cursorpos <= 0 {
		return apierror.New(apierror.InvalidSQL, "%s", msg)
	}
	// The cursor counts characters of the parsed text.
	off := 0
	for n := 1; n < pe.Cursorpos && off < len(p.text); n++ {
		_, size := utf8.DecodeRuneInString(p.text[off:])
		off += size
	}
	src := p.srcOffset(off)
	if m := pgNear.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("syntax error at position %d near '%s'", src+1, dialect.Snippet(m[1]))
	}
	return dialect.ErrorAt(apierror.InvalidSQL, p.src, src, "%s", msg)
}
