package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackrules19BetweenOnShortPath pins what the short path of UPDATE
// and DELETE (BETWEEN read as two bounds, the index binding the most, the
// scan's integer bounds) changes, against PostgreSQL 15's answers for the
// same rows: NULL, reversed and SYMMETRIC bounds, NOT BETWEEN, fractional
// bounds on an INT column, bounds past SMALLINT's and BIGINT's ranges,
// with each row's first version cold and a newer one hot that leaves the
// range (a + 10) while the cold one is still inside it.
func TestAttackrules19BetweenOnShortPath(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.p (id BIGINT PRIMARY KEY, a INT, s SMALLINT, c TEXT)")
	e.root().must("CREATE INDEX pa ON app.p (a)")
	e.root().must("CREATE INDEX ps ON app.p (s)")
	alice := e.as("alice", systable.RoleUser)
	bob := e.as("bob", systable.RoleUser)
	var vals []string
	for i := 0; i < 20; i++ {
		a := fmt.Sprint(i % 5)
		if i%7 == 0 {
			a = "NULL"
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, %d, 'x')", i, a, i*2000-20000))
	}
	alice.must("INSERT INTO app.p VALUES " + strings.Join(vals, ", "))
	bob.must("INSERT INTO app.p VALUES " + strings.Join(vals, ", "))
	flushTable(t, e, "app.p")
	alice.must("UPDATE app.p SET a = a + 10 WHERE id % 3 = 0")
	ids := idsText
	for _, c := range []struct{ where, want string }{
		{"a BETWEEN 1 AND 2", "1,2,11,16,17"},
		{"a NOT BETWEEN 1 AND 12", "3,5,9,10,18"},
		{"a BETWEEN SYMMETRIC 3 AND 1", "1,2,8,11,13,16,17"},
		{"id BETWEEN 15 AND 5", ""},
		{"id NOT BETWEEN NULL AND 5", "6,7,8,9,10,11,12,13,14,15,16,17,18,19"},
		{"s BETWEEN -100 AND 100000", "10,11,12,13,14,15,16,17,18,19"},
		{"a BETWEEN 1.5 AND 3.5", "2,8,13,17"},
		{"id BETWEEN 9223372036854775806 AND 9223372036854775808", ""},
		{"a NOT BETWEEN 1.5 AND 12.5", "1,3,5,9,10,11,16,18"},
	} {
		if got := ids(alice.must("SELECT id FROM app.p WHERE " + c.where)[0].Rows); got != c.want {
			t.Errorf("SELECT ... WHERE %s: %s, want %s", c.where, got, c.want)
		}
		if got := ids(alice.must("UPDATE app.p SET c = 'y' WHERE " + c.where + " RETURNING id")[0].Rows); got != c.want {
			t.Errorf("UPDATE ... WHERE %s: %s, want %s", c.where, got, c.want)
		}
		if got := ids(alice.must("SELECT id FROM app.p WHERE c = 'y'")[0].Rows); got != c.want {
			t.Errorf("after UPDATE ... WHERE %s: %s changed, want %s", c.where, got, c.want)
		}
		alice.must("UPDATE app.p SET c = 'x' WHERE c = 'y'")
	}
	if got := ids(alice.must("DELETE FROM app.p WHERE a BETWEEN SYMMETRIC 3 AND 1 RETURNING id")[0].Rows); got != "1,2,8,11,13,16,17" {
		t.Errorf("DELETE: %s", got)
	}
	if got := bob.rows("SELECT count(*) FROM app.p WHERE c = 'x'"); got != "[[20]]" {
		t.Errorf("bob's rows: %s, want all 20 untouched", got)
	}
}
