package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A write to a table of information_schema or pg_catalog is refused in
// KalamDB's words (PostgreSQL: cannot insert into view "tables"), never
// the engine's MySQL ones ("table doesn't support INSERT INTO",
// "Database information_schema is read-only."), and changes nothing.
func TestAttackschema21WritesToCatalogSchemasAreRefused(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY)`)
	before := root.rows(`SELECT count(*) FROM information_schema.tables`)
	for _, q := range []string{
		`INSERT INTO information_schema.tables (table_name) VALUES ('x')`,
		`INSERT INTO information_schema.tables (table_name) SELECT table_name FROM information_schema.tables`,
		`UPDATE information_schema.tables SET table_name = 'y'`,
		`DELETE FROM information_schema.columns`,
		`INSERT INTO pg_catalog.pg_tables (tablename) VALUES ('x')`,
		`UPDATE pg_catalog.pg_views SET viewname = 'y'`,
		`DELETE FROM pg_catalog.pg_tables WHERE schemaname = 'app'`,
		`WITH x AS (SELECT 'a' AS n) INSERT INTO information_schema.tables (table_name) SELECT n FROM x`,
		`DELETE FROM "information_schema"."tables" AS t WHERE t.table_name = 'x'`,
	} {
		err := refusedWith(t, root, apierror.PermissionDenied, q)
		if err == nil {
			continue
		}
		msg := err.Message
		if strings.Contains(msg, "Database ") || strings.Contains(msg, "doesn't support") || !strings.Contains(msg, "read-only") {
			t.Errorf("%s: %q, want PostgreSQL's wording", q, msg)
		}
	}
	if got := root.rows(`SELECT count(*) FROM information_schema.tables`); got != before {
		t.Errorf("information_schema.tables changed: %s, was %s", got, before)
	}
	// Reading them in a write to a real table stays allowed.
	root.must(`INSERT INTO app.t SELECT count(*) FROM information_schema.tables`)
	root.must(`DELETE FROM app.t WHERE id IN (SELECT count(*) FROM pg_catalog.pg_tables)`)
	// A write nested in WITH is refused whatever its target.
	if _, err := root.exec(`WITH d AS (DELETE FROM information_schema.tables RETURNING table_name) SELECT count(*) FROM d`); err == nil {
		t.Error("a DELETE of information_schema.tables in WITH succeeded")
	}
}
