package engine

import (
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// maxRepeatedParamBytes bounds the bytes of parameter values that a
// statement's second and later references to its parameters add, as
// much as the default bound of a request's SQL text (1 MiB): writing
// the values into the text that many times would be refused as well.
const maxRepeatedParamBytes = 1 << 20

// checkParamRefs refuses a statement whose references to its parameters
// would plan more than maxRepeatedParamBytes of copies of their values.
// The planner binds every reference as a literal of its own and prints
// literals while it plans (column names, window definitions, the
// analyzer's expression strings), several times each: 1,000 references to
// a 100 KB value allocated 4 to 10 GB before the statement ran, enough
// for a reader to take the server down. One reference to each value is
// free: its size is bounded by the request's.
func checkParamRefs(refs []int, bindings map[string]sqlparser.Expr) error {
	var extra int64
	for i, n := range refs {
		if n < 2 {
			continue
		}
		v, ok := bindings[pgsql.BindName(i+1)].(*sqlparser.SQLVal)
		if !ok {
			continue
		}
		extra += int64(n-1) * int64(len(v.Val))
		if extra > maxRepeatedParamBytes {
			return apierror.New(apierror.ResourceLimitExceeded,
				"parameter $%d (%d bytes) is referenced %d times: the statement's repeated parameter references come to more than %d bytes; reference the value once (in a CTE or subquery) instead",
				i+1, len(v.Val), n, maxRepeatedParamBytes)
		}
	}
	return nil
}
