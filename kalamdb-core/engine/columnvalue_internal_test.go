package engine

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// TestColumnValueErrorTypeMismatch: a value the type check let through
// whose Go type the column's conversion does not take is refused in the
// type check's words, with KalamDB's type words; it named a Go type
// ("cannot convert bool value to UUID"). No statement is known to reach
// it: the type check refuses every mismatch it can see first.
func TestColumnValueErrorTypeMismatch(t *testing.T) {
	_, err := row.Normalize(dialect.DataType{Name: dialect.TypeUUID}, true)
	ae, ok := apierror.As(columnValueError("u", err))
	if !ok || ae.Code != apierror.InvalidSQL || ae.Message != "column u is of type UUID but expression is of type BOOLEAN" {
		t.Fatalf("got %v", ae)
	}
	_, err = row.Normalize(dialect.DataType{Name: dialect.TypeSmallInt}, int64(40000))
	if ae, ok := apierror.As(columnValueError("s", err)); !ok || ae.Code != apierror.InvalidInput {
		t.Fatalf("out of range: %v", ae)
	}
}
