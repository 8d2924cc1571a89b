package engine

import (
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Exact decimals stay within PostgreSQL's numeric range (see
// dialect.MaxNumericDigitsBefore): text is measured before it is
// converted (checkDecimalText), and a computed value is bounded after
// every operation that can grow it (boundDecimal), so no value a
// statement can make costs more than milliseconds to convert, round or
// print. Past the range a statement fails with "value overflows numeric
// format", as in PostgreSQL.

// errNumericOverflow is the error of a decimal outside the numeric range.
func errNumericOverflow() error {
	return execError("value overflows numeric format (at most %d digits before the point and %d after)",
		dialect.MaxNumericDigitsBefore, dialect.MaxNumericDigitsAfter)
}

// checkDecimalText checks decimal text before it is converted to a value
// of type dt (a DECIMAL; precision 0: unconstrained): bad is the caller's
// invalid-syntax error.
func checkDecimalText(s string, dt dialect.DataType, bad func() error) error {
	shape, ok := dialect.ReadNumericShape(s)
	switch {
	case !ok:
		return bad()
	case !shape.InNumericRange():
		return errNumericOverflow()
	case dt.Precision > 0 && shape.Before > int64(dt.Precision-dt.Scale):
		return decimalOverflow(dt)
	}
	return nil
}

// decimalOverflow is the error of a value too large for DECIMAL(p,s).
func decimalOverflow(dt dialect.DataType) error {
	hint := ""
	if dt.Precision == dialect.MaxDecimalPrecision && dt.Scale == dialect.DefaultDecimalScale {
		// The type the user wrote is likely plain NUMERIC or DECIMAL,
		// unconstrained in PostgreSQL.
		hint = fmt.Sprintf(" (NUMERIC and DECIMAL without a precision are DECIMAL(%d,%d) here; %d digits is the most a DECIMAL holds)",
			dialect.MaxDecimalPrecision, dialect.DefaultDecimalScale, dialect.MaxDecimalPrecision)
	}
	return execError("numeric field overflow: a value of DECIMAL(%d,%d) must be less than 10^%d in absolute value%s",
		dt.Precision, dt.Scale, dt.Precision-dt.Scale, hint)
}

// boundDecimal keeps a computed decimal within the numeric range: more
// digits before the point fail, more after are rounded away (PostgreSQL
// rounds a result to its largest display scale too).
func boundDecimal(d decimal.Decimal) (decimal.Decimal, error) {
	if d.IsZero() {
		return d, nil
	}
	exp := int64(d.Exponent())
	if digits := coefficientDigits(d.Coefficient()); digits+exp > dialect.MaxNumericDigitsBefore {
		// The estimate may be one over: count exactly at the border.
		if digits+exp > dialect.MaxNumericDigitsBefore+1 || int64(len(new(big.Int).Abs(d.Coefficient()).String()))+exp > dialect.MaxNumericDigitsBefore {
			return decimal.Decimal{}, errNumericOverflow()
		}
	}
	if -exp > dialect.MaxNumericDigitsAfter {
		d = d.Round(dialect.MaxNumericDigitsAfter)
	}
	return d, nil
}

// coefficientDigits is the number of decimal digits of c, or one more.
func coefficientDigits(c *big.Int) int64 {
	return int64(c.BitLen())*30103/100000 + 1
}
