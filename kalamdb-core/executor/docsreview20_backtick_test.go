package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Backtick quoting is MySQL's, refused in every statement as sql.md says:
// KalamDB's own statements (CREATE TABLE, CREATE NAMESPACE, ALTER, DROP,
// SHOW, STORAGE FLUSH, CREATE INDEX) accepted it while SELECT refused it.
// Each refusal changes nothing.
func TestDocsReview20BackticksRefusedInKalamDBStatements(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	root.must(`CREATE TABLE app.t (id INT PRIMARY KEY, n INT)`)
	for _, q := range []string{
		"CREATE NAMESPACE `bq`",
		"CREATE TABLE `app`.m (id INT PRIMARY KEY)",
		"CREATE TABLE app.m (`id` INT PRIMARY KEY)",
		"ALTER TABLE `app`.t ADD COLUMN x INT",
		"CREATE INDEX `ix` ON app.t (n)",
		"DESCRIBE TABLE app.`t`",
		"SHOW TABLES IN `app`",
		"STORAGE FLUSH TABLE `app`.t",
		"DROP TABLE `app`.t",
	} {
		if ae := root.fails(apierror.InvalidSQL, q); !strings.Contains(ae.Message, "MySQL quoting") {
			t.Errorf("%s: %q", q, ae.Message)
		}
	}
	if got := root.rows(`SELECT namespace_id, table_name FROM system.tables WHERE namespace_id IN ('app', 'bq') ORDER BY table_name`); got != `[["app","t"]]` {
		t.Errorf("tables after the refusals: %s", got)
	}
	root.must(`CREATE TABLE app."M" ("Id" INT PRIMARY KEY)`)
}
