package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// statementTime is now() of the statement: the start of its transaction
// (PostgreSQL's transaction timestamp), in UTC with microseconds.
func statementTime(ctx *sql.Context) time.Time {
	if ctx != nil {
		if s, ok := ctx.Session.(*Session); ok && s.tx != nil && !s.tx.Start().IsZero() {
			return s.tx.Start()
		}
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// jsonValue is the Go value of a JSON document (maps, slices, strings,
// float64 or json.Number, bools, nil) from any engine representation.
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case types.JSONDocument:
		return x.Val, nil
	case sql.JSONWrapper:
		return x.ToInterface()
	case string:
		return decodeJSON([]byte(x))
	case []byte:
		return decodeJSON(x)
	case json.RawMessage:
		return decodeJSON(x)
	}
	return v, nil
}

func decodeJSON(b []byte) (any, error) {
	var val any
	if err := json.Unmarshal(b, &val); err != nil {
		if tooDeep(err) {
			return nil, errJSONTooDeep()
		}
		return nil, execError("invalid JSON value: %v", err)
	}
	return val, nil
}

// maxJSONDepth is how deeply the JSON decoder nests arrays and objects.
const maxJSONDepth = 10000

// tooDeep reports whether a JSON decoding error is the decoder's nesting
// bound rather than bad syntax.
func tooDeep(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) && strings.Contains(se.Error(), "exceeded max depth")
}

// errJSONTooDeep is the error of a JSON document nested past maxJSONDepth:
// valid JSON, which no KalamDB value may hold.
func errJSONTooDeep() error {
	return apierror.New(apierror.ResourceLimitExceeded, "a JSON value nests arrays and objects more than %d levels deep (a fixed limit)", maxJSONDepth)
}
