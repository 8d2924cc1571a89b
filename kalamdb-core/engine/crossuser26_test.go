package engine_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPooledSessionsKeepUsersApart: sessions, and go-mysql-server's memory
// manager with them, go from one user's statement to another's. Users
// reading their own rows of a user table at once through the operators
// that keep caches in the manager (DISTINCT, GROUP BY, count(DISTINCT),
// IN (subquery), a hash join) see their own rows only, every time.
func TestPooledSessionsKeepUsersApart(t *testing.T) {
	r := newCatalogRig(t, 0, 0)
	r.must("root", systable.RoleSystem, `CREATE USER TABLE app.u (id BIGINT PRIMARY KEY, a TEXT, b INT)`)
	const users, rows = 6, 5
	for u := range users {
		name := fmt.Sprintf("user%d", u)
		for i := range rows {
			r.must(name, systable.RoleUser, fmt.Sprintf(`INSERT INTO app.u VALUES (%d, '%s-%d', %d)`, i, name, i%2, i))
		}
	}
	queries := []string{
		`SELECT DISTINCT a FROM app.u`,
		`SELECT a, count(*) FROM app.u GROUP BY a`,
		`SELECT count(DISTINCT a), min(a) FROM app.u`,
		`SELECT a FROM app.u WHERE a IN (SELECT a FROM app.u WHERE b >= 0)`,
		`SELECT x.a FROM app.u x JOIN app.u y ON x.a = y.a`,
		`SELECT a FROM app.u UNION SELECT a FROM app.u`,
	}
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", u)
			for round := range 15 {
				q := queries[(round+u)%len(queries)]
				res, err := r.exec(name, systable.RoleUser, q)
				if err != nil {
					errs <- fmt.Errorf("%s: %s: %v", name, q, err)
					return
				}
				if len(res[0].Rows) == 0 {
					errs <- fmt.Errorf("%s: %s: no rows", name, q)
					return
				}
				for _, row := range res[0].Rows {
					for _, v := range row {
						if s, ok := v.(string); ok && !strings.HasPrefix(s, name+"-") {
							errs <- fmt.Errorf("%s: %s: saw %q", name, q, s)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
