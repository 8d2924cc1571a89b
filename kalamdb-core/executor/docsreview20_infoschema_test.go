package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// information_schema was the engine's MySQL one: information_schema.tables
// had MySQL's upper-case columns (ENGINE "InnoDB", ROW_FORMAT,
// TABLE_COLLATION "utf8mb4_0900_bin", AUTO_INCREMENT), listed 79 MySQL
// system views (innodb_buffer_pool_stats, engines, processlist, ...), and
// information_schema.columns gave MySQL type names (TEXT was "longtext",
// BOOLEAN "tinyint" with COLUMN_TYPE "tinyint(1)", TIMESTAMP "datetime").
// PostgreSQL's information_schema has lower-case columns, PostgreSQL type
// names and none of MySQL's tables.
func TestDocsReview20InformationSchemaIsPostgreSQLs(t *testing.T) {
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
	if ae := root.fails(apierror.InvalidSQL, `SELECT engine FROM information_schema.tables`); !strings.Contains(ae.Message, `column "engine" does not exist`) {
		t.Errorf("a MySQL column: %v", ae)
	}
	// Result columns are labelled as PostgreSQL labels them: lower case.
	res := root.must(`SELECT * FROM information_schema.tables WHERE table_schema = 'app'`)[0]
	var names []string
	for _, c := range res.Schema {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "table_catalog,table_schema,table_name,table_type,self_referencing_column_name,reference_generation,user_defined_type_catalog,user_defined_type_schema,user_defined_type_name,is_insertable_into,is_typed,commit_action" {
		t.Errorf("information_schema.tables' columns: %s", got)
	}
	for _, mysql := range []string{"engines", "processlist", "innodb_buffer_pool_stats", "column_statistics", "collations", "character_sets", "user_privileges"} {
		root.fails(apierror.TableNotFound, `SELECT * FROM information_schema.`+mysql)
	}
	for _, col := range []string{"table_collation", "row_format", "auto_increment", "table_rows"} {
		root.fails(apierror.InvalidSQL, `SELECT `+col+` FROM information_schema.tables`)
	}
	root.fails(apierror.InvalidSQL, `SELECT column_type FROM information_schema.columns`)
}
