package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// information_schema is the engine's MySQL one: information_schema.tables
// has MySQL's upper-case columns (ENGINE "InnoDB", ROW_FORMAT,
// TABLE_COLLATION "utf8mb4_0900_bin", AUTO_INCREMENT), lists 79 MySQL
// system views (innodb_buffer_pool_stats, engines, processlist, ...), and
// information_schema.columns gives MySQL type names (TEXT is "longtext",
// BOOLEAN "tinyint" with COLUMN_TYPE "tinyint(1)", TIMESTAMP "datetime").
// PostgreSQL's information_schema has lower-case columns, PostgreSQL type
// names and none of MySQL's tables.
func TestDocsReview20InformationSchemaIsPostgreSQLs(t *testing.T) {
	t.Skip("docsreview20: information_schema is go-mysql-server's MySQL information_schema (InnoDB, utf8mb4 collations, longtext/tinyint(1) types, innodb_* views)")
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	root.must(`CREATE TABLE app.t (id BIGINT PRIMARY KEY, body TEXT, ok BOOLEAN, at TIMESTAMP)`)
	if got := root.rows(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 't' AND column_name NOT LIKE '\_%' ORDER BY ordinal_position`); got != `[["id","bigint"],["body","text"],["ok","boolean"],["at","timestamp without time zone"]]` {
		t.Errorf("information_schema.columns: %s", got)
	}
	if got := root.rows(`SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'innodb%' OR table_name IN ('engines', 'processlist')`); got != `[[0]]` {
		t.Errorf("MySQL's tables are listed: %s", got)
	}
	root.fails(apierror.InvalidSQL, `SELECT engine FROM information_schema.tables`)
}
