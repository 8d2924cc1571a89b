package engine

import (
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// maxValueBytes bounds one value that a function builds from its inputs
// (lpad, repeat, replace, concat, string_agg, array_agg, ...). Functions
// compute the size of their result before they allocate it and call
// checkResultSize, so a statement such as SELECT repeat('x', 1e9) fails
// at once instead of exhausting the server's memory.
const maxValueBytes = 16 << 20

// checkResultSize fails when a function's result would be n bytes and n
// is over the limit for one value. It is the single place such sizes are
// checked (a per-statement memory budget can hook in here).
func checkResultSize(_ *sql.Context, n int) error {
	if n < 0 || n > maxValueBytes {
		return apierror.New(apierror.SQLExecutionError, "a value of %d bytes would exceed the limit of %d bytes for one value", max(n, maxValueBytes+1), maxValueBytes)
	}
	return nil
}
