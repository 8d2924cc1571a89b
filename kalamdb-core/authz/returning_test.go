package authz_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestWriteImpliesRead: INSERT/UPDATE/DELETE ... RETURNING answers with the
// rows written and checks only the write (engine/returning.go), which is
// sound only while every role that may write a table may also read it.
func TestWriteImpliesRead(t *testing.T) {
	for _, typ := range []dialect.TableType{dialect.TableTypeUser, dialect.TableTypeShared, dialect.TableTypeStream} {
		for _, level := range []string{"", authz.AccessPrivate, authz.AccessPublic, authz.AccessRestricted} {
			meta := &systable.TableMeta{NamespaceID: "app", TableName: "t", TableType: typ, AccessLevel: level}
			for _, role := range roles {
				if authz.WriteTable(role, meta) == nil && authz.ReadTable(role, meta) != nil {
					t.Errorf("%s table with access %q: role %s may write but not read", typ, level, role)
				}
			}
		}
	}
}
