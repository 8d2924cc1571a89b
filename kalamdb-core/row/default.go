package row

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// ValidateDefault checks that a DEFAULT fits its column: a generator
// function must produce the column's type (the type table says which do),
// and a literal must normalise to a stored value of the type, as a value
// written to the column would. A literal that does not is refused in
// PostgreSQL's words (defaultError).
func ValidateDefault(col string, dt dialect.DataType, def *dialect.DefaultExpr) error {
	if def == nil {
		return nil
	}
	if def.Kind == dialect.DefaultFunction {
		return schema.ValidateDefaultFunction(col, dt, def)
	}
	kind := schema.KindOf(dt.Name)
	if err := typedDefaultFits(col, dt, kind, def.Type); err != nil {
		return err
	}
	if def.Literal == nil {
		return nil
	}
	// Booleans and numbers do not stand in for each other in a DEFAULT,
	// even where the engine would convert them, and a number is no time,
	// UUID, byte string or JSON (PostgreSQL has no such casts).
	switch def.Literal.(type) {
	case bool:
		if kind != schema.KindBool {
			return schema.DefaultMismatch(col, dt, "boolean")
		}
	case int64, float64, decimal.Decimal:
		switch kind {
		case schema.KindBool, schema.KindTimestamp, schema.KindDate, schema.KindTime, schema.KindUUID, schema.KindBytes, schema.KindJSON:
			return schema.DefaultMismatch(col, dt, literalTypeName(def))
		}
	}
	if _, err := Normalize(dt, DefaultLiteral(dt, def.Literal)); err != nil {
		return defaultError(col, dt, def)
	}
	return nil
}

// DefaultLiteral is a constant DEFAULT's literal (dialect.DefaultExpr)
// as the value an INSERT of it would give the column, before the engine
// type converts it: a boolean as the row format holds it, a numeric for
// a text column in PostgreSQL's text of it (1.10, not 1.1). Every place
// that builds the value (the INSERT fast path, the planner's DEFAULT, the
// rows written before an ADD COLUMN) starts from it, so they agree.
func DefaultLiteral(dt dialect.DataType, lit any) any {
	switch v := lit.(type) {
	case bool:
		if v {
			return int8(1)
		}
		return int8(0)
	case decimal.Decimal:
		if schema.KindOf(dt.Name) == schema.KindText {
			return dialect.NumericText(v)
		}
	}
	return lit
}

// typedDefaultKinds are the kinds of the columns a DEFAULT expression
// of a date, time or text type may fill: PostgreSQL's assignment casts
// between them. Numbers and booleans are checked as literals are.
var typedDefaultKinds = map[string][]schema.Kind{
	dialect.PgText:      {schema.KindText},
	dialect.PgVarchar:   {schema.KindText},
	dialect.PgTimestamp: {schema.KindTimestamp, schema.KindDate},
	dialect.PgDate:      {schema.KindTimestamp, schema.KindDate},
	dialect.PgTime:      {schema.KindTime},
	dialect.PgUUID:      {schema.KindUUID},
	dialect.PgJSON:      {schema.KindJSON},
	dialect.PgBytea:     {schema.KindBytes},
	dialect.PgInterval:  nil,
}

// typedDefaultFits checks the type of a DEFAULT expression (typ, empty
// for a lone literal) against its column of kind kind.
func typedDefaultFits(col string, dt dialect.DataType, kind schema.Kind, typ string) error {
	kinds, ok := typedDefaultKinds[typ]
	if !ok || slices.Contains(kinds, kind) {
		return nil
	}
	if kind == schema.KindText {
		// PostgreSQL prints the value in its output form, which the
		// expression as written need not be ('2020-1-1' is 2020-01-01).
		return apierror.New(apierror.Unsupported, "column %s: a DEFAULT of type %s for a text column is not supported: write the text as a string literal", col, typ)
	}
	return schema.DefaultMismatch(col, dt, typ)
}

// literalTypeName is PostgreSQL's type of a number written as def: an
// integer is an integer when it fits 32 bits, else a bigint; anything
// else (a fraction, an exponent, more than 64 bits) is a numeric.
func literalTypeName(def *dialect.DefaultExpr) string {
	if n, ok := def.Literal.(int64); ok {
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return "integer"
		}
		return "bigint"
	}
	return "numeric"
}

// defaultError is PostgreSQL's error for a DEFAULT literal of the
// column's type that its value does not fit: a string is read by the
// type's input rules (which name it), a number overflows the type.
// PostgreSQL checks a length or a precision only when the default is
// written; KalamDB refuses it at once, in the words of that write.
func defaultError(col string, dt dialect.DataType, def *dialect.DefaultExpr) error {
	kind := schema.KindOf(dt.Name)
	name := schema.InputTypeName(dt)
	s, isText := def.Literal.(string)
	switch kind {
	case schema.KindInt16, schema.KindInt32, schema.KindInt64:
		if !isText {
			return apierror.New(apierror.InvalidSQL, "%s out of range", name)
		}
		if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return apierror.New(apierror.InvalidSQL, "value %q is out of range for type %s", s, name)
		}
	case schema.KindDecimal:
		if _, err := decimal.NewFromString(strings.TrimSpace(s)); !isText || err == nil {
			return apierror.New(apierror.InvalidSQL, "numeric field overflow")
		}
	case schema.KindFloat32, schema.KindFloat64:
		if d, ok := def.Literal.(decimal.Decimal); ok {
			// PostgreSQL's numeric to float cast names the numeric.
			return apierror.New(apierror.InvalidSQL, "%q is out of range for type %s", dialect.Snippet(dialect.NumericText(d)), name)
		}
		if !isText {
			return apierror.New(apierror.InvalidSQL, "value out of range: overflow")
		}
	case schema.KindDate, schema.KindTimestamp:
		// PostgreSQL reads a five-digit year; a column here holds years
		// 0001 to 9999 only (a value past them is refused when written),
		// so the DEFAULT is refused for what it is, not as bad syntax.
		if isText && yearPast9999(s) {
			return apierror.New(apierror.InvalidSQL, "column %s: DEFAULT value out of range for %s: %q (a column holds years 0001 to 9999)", col, dt.Name, s)
		}
	case schema.KindText:
		if dt.MaxLength > 0 {
			return apierror.New(apierror.InvalidSQL, "value too long for type character varying(%d)", dt.MaxLength)
		}
	}
	return apierror.New(apierror.InvalidSQL, "invalid input syntax for type %s: %q", name, s)
}

// yearPast9999 reports whether date or timestamp text starts with a year
// past 9999 ("10000-01-01"; leading zeros do not count).
func yearPast9999(s string) bool {
	s = strings.TrimSpace(s)
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n < len(s) && s[n] == '-' && len(strings.TrimLeft(s[:n], "0")) > 4
}
