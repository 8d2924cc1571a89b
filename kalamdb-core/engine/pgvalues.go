package engine

import (
	"encoding/json"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
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
		return nil, execError("invalid JSON value: %v", err)
	}
	return val, nil
}
