package row

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func TestValidateDefault(t *testing.T) {
	lit := func(v any, text string) *dialect.DefaultExpr {
		return &dialect.DefaultExpr{Kind: dialect.DefaultLiteral, Literal: v, Text: text}
	}
	fn := func(name string) *dialect.DefaultExpr {
		return &dialect.DefaultExpr{Kind: dialect.DefaultFunction, Function: name, Text: name + "()"}
	}
	ok := []struct {
		t dialect.DataType
		d *dialect.DefaultExpr
	}{
		{dtype(dialect.TypeBigInt), fn("SNOWFLAKE_ID")},
		{dtype(dialect.TypeUUID), fn("UUID_V7")},
		{dtype(dialect.TypeText), fn("ULID")},
		{dtype(dialect.TypeTimestamp), fn("NOW")},
		{dtype(dialect.TypeDate), fn("NOW")},
		{dtype(dialect.TypeInt), lit(int64(5), "5")},
		{dtype(dialect.TypeText), lit("x", "'x'")},
		{dtype(dialect.TypeBoolean), lit(true, "TRUE")},
		{dtype(dialect.TypeDouble), lit(1.5, "1.5")},
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 2}, lit(1.5, "1.5")},
		{dtype(dialect.TypeTimestamp), lit("2024-01-02 03:04:05", "'2024-01-02 03:04:05'")},
		{dtype(dialect.TypeDate), lit("2024-01-02", "'2024-01-02'")},
		{dtype(dialect.TypeJSON), lit(`{"a":1}`, `'{"a":1}'`)},
		{dtype(dialect.TypeUUID), lit("0190c1a2-0000-7000-8000-000000000000", "'0190c1a2-…'")},
		{dtype(dialect.TypeInt), lit(nil, "NULL")},
	}
	for _, c := range ok {
		if err := ValidateDefault("c", c.t, c.d); err != nil {
			t.Errorf("%s DEFAULT %s: %v", c.t.Name, c.d.Text, err)
		}
	}
	bad := []struct {
		t dialect.DataType
		d *dialect.DefaultExpr
	}{
		{dtype(dialect.TypeInt), fn("SNOWFLAKE_ID")},
		{dtype(dialect.TypeBigInt), fn("UUID_V7")},
		{dtype(dialect.TypeInt), fn("NOW")},
		{dtype(dialect.TypeInt), lit("abc", "'abc'")},
		{dtype(dialect.TypeSmallInt), lit(int64(70000), "70000")},
		{dtype(dialect.TypeBoolean), lit(int64(1), "1")},
		{dtype(dialect.TypeInt), lit(true, "TRUE")},
		{dtype(dialect.TypeUUID), lit("not-a-uuid", "'not-a-uuid'")},
		{dtype(dialect.TypeJSON), lit("{bad", "'{bad'")},
		{dialect.DataType{Name: dialect.TypeText, MaxLength: 2}, lit("abc", "'abc'")},
		{dtype(dialect.TypeText), fn("RANDOM")},
	}
	for _, c := range bad {
		err := ValidateDefault("c", c.t, c.d)
		if !apierror.Is(err, apierror.InvalidSQL) {
			t.Errorf("%s DEFAULT %s: got %v, want INVALID_SQL", c.t.Name, c.d.Text, err)
		}
	}
}
