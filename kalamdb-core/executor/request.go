package executor

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Request is one POST /v1/api/sql call (or one statement batch from another
// front end), already authenticated.
type Request struct {
	// UserID and Role are the authenticated caller (the user id, not the
	// name).
	UserID string
	Role   systable.Role
	// ClientAddr is the caller's network address ("host:port"), for
	// throttling wrong current passwords (ALTER USER ... CURRENT
	// PASSWORD) per client; "" when unknown.
	ClientAddr string
	// SQL is the statement batch text.
	SQL string
	// Params are the positional parameters $1..$n (or ?), as decoded from
	// JSON: nil, bool, float64 or json.Number, string, []any, map[string]any.
	Params []any
	// Namespace is the default namespace for unqualified names ("" none).
	Namespace string
	// Memory, when set, is the caller's reservation from the server's
	// memory account: the rows of the results are reserved there as they
	// are read, and the caller gives them back (Release) once it has
	// answered them. Otherwise they are given back as each statement ends.
	Memory *memory.Charge
}

// Column is one column of a result schema, as on the wire.
type Column struct {
	Name     string `json:"name"`
	DataType string `json:"data_type"`
	Index    int    `json:"index"`
}

// Result is the outcome of one statement, shaped as an entry of the wire
// contract's `results` array. Rows hold wire-encoded values (docs/api.md,
// "Values in rows"), ready for encoding/json.
type Result struct {
	Schema   []Column `json:"schema,omitempty"`
	Rows     [][]any  `json:"rows,omitempty"`
	RowCount int64    `json:"row_count"`
	Message  string   `json:"message,omitempty"`
	// AsUser is the name (not the id) of the user the statement ran as.
	AsUser string `json:"as_user,omitempty"`
}
