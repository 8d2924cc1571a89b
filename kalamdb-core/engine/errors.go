package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	goerrors "gopkg.in/src-d/go-errors.v1"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
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
// Errors we raised ourselves pass through; so do failures to read cold
// files, as tier.ReadError (never their text); the engine's own errors
// are classified by kind. The engine's messages name SQL objects only (never
// files or other users' rows), so they are safe to show.
func translateError(err error) error {
	if err == nil {
		return nil
	}
	err = sql.UnwrapError(err)
	if e, ok := apierror.As(err); ok {
		return e
	}
	if cold.IsReadFailure(err) {
		// A cold file failed while rows were being read (a damaged page
		// met by a cursor, a file gone): the storage's error names its
		// path, which is for the log only.
		return tier.ReadError("", err)
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
		sql.ErrInvalidOperandColumns.Is(err), sql.ErrDuplicateAliasOrTable.Is(err),
		analyzererrors.ErrValidationGroupBy.Is(err):
		code = apierror.InvalidSQL
	case sql.ErrSyntaxError.Is(err), sql.ErrUnsupportedFeature.Is(err):
		code = apierror.InvalidSQL
	case sql.ErrNonAggregatedColumnWithoutGroupBy.Is(err):
		// The engine raises it (with its format's arguments missing) for
		// every query mixing window functions with GROUP BY or aggregates,
		// which PostgreSQL runs and the engine cannot.
		code = apierror.Unsupported
		msg = pgsql.WindowOverGroups
	case planbuilder.ErrUnionSchemasDifferentLength.Is(err):
		// The translation refuses the set operations whose widths the
		// text shows, with the operation's name; a * leaves it here.
		code = apierror.InvalidSQL
		msg = "each UNION, INTERSECT or EXCEPT query must have the same number of columns"
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
	msg = postgresWording(err, msg)
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

// The engine's messages for values a column cannot hold, which KalamDB
// words as PostgreSQL does. Their errors carry no arguments but the text.
var (
	stringTooLong = regexp.MustCompile(`(?s)^string '.*' is too large for column '(.*)'$`)
	varcharType   = regexp.MustCompile(`^varchar\((\d+)\)$`)
)

// rewording is PostgreSQL's wording of one of the engine's (MySQL's)
// messages: an error of kind whose text matches re is worded as format,
// with re's submatches quoted (%q) or as they are (%s) in order.
type rewording struct {
	kind   *goerrors.Kind
	re     *regexp.Regexp
	format string
}

var rewordings = []rewording{
	{sql.ErrInsertIntoNonNullableProvidedNull, regexp.MustCompile(`^column name '(.*)' is non-nullable but attempted to set a value of null$`),
		"null value in column %q violates not-null constraint"},
	// A NOT NULL column without a default, left out of an INSERT.
	{sql.ErrInsertIntoNonNullableDefaultNullColumn, regexp.MustCompile(`^Field '(.*)' doesn't have a default value$`),
		"null value in column %q violates not-null constraint"},
	{sql.ErrUnknownColumn, regexp.MustCompile(`^Unknown column '(.*)' in '(.*)'$`), "column %q of relation %q does not exist"},
	{sql.ErrColumnSpecifiedTwice, regexp.MustCompile(`^column '(.*)' specified twice$`), "column %q specified more than once"},
	{sql.ErrColumnNotFound, regexp.MustCompile(`^column "(.*)" could not be found in any table in scope$`), "column %q does not exist"},
	{sql.ErrTableColumnNotFound, regexp.MustCompile(`^table "(.*)" does not have column "(.*)"$`), "column %s.%s does not exist"},
	{sql.ErrAmbiguousColumnName, regexp.MustCompile(`^ambiguous column name "(.*)", it's present in all these tables: `),
		"column reference %q is ambiguous"},
	{sql.ErrDuplicateAliasOrTable, regexp.MustCompile(`^Not unique table/alias: (.*)$`), "table name %q specified more than once"},
	// A scalar subquery of several columns; rows of values of different
	// lengths are refused when translated.
	{sql.ErrInvalidOperandColumns, regexp.MustCompile(`^operand should have 1 columns, but has \d+$`), "subquery must return only one column"},
}

// postgresWording replaces the engine's (MySQL's) wording of an error with
// PostgreSQL's; other messages are returned unchanged.
func postgresWording(err error, msg string) string {
	switch {
	case types.ErrConvertToDecimalLimit.Is(err):
		return "numeric field overflow"
	case sql.ErrExpectedSingleRow.Is(err):
		return "more than one row returned by a subquery used as an expression"
	case types.ErrLengthBeyondLimit.Is(err):
		// The engine names the column or its type (and shows the value,
		// as bytes when it was binary); assign gives INSERT and UPDATE
		// values the type's full name first (lengthChecked).
		if m := stringTooLong.FindStringSubmatch(msg); m != nil {
			if t := varcharType.FindStringSubmatch(m[1]); t != nil {
				return "value too long for type character varying(" + t[1] + ")"
			}
			return fmt.Sprintf("value too long for column %q", m[1])
		}
		return msg
	}
	for _, r := range rewordings {
		if !r.kind.Is(err) {
			continue
		}
		if m := r.re.FindStringSubmatch(msg); m != nil {
			args := make([]any, len(m)-1)
			for i, a := range m[1:] {
				args[i] = a
			}
			return fmt.Sprintf(r.format, args...)
		}
	}
	return msg
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

// coldReadError is the error of a read of table tableID ("ns:table")
// whose cold files failed: tier.ReadError, naming the table as users
// write it, when the storage failed; without a reason otherwise (the
// statement's end, say).
func coldReadError(tableID string, err error) error {
	if ns, name, ok := strings.Cut(tableID, ":"); ok {
		tableID = ns + "." + name
	}
	if !cold.IsReadFailure(err) {
		return apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("cold data of %s is unreadable", tableID))
	}
	return tier.ReadError(tableID, err)
}
