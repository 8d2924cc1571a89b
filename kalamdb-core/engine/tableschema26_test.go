package engine_test

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestTableSchemaIsNotAppendedInto: a table's schema is cached with its
// shape and shared by every statement, and go-mysql-server's join builds
// its own schema as append(left.Schema(), right.Schema()...). A schema
// with room to spare would take the right side's columns into the shared
// array: concurrent joins of the same table wrote over each other's
// columns (a data race -race reports in TestPooledSessionsKeepUsersApart),
// and a join's schema could show another statement's right side. Two
// appends to it must not see each other's columns.
// Failed before: the schema was built by append and kept its spare room.
func TestTableSchemaIsNotAppendedInto(t *testing.T) {
	r := newCatalogRig(t, 0, 0)
	for _, ddl := range []string{
		`CREATE TABLE app.s (id BIGINT PRIMARY KEY, a TEXT, b INT)`,
		`CREATE USER TABLE app.u (id BIGINT PRIMARY KEY, a TEXT, b INT, c INT, d INT)`,
		`CREATE STREAM TABLE app.e (who TEXT) WITH (TTL_SECONDS = 30)`,
	} {
		r.must("root", systable.RoleSystem, ddl)
	}
	for _, name := range []string{"s", "u", "e"} {
		sch, err := engine.TableSchema(r.db.Engine, "app", name)
		if err != nil {
			t.Fatal(err)
		}
		x := append(sch, &sql.Column{Name: "x"})
		_ = append(sch, &sql.Column{Name: "y"})
		if got := x[len(sch)].Name; got != "x" {
			t.Fatalf("app.%s: a join's schema took another's column %q (cap %d, len %d)", name, got, cap(sch), len(sch))
		}
	}
}
