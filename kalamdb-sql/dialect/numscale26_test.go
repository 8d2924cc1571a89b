package dialect

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// PostgreSQL allows a NUMERIC scale from -1000 to 1000, above the
// precision too (NUMERIC(10,11), NUMERIC(3,-2)); a DECIMAL(p,s) here is
// stored as a Decimal128, whose scale is 0 to p, so such a type is
// UNSUPPORTED, naming why, rather than a syntax error; a scale outside
// PostgreSQL's range is invalid in its words.
func TestNumericScaleOutsidePrecision(t *testing.T) {
	runErrCases(t, []errCase{
		{sql: "CREATE TABLE t (a NUMERIC(10,11))", code: apierror.Unsupported, msg: "DECIMAL(10,11) is not supported: a DECIMAL's scale is between 0 and its precision here", pos: 30},
		{sql: "CREATE TABLE t (a NUMERIC(3,-2))", code: apierror.Unsupported, msg: "DECIMAL(3,-2) is not supported: a DECIMAL's scale is between 0 and its precision here", pos: 29},
		{sql: "CREATE TABLE t (a NUMERIC(3,-1001))", code: apierror.InvalidSQL, msg: "NUMERIC scale -1001 must be between -1000 and 1000"},
		{sql: "CREATE TABLE t (a NUMERIC(3,1001))", code: apierror.InvalidSQL, msg: "NUMERIC scale 1001 must be between -1000 and 1000"},
		{sql: "CREATE TABLE t (a NUMERIC(3,- 2))", code: apierror.Unsupported, msg: "DECIMAL(3,-2) is not supported"},
		{sql: "CREATE TABLE t (a VARCHAR(-1))", code: apierror.InvalidSQL, msg: "VARCHAR length must be between 1"},
	})
	if dt := parseAs[*CreateTable](t, "CREATE TABLE t (a NUMERIC(3, +2))").Columns[0].Type; dt.SQL() != "DECIMAL(3,2)" {
		t.Errorf("NUMERIC(3, +2) is %s", dt.SQL())
	}
}
