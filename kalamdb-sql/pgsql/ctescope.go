package pgsql

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// WITH query names and the tables they could hide.
//
// In PostgreSQL a WITH query's name is an unqualified relation name: it
// hides a table only where the table is named without a namespace, and
// never the table a statement writes. The engine looks a WITH query up by
// the bare table name, namespace or not, so WITH w AS (...) SELECT ...
// FROM app.w read the WITH query instead of the table (and a DELETE FROM
// app.w ... WHERE id IN (SELECT id FROM app.w) deleted by the WITH
// query's rows). A WITH query whose name the statement also uses for a
// table (qualified, or as the table it writes) is therefore given an
// internal name, and the references to it that PostgreSQL resolves to it
// (unqualified, in its scope) use that name, aliased to the written one so
// that w.col still works.

// cteScope is one WITH clause's queries: written name -> internal name,
// "" for a query that keeps its name.
type cteScope map[string]string

// tableNamesInStatement lists the names the statement uses for tables:
// every qualified relation, and the relation an INSERT, UPDATE or DELETE
// writes. It is computed once per statement, when a WITH is first met.
func tableNamesInStatement(root proto.Message) map[string]bool {
	out := map[string]bool{}
	findNode(root, func(m protoreflect.Message) (bool, bool) {
		switch x := m.Interface().(type) {
		case *pg.RangeVar:
			if x.Schemaname != "" {
				out[strings.ToLower(x.Relname)] = true
			}
		case *pg.InsertStmt:
			if x.Relation != nil {
				out[strings.ToLower(x.Relation.Relname)] = true
			}
		case *pg.UpdateStmt:
			if x.Relation != nil {
				out[strings.ToLower(x.Relation.Relname)] = true
			}
		case *pg.DeleteStmt:
			if x.Relation != nil {
				out[strings.ToLower(x.Relation.Relname)] = true
			}
		}
		return false, true
	})
	return out
}

// pushWith opens the scope of a WITH clause: its queries' names that the
// statement also uses for tables get internal names. It checks that no
// name is given twice, as PostgreSQL does. The caller pops the scope
// (popWith) once the clause's statement is translated.
func (t *translator) pushWith(w *pg.WithClause) error {
	if t.tableNames == nil {
		t.tableNames = tableNamesInStatement(t.root)
	}
	scope := cteScope{}
	seen := map[string]bool{}
	for _, n := range w.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil {
			continue
		}
		name := strings.ToLower(cte.Ctename)
		if seen[name] {
			return t.errorAt(cte.Location, "WITH query name %q specified more than once", cte.Ctename)
		}
		seen[name] = true
		scope[name] = ""
		if t.tableNames[name] {
			t.cteRenames++
			scope[name] = fmt.Sprintf("kdb_with_%d_%s", t.cteRenames, name)
		}
	}
	t.ctes = append(t.ctes, scope)
	return nil
}

func (t *translator) popWith() { t.ctes = t.ctes[:len(t.ctes)-1] }

// withName is the name a query of the innermost WITH clause is declared
// with in the engine's statement.
func (t *translator) withName(name string) string {
	if len(t.ctes) > 0 {
		if internal := t.ctes[len(t.ctes)-1][strings.ToLower(name)]; internal != "" {
			return internal
		}
	}
	return name
}

// cteName is the internal name of the WITH query an unqualified relation
// name refers to, if that query was renamed (the innermost WITH declaring
// the name decides).
func (t *translator) cteName(rv *pg.RangeVar) (string, bool) {
	if rv.Schemaname != "" {
		return "", false
	}
	name := strings.ToLower(rv.Relname)
	for i := len(t.ctes) - 1; i >= 0; i-- {
		if internal, declared := t.ctes[i][name]; declared {
			return internal, internal != ""
		}
	}
	return "", false
}
