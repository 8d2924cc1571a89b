package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A missing table is named as the statement names it, with the namespace
// it was looked up in: the engine's message was "table not found: x"
// whether x was qualified or looked up in the selected namespace, and a
// missing namespace was "namespace not found: zz". KalamDB needs a
// namespace for every table, so the message says which one was used or
// that none was selected (PostgreSQL: relation "x" does not exist).
func TestMsgs21UnknownTableNamesWhereItWasLookedUp(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY)`)
	inApp := e.root()
	inApp.ns = "app"
	const (
		none     = "table nosuch does not exist: no namespace is selected (write namespace.nosuch, or select one with USE or the request's namespace_id)"
		selected = "table nosuch does not exist in namespace app, the one selected (write namespace.nosuch for a table of another namespace)"
		named    = "table app.nosuch does not exist"
	)
	for _, c := range []struct {
		who       *caller
		code      apierror.Code
		sql, want string
	}{
		{root, apierror.TableNotFound, `SELECT * FROM nosuch`, none},
		{root, apierror.TableNotFound, `SELECT * FROM app.t JOIN nosuch ON true`, none},
		{root, apierror.TableNotFound, `SELECT * FROM app.nosuch`, named},
		{root, apierror.TableNotFound, `SELECT * FROM app.t JOIN app.nosuch ON true`, named},
		{root, apierror.TableNotFound, `SELECT * FROM app.t WHERE id IN (SELECT id FROM app.nosuch)`, named},
		{inApp, apierror.TableNotFound, `SELECT * FROM nosuch`, selected},
		{inApp, apierror.TableNotFound, `SELECT * FROM t JOIN nosuch ON true`, selected},
		{inApp, apierror.TableNotFound, `SELECT * FROM app.nosuch`, named},
		{inApp, apierror.TableNotFound, `INSERT INTO nosuch (id) VALUES (1)`, selected},
		{inApp, apierror.TableNotFound, `UPDATE nosuch SET id = 1`, selected},
		{inApp, apierror.TableNotFound, `DELETE FROM nosuch WHERE id = 1`, selected},
		{inApp, apierror.TableNotFound, `EXPLAIN SELECT * FROM nosuch`, selected},
		{inApp, apierror.TableNotFound, `CREATE VIEW v AS SELECT * FROM app.nosuch`, named},
		{root, apierror.NamespaceNotFound, `SELECT * FROM zz.t`, "namespace zz does not exist"},
		// A qualifier that names no table of the query is PostgreSQL's
		// error, not a missing table.
		{root, apierror.InvalidSQL, `SELECT x.id FROM app.t`, `missing FROM-clause entry for table "x"`},
		{inApp, apierror.InvalidSQL, `SELECT t.id, nosuch.id FROM t`, `missing FROM-clause entry for table "nosuch"`},
	} {
		ae := c.who.fails(c.code, c.sql)
		if ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
		if strings.Contains(ae.Message, "not found") || strings.Contains(ae.Message, "database") {
			t.Errorf("%s: the engine's wording: %q", c.sql, ae.Message)
		}
	}
	inApp.must(`SELECT * FROM t`)
}
