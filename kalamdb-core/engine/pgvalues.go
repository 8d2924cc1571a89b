package engine

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	krow "github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// statementTime is now() of the statement: the start of its transaction
// (PostgreSQL's transaction timestamp), in UTC with microseconds.
func statementTime(ctx *sql.Context) time.Time {
	if ctx != nil {
		if s, ok := ctx.Session.(*Session); ok && s.tx != nil && !s.tx.Start().IsZero() {
			return s.tx.Start()
		}
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// jsonValue is the Go value of a JSON document (maps, slices, strings,
// float64 or json.Number, bools, nil) from any engine representation.
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case types.JSONDocument:
		return x.Val, nil
	case sql.JSONWrapper:
		return x.ToInterface()
	case string:
		return decodeJSON([]byte(x))
	case []byte:
		return decodeJSON(x)
	case json.RawMessage:
		return decodeJSON(x)
	}
	return v, nil
}

func decodeJSON(b []byte) (any, error) {
	val, err := krow.DecodeJSONText(b)
	if err != nil {
		if tooDeep(err) {
			return nil, errJSONTooDeep()
		}
		return nil, jsonInputError(err)
	}
	return val, nil
}

// jsonInputError is the error of text that is not a JSON value:
// PostgreSQL's "invalid input syntax for type json" and its detail
// (krow.JSONSyntaxError), or what else the decoder refused.
func jsonInputError(err error) error {
	if se := (*krow.JSONSyntaxError)(nil); errors.As(err, &se) {
		return execError("%s", se.Error())
	}
	return execError("invalid input syntax for type json: %v", err)
}

// maxJSONDepth is how deeply the JSON decoder nests arrays and objects,
// and so how deeply a stored value may (krow.MaxJSONDepth).
const maxJSONDepth = krow.MaxJSONDepth

// tooDeep reports whether a JSON decoding error is the decoder's nesting
// bound rather than bad syntax.
func tooDeep(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) && strings.Contains(se.Error(), "exceeded max depth")
}

// errJSONTooDeep is the error of a JSON document nested past maxJSONDepth:
// valid JSON, which no KalamDB value may hold.
func errJSONTooDeep() error {
	return apierror.New(apierror.ResourceLimitExceeded, "a JSON value nests arrays and objects more than %d levels deep (a fixed limit)", maxJSONDepth)
}

// varcharLength is n of a VARCHAR(n) column's engine type.
func varcharLength(t sql.Type) (int, bool) {
	st, ok := t.(sql.StringType)
	if !ok || t.Type() != sqltypes.VarChar {
		return 0, false
	}
	return int(st.MaxCharacterLength()), true
}

// checkLength applies VARCHAR(n)'s length to a value written into it (a
// text whose characters past n are all spaces is cut to n): a
// constant now, a computed value as it is written (lengthChecked). DEFAULT
// is left to the engine, which fills it in by its type.
func checkLength(e sql.Expression, n int) (sql.Expression, error) {
	if x, ok := asLiteral(e); ok {
		if s, ok := x.Value().(string); ok && tooLong(s, n) {
			cut, ok := krow.TrimExcessSpaces(s, n)
			if !ok {
				return nil, errTooLong(n)
			}
			return newLiteral(cut, x.Type()), nil
		}
		return e, nil
	}
	switch e.(type) {
	case *expression.DefaultColumn, *sql.ColumnDefaultValue:
		return e, nil
	}
	return &lengthChecked{Child: e, max: n}, nil
}

func tooLong(s string, n int) bool {
	return len(s) > n && utf8.RuneCountInString(s) > n
}

func errTooLong(n int) error {
	return apierror.New(apierror.InvalidInput, "value too long for type character varying(%s)", strconv.Itoa(n))
}

// lengthChecked refuses a text longer than its VARCHAR(n) column holds
// (unless only spaces are past the n-th character: those are dropped, as
// PostgreSQL and the SQL standard drop them) with PostgreSQL's message, before the engine's conversion refuses it
// with MySQL's ("string '...' is too large for column 'v'"), which names
// neither the type nor its length. It refuses exactly what the engine
// refuses (more than n characters), and passes anything else on.
type lengthChecked struct {
	Child sql.Expression
	max   int
}

var _ sql.Expression = (*lengthChecked)(nil)

func (l *lengthChecked) Resolved() bool             { return l.Child.Resolved() }
func (l *lengthChecked) String() string             { return l.Child.String() }
func (l *lengthChecked) Type() sql.Type             { return l.Child.Type() }
func (l *lengthChecked) IsNullable() bool           { return l.Child.IsNullable() }
func (l *lengthChecked) Children() []sql.Expression { return []sql.Expression{l.Child} }
func (l *lengthChecked) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := l.Child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok && tooLong(s, l.max) {
		cut, ok := krow.TrimExcessSpaces(s, l.max)
		if !ok {
			return nil, errTooLong(l.max)
		}
		return cut, nil
	}
	return v, nil
}

func (l *lengthChecked) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 1)
	}
	return &lengthChecked{Child: children[0], max: l.max}, nil
}

// inputTypeName names dt in an input syntax error as PostgreSQL does
// (schema.InputTypeName).
func inputTypeName(dt dialect.DataType) string { return schema.InputTypeName(dt) }
