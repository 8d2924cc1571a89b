package executor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The attack's panic: SELECT * FROM information_schema.column_statistics
// (the engine's MySQL information schema, since replaced by PostgreSQL's)
// answered INTERNAL_ERROR (a nil pointer in the engine) to any role. Every
// information_schema table is read by every role without an internal error:
// rows, or a clear refusal.
func TestEveryInformationSchemaTableReads(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE VIEW app.vn AS SELECT id FROM app.notes;
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'dba1' WITH PASSWORD 'dba1-pw-long' ROLE dba`)
	var rows [][]string
	if err := json.Unmarshal([]byte(e.root().rows(
		"SELECT table_name FROM information_schema.tables WHERE table_schema = 'information_schema' ORDER BY table_name")), &rows); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r[0])
	}
	if got := strings.Join(names, ","); got != "columns,key_column_usage,schemata,table_constraints,tables,views" {
		t.Fatalf("information_schema tables: %v", names)
	}
	for _, c := range []*caller{e.user("alice"), e.user("dba1"), e.root(), e.as("svc", systable.RoleService)} {
		for _, name := range names {
			_, err := c.exec("SELECT * FROM information_schema." + name)
			if ae, ok := apierror.As(err); err != nil && (!ok || ae.Code == apierror.InternalError) {
				t.Errorf("%s as %s: %v", name, c.role, err)
			}
		}
	}
}
