package pgsql

import "testing"

// TestUpdateAsSelect: an UPDATE of a table its caller applies itself
// becomes the SELECT that computes it.
func TestUpdateAsSelect(t *testing.T) {
	q, cols, err := UpdateAsSelect("UPDATE system.users AS u SET email = lower(username) || $1 WHERE u.role = 'user'", []string{"username"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT username, lower(username) || $1 FROM system.users u WHERE u.role = 'user'"; q != want || len(cols) != 1 || cols[0] != "email" {
		t.Fatalf("got %q %v, want %q [email]", q, cols, want)
	}
	// A text column's value is cast to text, as PostgreSQL writes any
	// value into a text column.
	q, _, err = UpdateAsSelect("UPDATE system.users SET Email = 5, role = 6", []string{"username"}, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT username, 5::text, 6 FROM system.users"; q != want {
		t.Fatalf("got %q, want %q", q, want)
	}
	if ns, table, ok := UpdatedTable("update SYSTEM.Users set email = null"); !ok || ns != "system" || table != "users" {
		t.Fatalf("UpdatedTable: %q %q %v", ns, table, ok)
	}
	for _, bad := range []string{"UPDATE system.users SET (email, role) = ('a', 'b')", "UPDATE system.users SET email = 'a' FROM t",
		"UPDATE system.users SET email = 'a' RETURNING *", "SELECT 1"} {
		if _, _, err := UpdateAsSelect(bad, []string{"username"}, nil); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
