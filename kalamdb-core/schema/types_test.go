package schema

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func dt(n dialect.TypeName) dialect.DataType { return dialect.DataType{Name: n} }

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

// TestTypeTableAndKinds: every type of the table has a storage Kind and
// an engine type, and KindOf knows no type the table lacks, so the switch
// that serves the hot paths and the table cannot drift apart.
func TestTypeTableAndKinds(t *testing.T) {
	for n := range typeTable {
		if KindOf(n) == KindInvalid {
			t.Errorf("%s has no Kind", n)
		}
		d := dialect.DataType{Name: n, Precision: 10, Scale: 2}
		if _, err := EngineType(d); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, n := range []dialect.TypeName{"GEOMETRY", "", "INTEGER"} {
		if _, inTable := typeTable[n]; KindOf(n) != KindInvalid || inTable {
			t.Errorf("unknown type %q has a Kind or a row", n)
		}
	}
	if err := ValidateDefaultFunction("c", dt(dialect.TypeText), &dialect.DefaultExpr{Kind: dialect.DefaultFunction, Function: "ULID"}); err != nil {
		t.Errorf("ULID on TEXT: %v", err)
	}
	if err := ValidateDefaultFunction("c", dt(dialect.TypeUUID), &dialect.DefaultExpr{Kind: dialect.DefaultFunction, Function: "ULID"}); !apierror.Is(err, apierror.InvalidSQL) {
		t.Errorf("ULID on UUID: %v", err)
	}
}
