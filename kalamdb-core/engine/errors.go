package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// syntaxPosition finds the position in the engine parser's messages,
// e.g. "syntax error at position 14 near 'FORM'".
var syntaxPosition = regexp.MustCompile(`at position (\d+)`)

// cteStepLimit is how many times the engine runs a recursive WITH
// query's recursive term before it fails (go-mysql-server's
// cteRecursionLimit, not exported; TestRecursiveCTEStepLimit holds it to
// this value).
const cteStepLimit = 10001

// translateError maps an error from the engine to a wire-contract error.
// Errors we raised ourselves pass through; the engine's own errors are
// classified by kind. The engine's messages name SQL objects only (never
// files or other users' rows), so they are safe to show.
func translateError(err error) error {
	if err == nil {
		return nil
	}
	err = sql.UnwrapError(err)
	if e, ok := apierror.As(err); ok {
		return e
	}
	msg := err.Error()
	code := apierror.SQLExecutionError
	switch {
	case sql.ErrDatabaseNotFound.Is(err):
		code = apierror.NamespaceNotFound
		msg = "namespace not found: " + trimPrefix(msg, "database not found: ")
	case sql.ErrTableNotFound.Is(err):
		code = apierror.TableNotFound
	case sql.ErrColumnNotFound.Is(err), sql.ErrTableColumnNotFound.Is(err), sql.ErrAmbiguousColumnName.Is(err),
		sql.ErrFunctionNotFound.Is(err), sql.ErrUnknownColumn.Is(err), sql.ErrColumnSpecifiedTwice.Is(err),
		sql.ErrInsertIntoMismatchValueCount.Is(err), sql.ErrUnsupportedSyntax.Is(err),
		sql.ErrNonAggregatedColumnWithoutGroupBy.Is(err), sql.ErrInvalidOperandColumns.Is(err),
		analyzererrors.ErrValidationGroupBy.Is(err):
		code = apierror.InvalidSQL
	case sql.ErrSyntaxError.Is(err), sql.ErrUnsupportedFeature.Is(err):
		code = apierror.InvalidSQL
	case sql.ErrCteRecursionLimitExceeded.Is(err):
		code = apierror.ResourceLimitExceeded
		msg = fmt.Sprintf("a recursive WITH query stopped after %d steps, the most one may take; "+
			"end its recursive term sooner (a WHERE on the step's value)", cteStepLimit)
	case sql.ErrPrimaryKeyViolation.Is(err), sql.ErrUniqueKeyViolation.Is(err), sql.ErrDuplicateEntry.Is(err),
		sql.ErrInsertIntoNonNullableProvidedNull.Is(err), sql.ErrInsertIntoNonNullableDefaultNullColumn.Is(err),
		sql.ErrValueOutOfRange.Is(err), sql.ErrInvalidValue.Is(err), sql.ErrInvalidJSONText.Is(err),
		types.ErrLengthBeyondLimit.Is(err), types.ErrConvertingToTime.Is(err), types.ErrLengthTooLarge.Is(err),
		types.ErrConvertToDecimalLimit.Is(err):
		code = apierror.InvalidInput
	}
	var myErr *mysql.SQLError
	if errors.As(err, &myErr) {
		msg = myErr.Message
		if myErr.Num == mysql.ERParseError || syntaxPosition.MatchString(msg) {
			code = apierror.InvalidSQL
		}
	}
	out := apierror.Wrap(code, err, msg)
	if code == apierror.InvalidSQL {
		if m := syntaxPosition.FindStringSubmatch(msg); m != nil {
			if pos, convErr := strconv.Atoi(m[1]); convErr == nil {
				out.Details = map[string]any{"position": pos}
			}
		}
	}
	return out
}

func trimPrefix(s, prefix string) string {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

// panicError is the INTERNAL_ERROR of a panic recovered from the engine,
// which can panic on inputs it does not expect: the panic ends the
// statement (or the live filter evaluation), never the server.
func panicError(r any) error {
	e := apierror.New(apierror.InternalError, "internal error while executing the statement")
	e.Cause = fmt.Errorf("panic: %v", r)
	return e
}
