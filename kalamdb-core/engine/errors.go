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
	"github.com/dolthub/vitess/go/vt/sqlparser"
	goerrors "gopkg.in/src-d/go-errors.v1"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// syntaxPosition finds the position in the engine parser's messages,
// e.g. "syntax error at position 14 near 'FORM'".
var syntaxPosition = regexp.MustCompile(`at position (\d+)`)

// cteStepLimit is how many times a recursive WITH query's recursive term
// runs before the query fails (recursiveIter; go-mysql-server's
// cteRecursionLimit, which its own iterator had, and
// TestRecursiveCTEStepLimit holds it to).
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
		// The engine says "database"; KalamDB's catalog words it so.
		msg = "namespace " + trimPrefix(msg, "database not found: ") + " does not exist"
	case sql.ErrTableNotFound.Is(err):
		code = apierror.TableNotFound
	case sql.ErrColumnNotFound.Is(err), sql.ErrTableColumnNotFound.Is(err), sql.ErrAmbiguousColumnName.Is(err),
		sql.ErrFunctionNotFound.Is(err), sql.ErrUnknownColumn.Is(err), sql.ErrColumnSpecifiedTwice.Is(err),
		sql.ErrInsertIntoMismatchValueCount.Is(err), sql.ErrUnsupportedSyntax.Is(err),
		sql.ErrInvalidOperandColumns.Is(err), sql.ErrDuplicateAliasOrTable.Is(err), sql.ErrColumnCountMismatch.Is(err),
		sql.ErrRecursiveCTEMissingUnion.Is(err),
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
	// A number written into an integer column it does not fit (the
	// engine names its own type word, MySQL's).
	{sql.ErrValueOutOfRange, regexp.MustCompile(`^-?\d+ out of range for (smallint)$`), "%s out of range"},
	{sql.ErrValueOutOfRange, regexp.MustCompile(`^-?\d+ out of range for int$`), "integer out of range"},
	{sql.ErrValueOutOfRange, regexp.MustCompile(`^-?\d+ out of range for (bigint)$`), "%s out of range"},
	{analyzererrors.ErrReadOnlyDatabase, regexp.MustCompile(`^Database system is read-only\.$`), systemReadOnly},
	{sql.ErrInvalidArgument, regexp.MustCompile(`^Invalid argument to NTILE$`), "argument of ntile must be greater than zero"},
	// A recursive WITH query of another set operation than UNION.
	{sql.ErrRecursiveCTEMissingUnion, regexp.MustCompile(`^Recursive Common Table Expression '(.*)' should contain a UNION$`),
		"recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term"},
	// A derived table's or WITH query's column list longer than its
	// query (the engine names neither).
	{sql.ErrColumnCountMismatch, regexp.MustCompile(`^In definition of view, derived table or common table expression, SELECT list and column names list have different column counts$`),
		"a column list names more columns than its table has (its query's columns)"},
}

// systemReadOnly refuses a write to a system table, which only KalamDB's
// statements change (the engine said "Database system is read-only.").
const systemReadOnly = "the tables of namespace system are read-only: they change through KalamDB's statements (CREATE USER, ALTER USER, ...)"

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

// The engine's messages that statementError words with what the statement
// says.
var (
	tableNotFound     = regexp.MustCompile(`^table not found: (.*)$`)
	columnNotFound    = regexp.MustCompile(`^column "(\d+)" could not be found in any table in scope$`)
	anyColumnNotFound = regexp.MustCompile(`^column "(.*)" could not be found in any table in scope$`)
	groupByOrdinal    = regexp.MustCompile(`^column ordinal out of range: (\d+)$`)
)

// statementError is translateError of an error the engine raised planning
// or running stmt, with ns the namespace selected for it ("" for none).
// Where the engine's message lacks what only the statement says, it is
// added: which namespace a missing table was looked up in (the engine
// names the table alone), that a number past the select list was an
// ORDER BY or GROUP BY position (a * in the list hides its length from
// the translation, which checks the others), and that a column HAVING
// could not find is one it may not use (ungroupedInHaving).
func (e *Engine) statementError(err error, stmt sqlparser.Statement, ns string) error {
	if ns == noNamespace {
		ns = ""
	}
	base := sql.UnwrapError(err)
	if _, ok := apierror.As(base); ok {
		return translateError(err)
	}
	msg := base.Error()
	switch {
	case sql.ErrTableNotFound.Is(base):
		if m := tableNotFound.FindStringSubmatch(msg); m != nil {
			name := strings.ToLower(m[1])
			// HAVING sees a FROM table only through its grouped and
			// aggregated columns: a column qualified with the table
			// there is one HAVING may not use.
			if col, ok := havingColumnOf(stmt, name); ok {
				if code, text, ok := e.ungroupedInHaving(stmt, ns, name, col); ok {
					return apierror.Wrap(code, err, text)
				}
			}
			if e.fromEntryExists(stmt, ns, name) {
				// A FROM entry of that name reads a table the catalog
				// has: the engine could not resolve it where it was used
				// (an aggregate of a joined table's column in HAVING, say),
				// which is neither a missing table nor a missing FROM
				// entry. The engine's own words, as before.
				return translateError(err)
			}
			text, ok := e.missingTable(stmt, ns, name)
			if !ok && qualifiesColumn(stmt, name) {
				// Only a column's qualifier names it.
				return apierror.Wrap(apierror.InvalidSQL, err, apierror.Format("missing FROM-clause entry for table %q", name))
			}
			return apierror.Wrap(apierror.TableNotFound, err, text)
		}
	case sql.ErrColumnNotFound.Is(base):
		if m := columnNotFound.FindStringSubmatch(msg); m != nil && namesPosition(stmt, m[1], false) {
			return apierror.Wrap(apierror.InvalidSQL, err, "ORDER BY position "+m[1]+" is not in select list")
		}
		if m := anyColumnNotFound.FindStringSubmatch(msg); m != nil {
			if code, text, ok := e.ungroupedInHaving(stmt, ns, "", m[1]); ok {
				return apierror.Wrap(code, err, text)
			}
		}
	default:
		if m := groupByOrdinal.FindStringSubmatch(msg); m != nil && namesPosition(stmt, m[1], true) {
			// The engine counts a * as one entry here (the translation
			// checked the lists without one), so the position may be
			// a column of the * or past them all.
			return apierror.Wrap(apierror.Unsupported, err, "GROUP BY position "+m[1]+
				" counts the columns of a * in the select list, which is not supported: group by the column's name")
		}
	}
	return translateError(err)
}

// missingTable is the message of table name, which the engine did not
// find, as stmt names it: qualified, unqualified in namespace ns, or
// unqualified with no namespace selected. Of the statement's tables of
// that name, the one the catalog does not have is meant; ok is false
// when no table stmt reads or writes is seen to have that name (the
// message then takes it as unqualified).
func (e *Engine) missingTable(stmt sqlparser.Statement, ns, name string) (msg string, ok bool) {
	snap := e.cat.Snapshot()
	qualifier, found := "", false
	tableRefs(stmt, func(tn sqlparser.TableName) bool {
		if found || strings.ToLower(tn.Name.String()) != name {
			return !found
		}
		ok = true
		q := strings.ToLower(tn.DbQualifier.String())
		in := q
		if in == "" {
			in = ns
		}
		_, isTable := snap.Table(in, name)
		_, isView := snap.View(in, name)
		if !isTable && !isView {
			qualifier, found = q, true
		}
		return !found
	})
	switch {
	case qualifier != "":
		return apierror.Format("table %s.%s does not exist", qualifier, name), ok
	case ns == "":
		return noNamespaceMessage(name), ok
	}
	return apierror.Format("table %s does not exist in namespace %s, the one selected (write namespace.%s for a table of another namespace)", name, ns, name), ok
}

// fromEntryExists reports whether a FROM entry of stmt is called name (its
// alias, or its table's name when it has none) and reads a table or view
// the catalog has.
func (e *Engine) fromEntryExists(stmt sqlparser.Statement, ns, name string) bool {
	snap := e.cat.Snapshot()
	exists := false
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		x, isEntry := node.(*sqlparser.AliasedTableExpr)
		if !isEntry || exists {
			return !exists, nil
		}
		tn, isTable := x.Expr.(sqlparser.TableName)
		if !isTable {
			return true, nil
		}
		table := strings.ToLower(tn.Name.String())
		label := table
		if !x.As.IsEmpty() {
			label = strings.ToLower(x.As.String())
		}
		if label != name {
			return true, nil
		}
		in := strings.ToLower(tn.DbQualifier.String())
		if in == "" {
			in = ns
		}
		_, isTable = snap.Table(in, table)
		_, isView := snap.View(in, table)
		exists = isTable || isView
		return !exists, nil
	}, stmt)
	return exists
}

// noNamespaceMessage is the message of a table named without a namespace
// when none is selected.
func noNamespaceMessage(name string) string {
	return apierror.Format("table %s does not exist: no namespace is selected (write namespace.%s, or select one with USE or the request's namespace_id)", name, name)
}

// namesPosition reports whether stmt has an ORDER BY (groupBy: GROUP BY)
// key that is the integer k, a position in a select list, and no column
// named k, which the engine's message could be about too.
func namesPosition(stmt sqlparser.Statement, k string, groupBy bool) bool {
	position, column := false, false
	isK := func(x sqlparser.Expr) bool {
		v, ok := x.(*sqlparser.SQLVal)
		return ok && v.Type == sqlparser.IntVal && string(v.Val) == k
	}
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *sqlparser.Order:
			position = position || !groupBy && isK(n.Expr)
		case sqlparser.GroupBy:
			for _, g := range n {
				position = position || groupBy && isK(g)
			}
		case *sqlparser.ColName:
			column = column || n.Name.String() == k
		}
		return true, nil
	}, stmt)
	return position && !column
}

// ungroupedInHaving words the engine's "could not be found" for column
// col (of the table labelled qualifier, "" for any) of a grouped query's
// HAVING: the engine's HAVING sees only the
// grouped columns, the aggregates' and the select list's, so a column of
// a table in FROM that is none of those is "not found" there. PostgreSQL
// says it must be grouped or aggregated, or, when its table's primary key
// is grouped, reads it (which the engine cannot: UNSUPPORTED, naming it
// in the select list too is the way). ok is false when no HAVING names a
// column col of exactly one table of its FROM.
func (e *Engine) ungroupedInHaving(stmt sqlparser.Statement, ns, qualifier, col string) (code apierror.Code, msg string, ok bool) {
	col = strings.ToLower(col)
	snap := e.cat.Snapshot()
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		sel, isSelect := node.(*sqlparser.Select)
		if ok || !isSelect || sel.Having == nil {
			return !ok, nil
		}
		named := false
		_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
			if c, isCol := n.(*sqlparser.ColName); isCol && strings.ToLower(c.Name.String()) == col &&
				(qualifier == "" || strings.ToLower(c.Qualifier.Name.String()) == qualifier) {
				named = true
			}
			return !named, nil
		}, sel.Having.Expr)
		if !named {
			return true, nil
		}
		var label, pk string
		found := 0
		_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
			switch x := n.(type) {
			case *sqlparser.Subquery:
				return false, nil // a derived table's columns are not looked up
			case *sqlparser.AliasedTableExpr:
				tn, isTable := x.Expr.(sqlparser.TableName)
				if !isTable {
					return false, nil
				}
				name := strings.ToLower(tn.Name.String())
				l := name
				if !x.As.IsEmpty() {
					l = strings.ToLower(x.As.String())
				}
				in := strings.ToLower(tn.DbQualifier.String())
				if in == "" {
					in = ns
				}
				if qualifier != "" && qualifier != l {
					return false, nil
				}
				if has, key := tableHasColumn(snap, in, name, col); has {
					found++
					label, pk = l, key
				}
				return false, nil
			}
			return true, nil
		}, sel.From)
		if found != 1 {
			return true, nil
		}
		ok = true
		if pk != "" && groupsColumn(sel.GroupBy, label, pk) {
			code, msg = apierror.Unsupported, apierror.Format("HAVING cannot name column \"%s.%s\", which the grouped primary key "+
				"of %s determines, unless the select list names it too (PostgreSQL reads it)", label, col, label)
			return false, nil
		}
		code, msg = apierror.InvalidSQL, apierror.Format("column \"%s.%s\" must appear in the GROUP BY clause or be used in an aggregate function", label, col)
		return false, nil
	}, stmt)
	return code, msg, ok
}

// tableHasColumn reports whether table or view ns.name has column col,
// and the table's primary-key column.
func tableHasColumn(snap *catalog.Snapshot, ns, name, col string) (has bool, pk string) {
	if t, isTable := snap.Table(ns, name); isTable {
		for _, c := range t.Schema.Columns {
			if c.Name == col {
				has = true
			}
		}
		return has, t.Meta.PrimaryKey
	}
	if v, isView := snap.View(ns, name); isView {
		for _, c := range v.Columns {
			if c.Name == col {
				return true, ""
			}
		}
	}
	return false, ""
}

// groupsColumn reports whether GROUP BY g has column col of the table
// labelled label.
func groupsColumn(g sqlparser.GroupBy, label, col string) bool {
	for _, x := range g {
		c, isCol := x.(*sqlparser.ColName)
		if !isCol || strings.ToLower(c.Name.String()) != col {
			continue
		}
		if q := strings.ToLower(c.Qualifier.Name.String()); q == "" || q == label {
			return true
		}
	}
	return false
}

// tableRefs calls fn with each table stmt reads or writes (never a
// column's qualifier) until fn returns false.
func tableRefs(stmt sqlparser.Statement, fn func(sqlparser.TableName) bool) {
	more := true
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *sqlparser.AliasedTableExpr:
			if tn, ok := n.Expr.(sqlparser.TableName); ok && more {
				more = fn(tn)
			}
		case *sqlparser.Insert:
			if more {
				more = fn(n.Table)
			}
		}
		return more, nil
	}, stmt)
}

// qualifiesColumn reports whether a column of stmt is qualified with
// table.
func qualifiesColumn(stmt sqlparser.Statement, table string) bool {
	found := false
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		if c, ok := node.(*sqlparser.ColName); ok {
			found = found || strings.ToLower(c.Qualifier.Name.String()) == table
		}
		return !found, nil
	}, stmt)
	return found
}

// havingColumnOf is the name of a column qualified with table in a
// HAVING of stmt.
func havingColumnOf(stmt sqlparser.Statement, table string) (col string, ok bool) {
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		sel, isSelect := node.(*sqlparser.Select)
		if !isSelect || sel.Having == nil || ok {
			return !ok, nil
		}
		_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
			if c, isCol := n.(*sqlparser.ColName); isCol && !ok && strings.ToLower(c.Qualifier.Name.String()) == table {
				col, ok = strings.ToLower(c.Name.String()), true
			}
			return !ok, nil
		}, sel.Having.Expr)
		return !ok, nil
	}, stmt)
	return col, ok
}
