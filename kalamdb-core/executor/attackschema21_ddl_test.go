package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// DDL naming a table of information_schema or pg_catalog is refused as
// DDL on the system tables is (PERMISSION_DENIED), not with "namespace
// information_schema does not exist", which a SELECT of it contradicts.
func TestAttackschema21DDLOnCatalogSchemasIsRefused(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	for _, s := range []string{"information_schema", "pg_catalog"} {
		for _, q := range []string{
			`DROP TABLE ` + s + `.tables`,
			`DROP TABLE IF EXISTS ` + s + `.tables`,
			`ALTER TABLE ` + s + `.tables ADD COLUMN z INT`,
			`CREATE INDEX ix ON ` + s + `.tables (table_name)`,
			`DROP INDEX ` + s + `.ix`,
			`CREATE SHARED TABLE ` + s + `.t (id BIGINT PRIMARY KEY)`,
			`CREATE VIEW ` + s + `.v AS SELECT 1 AS one`,
			`DROP VIEW ` + s + `.views`,
		} {
			refusedWith(t, root, apierror.PermissionDenied, q)
		}
	}
	if got := root.rows(`SELECT count(*) FROM information_schema.tables WHERE table_schema IN ('information_schema', 'pg_catalog')`); got != `[[8]]` {
		t.Errorf("the catalog schemas' tables: %s", got)
	}
}

// refusedWith reports (without stopping the test) a statement that does
// not fail with code, and returns its error when it does.
func refusedWith(t *testing.T, c *caller, code apierror.Code, q string) *apierror.Error {
	t.Helper()
	_, err := c.exec(q)
	ae, ok := apierror.As(err)
	if !ok || ae.Code != code {
		t.Errorf("%s: %v, want %s", q, err, code)
		return nil
	}
	return ae
}
