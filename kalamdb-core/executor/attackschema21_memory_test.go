package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The rows of information_schema.columns are built in memory when the
// scan starts: they are charged to the statement's budget, so a user with
// a small budget is refused a listing of many tables' columns (also
// scanned once per row of a join or a correlated subquery), and nothing
// stays reserved afterwards.
func TestAttackschema21ColumnsListingChargedToBudget(t *testing.T) {
	acct := memory.NewAccount(1 << 30)
	e := newEnvWithMemory(t, 256<<10, acct)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	cols := make([]string, 30)
	for i := range cols {
		cols[i] = fmt.Sprintf("column_with_a_longish_name_%02d TEXT", i)
	}
	for i := 0; i < 60; i++ {
		root.must(fmt.Sprintf("CREATE USER TABLE app.t%03d (id BIGINT PRIMARY KEY, %s)", i, strings.Join(cols, ", ")))
	}
	alice := e.as("alice", systable.RoleUser)
	if got := alice.rows(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'app'`); got != `[[60]]` {
		t.Fatalf("alice's tables: %s", got)
	}
	for _, q := range []string{
		`SELECT count(*) FROM information_schema.columns`,
		`SELECT count(*) FROM information_schema.columns a JOIN information_schema.columns b ON a.column_name = b.column_name`,
		`SELECT count(*) FROM information_schema.tables t WHERE EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_name = t.table_name AND c.column_name = 'zz')`,
	} {
		_, err := alice.exec(q)
		if ae, ok := apierror.As(err); !ok || ae.Code != apierror.ResourceLimitExceeded {
			t.Errorf("%s: %v, want RESOURCE_LIMIT_EXCEEDED", q, err)
		}
		if u := acct.Used(); u != 0 {
			t.Errorf("%s: %d bytes still reserved", q, u)
		}
	}
}
