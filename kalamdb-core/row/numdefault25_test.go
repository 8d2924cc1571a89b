package row

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// A numeric DEFAULT (an exact decimal since literals stopped passing
// through float64) is checked against its column as PostgreSQL's first
// insert of it would be: beyond a DOUBLE PRECISION or REAL it is out of
// range (it was accepted, and stored +Inf), beyond a NUMERIC(p,s) a
// numeric field overflow, and on a text column it is PostgreSQL's text
// of it, scale and all.
func TestValidateNumericDefault(t *testing.T) {
	lit := func(s string) *dialect.DefaultExpr {
		return &dialect.DefaultExpr{Kind: dialect.DefaultLiteral, Literal: decimal.RequireFromString(s), Text: s}
	}
	for _, c := range []struct {
		t    dialect.DataType
		def  string
		want string
	}{
		{dtype(dialect.TypeDouble), "1e999", `"1000000000000000000000000000000000000000…" is out of range for type double precision`},
		{dtype(dialect.TypeFloat), "1e39", `"1000000000000000000000000000000000000000" is out of range for type real`},
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 2}, "99999999.995", "numeric field overflow"},
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 38, Scale: 0}, "123456789012345678901234567890123456789", "numeric field overflow"},
		{dtype(dialect.TypeBoolean), "1.5", `column "c" is of type boolean but default expression is of type numeric`},
	} {
		err := ValidateDefault("c", c.t, lit(c.def))
		ae, ok := err.(*apierror.Error)
		if !ok || ae.Code != apierror.InvalidSQL || len(ae.Message) < len(c.want) || ae.Message[:len(c.want)] != c.want {
			t.Errorf("%s DEFAULT %s: %v, want %s", c.t.Name, c.def, err, c.want)
		}
	}
	for _, c := range []struct {
		t    dialect.DataType
		def  string
		want any
	}{
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 38, Scale: 0}, "123456789012345678901234567890", "123456789012345678901234567890"},
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 2}, "0.3", "0.30"},
		{dtype(dialect.TypeText), "1.10", "1.10"},
		{dtype(dialect.TypeDouble), "0.3", 0.3},
		{dtype(dialect.TypeInt), "2.5", int32(3)},
	} {
		if err := ValidateDefault("c", c.t, lit(c.def)); err != nil {
			t.Errorf("%s DEFAULT %s: %v", c.t.Name, c.def, err)
			continue
		}
		v, err := Normalize(c.t, DefaultLiteral(c.t, decimal.RequireFromString(c.def)))
		if d, ok := v.(decimal.Decimal); ok {
			v = dialect.NumericText(d)
		}
		if err != nil || v != c.want {
			t.Errorf("%s DEFAULT %s = %T %v (%v), want %v", c.t.Name, c.def, v, v, err, c.want)
		}
	}
}
