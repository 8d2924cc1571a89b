package dialect

import (
	"reflect"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A DEFAULT written as an expression of constants or a typed literal is
// folded to its value when the table is created (it was refused:
// "unsupported DEFAULT value '...'", or "expected ',' or ')'" at the
// operator); Text keeps it as written, Type says PostgreSQL's type of
// the value, and a lone literal keeps an empty Type.
func TestMsgs24DefaultExpressions(t *testing.T) {
	lit := func(v any, typ, text string) DefaultExpr {
		return DefaultExpr{Kind: DefaultLiteral, Literal: v, Type: typ, Text: text}
	}
	cases := []struct {
		expr string
		want DefaultExpr
	}{
		{"TIMESTAMP '2020-01-01 00:00:00'", lit("2020-01-01 00:00:00", "timestamp without time zone", "TIMESTAMP '2020-01-01 00:00:00'")},
		{"DATE '2020-01-01'", lit("2020-01-01", "date", "DATE '2020-01-01'")},
		{"INTERVAL '1 day'", lit("1 day", "interval", "INTERVAL '1 day'")},
		{"'5'::int", lit(int64(5), "integer", "'5'::int")},
		{"' 7 '::INT2", lit(int64(7), "smallint", "' 7 '::INT2")},
		{"CAST('5' AS BIGINT)", lit(int64(5), "bigint", "CAST('5' AS BIGINT)")},
		{"cast(5 as text)", lit("5", "text", "cast(5 as text)")},
		{"'abcdef'::varchar(3)", lit("abc", "character varying", "'abcdef'::varchar(3)")},
		{"'yes'::boolean", lit(true, "boolean", "'yes'::boolean")},
		{"1.5::int", lit(int64(2), "integer", "1.5::int")},
		{"'2020-01-01'::date", lit("2020-01-01", "date", "'2020-01-01'::date")},
		{"-1", lit(int64(-1), "", "-1")},
		{"-(-1)", lit(int64(1), "integer", "-(-1)")},
		{"(5)", lit(int64(5), "integer", "(5)")},
		{"1 + 1", lit(int64(2), "integer", "1 + 1")},
		{"2 + 3 * 4", lit(int64(14), "integer", "2 + 3 * 4")},
		{"(2 + 3) * 4", lit(int64(20), "integer", "(2 + 3) * 4")},
		{"7 / 2", lit(int64(3), "integer", "7 / 2")},
		{"-7 % 3", lit(int64(-1), "integer", "-7 % 3")},
		{"2147483647 + 1::bigint", lit(int64(2147483648), "bigint", "2147483647 + 1::bigint")},
		{"'2' + 1", lit(int64(3), "integer", "'2' + 1")},
		{"'a' || 'b'", lit("ab", "text", "'a' || 'b'")},
		{"'a' || 1", lit("a1", "text", "'a' || 1")},
		{"'a' || NULL", lit(nil, "text", "'a' || NULL")},
		{"1 + NULL", lit(nil, "integer", "1 + NULL")},
		{"NULL::int", lit(nil, "integer", "NULL::int")},
		{"'5'::\"int4\"", lit(int64(5), "integer", "'5'::\"int4\"")},
		{"DOUBLE PRECISION '1.5'", lit(1.5, "double precision", "DOUBLE PRECISION '1.5'")},
		{"INT '5'", lit(int64(5), "integer", "INT '5'")},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			st := parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT "+tc.expr+", d INT)")
			got := st.Columns[0].Default
			if got == nil || !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("default = %#v, want %#v", got, tc.want)
			}
			if len(st.Columns) != 2 {
				t.Fatalf("columns = %d, want 2", len(st.Columns))
			}
		})
	}
}

// What PostgreSQL refuses in a DEFAULT is refused in its words; what it
// raises at the first insert (an overflow, a division by zero) is raised
// at once, since the value is computed once.
func TestMsgs24DefaultExpressionErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "column reference", sql: "CREATE TABLE t (a INT, b INT DEFAULT a)", code: apierror.InvalidSQL, msg: "cannot use column reference in DEFAULT expression", pos: 38},
		{name: "column in expression", sql: "CREATE TABLE t (a INT, b INT DEFAULT 1 + a)", code: apierror.InvalidSQL, msg: "cannot use column reference in DEFAULT expression", pos: 42},
		{name: "quoted column", sql: `CREATE TABLE t (a INT, b INT DEFAULT "a")`, code: apierror.InvalidSQL, msg: "cannot use column reference in DEFAULT expression", pos: 38},
		{name: "qualified column", sql: "CREATE TABLE t (a INT, b INT DEFAULT t.a)", code: apierror.InvalidSQL, msg: "cannot use column reference in DEFAULT expression", pos: 38},
		{name: "subquery", sql: "CREATE TABLE t (a INT DEFAULT (SELECT 1))", code: apierror.InvalidSQL, msg: "cannot use subquery in DEFAULT expression", pos: 32},
		{name: "bad integer", sql: "CREATE TABLE t (a INT DEFAULT 'abc'::int)", code: apierror.InvalidSQL, msg: `invalid input syntax for type integer: "abc"`, pos: 31},
		{name: "string out of range", sql: "CREATE TABLE t (a INT DEFAULT '99999'::smallint)", code: apierror.InvalidSQL, msg: `value "99999" is out of range for type smallint`, pos: 31},
		{name: "sum overflow", sql: "CREATE TABLE t (a INT DEFAULT 2147483647 + 1)", code: apierror.InvalidSQL, msg: "integer out of range", pos: 42},
		{name: "cast overflow", sql: "CREATE TABLE t (a INT DEFAULT 100000::smallint)", code: apierror.InvalidSQL, msg: "smallint out of range", pos: 31},
		{name: "division by zero", sql: "CREATE TABLE t (a INT DEFAULT 1 / 0)", code: apierror.InvalidSQL, msg: "division by zero", pos: 33},
		{name: "bad boolean", sql: "CREATE TABLE t (a BOOLEAN DEFAULT 'maybe'::bool)", code: apierror.InvalidSQL, msg: `invalid input syntax for type boolean: "maybe"`, pos: 35},
		{name: "text plus int", sql: "CREATE TABLE t (a INT DEFAULT ('a' || 'b') + 1)", code: apierror.InvalidSQL, msg: "operator does not exist: text + integer", pos: 44},
		{name: "floats", sql: "CREATE TABLE t (a FLOAT DEFAULT 0.1::float8 + 0.2)", code: apierror.Unsupported, msg: "non-integer", pos: 45},
		{name: "generator in expression", sql: "CREATE TABLE t (a TIMESTAMP DEFAULT NOW() + INTERVAL '1 day')", code: apierror.Unsupported, msg: "a DEFAULT NOW() cannot be part of an expression", pos: 43},
		{name: "unknown function", sql: "CREATE TABLE t (a INT DEFAULT abs(1))", code: apierror.InvalidSQL, msg: "unsupported DEFAULT function ABS()", pos: 31},
		{name: "date to int", sql: "CREATE TABLE t (a INT DEFAULT DATE '2020-01-01'::int)", code: apierror.InvalidSQL, msg: "cannot cast type date to integer", pos: 36},
		{name: "untyped operands", sql: "CREATE TABLE t (a INT DEFAULT '2' + '3')", code: apierror.InvalidSQL, msg: "operator is not unique: unknown + unknown", pos: 35},
		{name: "missing operand", sql: "CREATE TABLE t (a INT DEFAULT 1 +, b INT)", code: apierror.InvalidSQL, msg: "near ',': expected a DEFAULT value", pos: 34},
		{name: "missing parenthesised", sql: "CREATE TABLE t (a INT DEFAULT (, b INT)", code: apierror.InvalidSQL, msg: "near ',': expected a DEFAULT value", pos: 32},
		{name: "unclosed", sql: "CREATE TABLE t (a INT DEFAULT (1 + 2)", code: apierror.InvalidSQL, msg: "expected ',' or ')'", pos: 38},
	})
}

// A quoted type name is not folded, as in PostgreSQL: "int4", "text" and
// "timestamp" name types, "int" and "TEXT" do not (it was a syntax
// error: expected a column type).
func TestMsgs24QuotedTypeNames(t *testing.T) {
	st := parseAs[*CreateTable](t, `CREATE TABLE t (a "int4", b "text", c "timestamp", d "varchar"(5), e "numeric"(5,2), f "int8", g "bool")`)
	want := []DataType{{Name: TypeInt}, {Name: TypeText}, {Name: TypeTimestamp}, {Name: TypeText, MaxLength: 5},
		{Name: TypeDecimal, Precision: 5, Scale: 2}, {Name: TypeBigInt}, {Name: TypeBoolean}}
	for i, w := range want {
		if got := st.Columns[i].Type; got != w {
			t.Errorf("column %s: %+v, want %+v", st.Columns[i].Name, got, w)
		}
	}
	runErrCases(t, []errCase{
		{name: "int", sql: `CREATE TABLE t (a "int")`, code: apierror.InvalidSQL, msg: `type "int" does not exist`, pos: 19},
		{name: "upper case", sql: `CREATE TABLE t (a "TEXT")`, code: apierror.InvalidSQL, msg: `type "TEXT" does not exist`, pos: 19},
		{name: "integer", sql: `CREATE TABLE t (a "integer")`, code: apierror.InvalidSQL, msg: `type "integer" does not exist`, pos: 19},
		{name: "parameters", sql: `CREATE TABLE t (a "int4"(3))`, code: apierror.InvalidSQL, msg: "type INT4 takes no parameters", pos: 25},
	})
}

// PostgreSQL's ALTER TABLE ... ALTER COLUMN is UNSUPPORTED, saying what
// there is instead (it was a syntax error: expected ADD, DROP, MODIFY or
// SET TBLPROPERTIES).
func TestMsgs24AlterColumnUnsupported(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "set default", sql: "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", code: apierror.Unsupported, msg: "ALTER COLUMN is not supported", pos: 15},
		{name: "drop default", sql: "ALTER TABLE t ALTER a DROP DEFAULT", code: apierror.Unsupported, msg: "a DEFAULT is given when the column is created or added", pos: 15},
	})
}
