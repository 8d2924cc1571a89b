package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStoreKeepsTokensPrivateAndNoPassword(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".kalam")
	s := NewStore(dir)
	in := instanceFrom("http://h:1", User{ID: "u_1", Username: "alice", Role: "user"},
		Tokens{Access: "a", Refresh: "r", AccessExpiresAt: time.Unix(100, 0), RefreshExpiresAt: time.Unix(200, 0)}, time.Unix(50, 0))
	if err := s.Put("dev", in); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("prod", in); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(s.Path())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v", st.Mode(), err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, %v", st.Mode(), err)
	}
	got, ok, err := s.Get("dev")
	if err != nil || !ok || got.RefreshToken != "r" || got.Username != "alice" || !got.ExpiresAt.Equal(time.Unix(100, 0)) {
		t.Fatalf("get = %+v %v %v", got, ok, err)
	}
	raw, _ := os.ReadFile(s.Path())
	if strings.Contains(strings.ToLower(string(raw)), "password") {
		t.Fatalf("the store must hold no password field:\n%s", raw)
	}
	names, _, _ := s.List()
	if strings.Join(names, ",") != "dev,prod" {
		t.Fatalf("list = %v", names)
	}
	if ok, err := s.Delete("dev"); !ok || err != nil {
		t.Fatal("delete dev")
	}
	if _, ok, _ := s.Get("dev"); ok {
		t.Fatal("dev is still there")
	}
	// A file others can read is closed to them before use.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("prod"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(s.Path()); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode after load %v", st.Mode())
	}
}
