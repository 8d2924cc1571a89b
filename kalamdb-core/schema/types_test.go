package schema

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func dt(n dialect.TypeName) dialect.DataType { return dialect.DataType{Name: n} }

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
		{dt(dialect.TypeBigInt), fn("SNOWFLAKE_ID")},
		{dt(dialect.TypeUUID), fn("UUID_V7")},
		{dt(dialect.TypeText), fn("ULID")},
		{dt(dialect.TypeTimestamp), fn("NOW")},
		{dt(dialect.TypeDate), fn("NOW")},
		{dt(dialect.TypeInt), lit(int64(5), "5")},
		{dt(dialect.TypeText), lit("x", "'x'")},
		{dt(dialect.TypeBoolean), lit(true, "TRUE")},
		{dt(dialect.TypeDouble), lit(1.5, "1.5")},
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 2}, lit(1.5, "1.5")},
		{dt(dialect.TypeTimestamp), lit("2024-01-02 03:04:05", "'2024-01-02 03:04:05'")},
		{dt(dialect.TypeDate), lit("2024-01-02", "'2024-01-02'")},
		{dt(dialect.TypeJSON), lit(`{"a":1}`, `'{"a":1}'`)},
		{dt(dialect.TypeUUID), lit("0190c1a2-0000-7000-8000-000000000000", "'0190c1a2-…'")},
		{dt(dialect.TypeInt), lit(nil, "NULL")},
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
		{dt(dialect.TypeInt), fn("SNOWFLAKE_ID")},
		{dt(dialect.TypeBigInt), fn("UUID_V7")},
		{dt(dialect.TypeInt), fn("NOW")},
		{dt(dialect.TypeInt), lit("abc", "'abc'")},
		{dt(dialect.TypeSmallInt), lit(int64(70000), "70000")},
		{dt(dialect.TypeBoolean), lit(int64(1), "1")},
		{dt(dialect.TypeInt), lit(true, "TRUE")},
		{dt(dialect.TypeUUID), lit("not-a-uuid", "'not-a-uuid'")},
		{dt(dialect.TypeJSON), lit("{bad", "'{bad'")},
		{dialect.DataType{Name: dialect.TypeText, MaxLength: 2}, lit("abc", "'abc'")},
		{dt(dialect.TypeText), fn("RANDOM")},
	}
	for _, c := range bad {
		err := ValidateDefault("c", c.t, c.d)
		if !apierror.Is(err, apierror.InvalidSQL) {
			t.Errorf("%s DEFAULT %s: got %v, want INVALID_SQL", c.t.Name, c.d.Text, err)
		}
	}
}

func TestEngineTypeRoundTrip(t *testing.T) {
	for _, n := range []dialect.TypeName{dialect.TypeBoolean, dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt,
		dialect.TypeFloat, dialect.TypeDouble, dialect.TypeText, dialect.TypeBytes, dialect.TypeJSON, dialect.TypeTimestamp,
		dialect.TypeDate, dialect.TypeTime, dialect.TypeUUID} {
		et, err := EngineType(dt(n))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if back := TypeOfEngine(et); back.Name != n {
			t.Errorf("%s -> %s -> %s", n, et, back.Name)
		}
	}
	dec := dialect.DataType{Name: dialect.TypeDecimal, Precision: 12, Scale: 3}
	et, err := EngineType(dec)
	if err != nil || TypeOfEngine(et) != dec {
		t.Fatalf("decimal round trip: %v %v", TypeOfEngine(et), err)
	}
	if _, err := EngineType(dialect.DataType{Name: dialect.TypeDecimal, Precision: 40}); err == nil {
		t.Fatal("DECIMAL(40) accepted")
	}
	if TypeOfEngine(types.Uint64).Name != dialect.TypeBigInt || TypeOfEngine(types.Boolean).Name != dialect.TypeBoolean {
		t.Fatal("expression types map wrongly")
	}
}

func TestWireNames(t *testing.T) {
	want := map[dialect.TypeName]string{dialect.TypeBoolean: "Boolean", dialect.TypeSmallInt: "SmallInt", dialect.TypeInt: "Int",
		dialect.TypeBigInt: "BigInt", dialect.TypeFloat: "Float", dialect.TypeDouble: "Double", dialect.TypeDecimal: "Decimal",
		dialect.TypeText: "Text", dialect.TypeBytes: "Bytes", dialect.TypeJSON: "Json", dialect.TypeTimestamp: "Timestamp",
		dialect.TypeDate: "Date", dialect.TypeDateTime: "DateTime", dialect.TypeTime: "Time", dialect.TypeUUID: "Uuid"}
	for n, w := range want {
		if got := WireName(dt(n)); got != w {
			t.Errorf("WireName(%s) = %s, want %s", n, got, w)
		}
	}
}

func TestPrimaryKeyTypes(t *testing.T) {
	for _, n := range []dialect.TypeName{dialect.TypeJSON, dialect.TypeFloat, dialect.TypeDouble, dialect.TypeBoolean, dialect.TypeDecimal} {
		if ValidatePrimaryKeyType("c", dt(n)) == nil {
			t.Errorf("%s accepted as primary key", n)
		}
	}
	for _, n := range []dialect.TypeName{dialect.TypeBigInt, dialect.TypeText, dialect.TypeUUID, dialect.TypeTimestamp} {
		if err := ValidatePrimaryKeyType("c", dt(n)); err != nil {
			t.Errorf("%s refused as primary key: %v", n, err)
		}
	}
}
