package executor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A live query on a table of information_schema or pg_catalog is refused
// as having no change feed (as a table function is), not with "namespace
// information_schema does not exist", which a query of it contradicts.
func TestAttackschema21LiveQueryOnCatalogSchemas(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		`SELECT * FROM information_schema.tables`,
		`SELECT table_name FROM information_schema.columns WHERE table_schema = 'app'`,
		`SELECT * FROM pg_catalog.pg_tables`,
	} {
		_, err := e.db.Engine.CompileFilter(context.Background(), alice.user, systable.RoleUser, "", q)
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.Unsupported || !strings.Contains(ae.Message, "change feed") {
			t.Errorf("%s: %v, want UNSUPPORTED (no change feed)", q, err)
		}
	}
}
