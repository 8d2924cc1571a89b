package engine

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// goTypeWords are the Go type names the engine's internal checks printed
// through %T ("IN (subquery): a value of type string cannot be
// compared"): words a user of SQL cannot act on.
var goTypeWords = regexp.MustCompile(`\b(u?int(8|16|32|64)?|float(32|64)|string|bool|\[\]uint8|time\.Time|decimal\.Decimal)\b`)

// The engine's checks of a value that is not of the type its expression
// was planned with say so in SQL words (the SQL type expected), not with
// the Go type of the value found.
func TestMsgs23InternalChecksSpeakSQL(t *testing.T) {
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		if m := err.Error(); goTypeWords.MatchString(m) || !strings.Contains(m, want) {
			t.Errorf("%s: %q, want SQL words naming %s", what, m, want)
		}
	}
	_, err := appendInKey(nil, keyInt, "x")
	check("IN key", err, "BIGINT")
	_, err = appendInKey(nil, keyTime, int64(1))
	check("IN key", err, "TIMESTAMP")
	_, err = inRange(int64(1), int64(2), rangeOffset{fam: famTimestamp}, false, true)
	check("RANGE offset", err, "TIMESTAMP")
	_, err = outputText(expression.NewLiteral(true, types.Boolean))("x")
	check("concat", err, "BOOLEAN")
	args := []sql.Expression{expression.NewLiteral(int64(1), types.Int64), expression.NewLiteral([]byte("a"), types.LongBlob)}
	_, err = buildBytesConcat(args, famBytes, famBytes).Eval(sql.NewEmptyContext(), nil)
	check("bytea ||", err, "BYTEA")
}
