package pgsql

import "testing"

// TestUpdateAsSelect: an UPDATE of a table its caller applies itself
// becomes the SELECT that computes it.
func TestUpdateAsSelect(t *testing.T) {
	q, cols, err := UpdateAsSelect("UPDATE system.users AS u SET email = lower(username) || $1 WHERE u.role = 'user'", []string{"username"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT username, lower(username) || $1 FROM system.users u WHERE u.role = 'user'"; q != want || len(cols) != 1 || cols[0] != "email" {
		t.Fatalf("got %q %v, want %q [email]", q, cols, want)
	}
	if ns, table, ok := UpdatedTable("update SYSTEM.Users set email = null"); !ok || ns != "system" || table != "users" {
		t.Fatalf("UpdatedTable: %q %q %v", ns, table, ok)
	}
	for _, bad := range []string{"UPDATE system.users SET (email, role) = ('a', 'b')", "UPDATE system.users SET email = 'a' FROM t",
		"UPDATE system.users SET email = 'a' RETURNING *", "SELECT 1"} {
		if _, _, err := UpdateAsSelect(bad, []string{"username"}); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
