package live_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"golang.org/x/crypto/bcrypt"
)

// TestAttack16AlterUserChecksTheAccountItChanges: ALTER USER checks its
// permission against the account its statement found; a dba's ALTER
// USER of a name that is then (during the password's hashing) created
// again as a system user must not change that system user's password.
func TestAttack16AlterUserChecksTheAccountItChanges(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE USER 'boss' WITH PASSWORD 'pw' ROLE dba")
	for it := 0; it < 300; it++ {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = e.exec("boss", systable.RoleDBA, "ALTER USER 'carol' SET PASSWORD 'dba-owns-it'")
		}()
		go func() {
			defer wg.Done()
			e.sql("root", systable.RoleSystem, fmt.Sprintf("CREATE USER 'carol' WITH PASSWORD 'root-%d' ROLE system", it))
		}()
		wg.Wait()
		u, ok := e.db.Catalog.UserByName("carol")
		if !ok {
			t.Fatal("carol missing")
		}
		if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("dba-owns-it")) == nil {
			t.Fatalf("iteration %d: a dba set the password of system user carol", it)
		}
		e.sql("root", systable.RoleSystem, "DROP USER 'carol'")
	}
}
