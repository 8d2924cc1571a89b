package executor_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func passwordIs(t *testing.T, e *env, name, password string) bool {
	t.Helper()
	u, ok := e.db.Catalog.UserByName(name)
	if !ok {
		t.Fatalf("no user %s", name)
	}
	ok, err := e.db.Catalog.CheckPassword(u.UserID, password)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// A service may act as a user on the user's data, never on the user's
// account: run as alice, ALTER USER 'alice' SET PASSWORD would be alice
// changing her own password, and the service would own her account.
func TestExecuteAsCannotManageAccounts(t *testing.T) {
	e, _, _ := chatEnv(t)
	svc, root := e.user("svc"), e.root()
	svc.fails(apierror.PermissionDenied, "EXECUTE AS USER 'alice' (ALTER USER 'alice' SET PASSWORD 'owned')")
	svc.fails(apierror.PermissionDenied, "EXECUTE AS USER 'alice' (ALTER USER 'alice' SET PASSWORD 'owned' CURRENT PASSWORD 'pw')")
	if !passwordIs(t, e, "alice", "pw") {
		t.Fatal("alice's password changed")
	}
	// Not even the system role may wrap account or database management.
	for _, inner := range []string{
		"CREATE USER 'mallory' WITH PASSWORD 'x' ROLE user",
		"DROP USER 'bob'",
		"ALTER USER 'bob' SET EMAIL 'b@example.com'",
		"CREATE NAMESPACE other",
		"DROP TABLE chat.messages",
		"STORAGE FLUSH TABLE chat.messages",
		"KILL LIVE QUERY 'x'",
		"USE chat",
	} {
		ae := root.fails(apierror.PermissionDenied, "EXECUTE AS USER 'ops' ("+inner+")")
		if !strings.Contains(ae.Message, "EXECUTE AS USER may wrap") {
			t.Fatalf("%s: %s", inner, ae.Message)
		}
	}
	if _, ok := e.db.Catalog.UserByName("bob"); !ok {
		t.Fatal("bob was dropped")
	}
	// Reads and writes of the target's data still work.
	svc.must("EXECUTE AS USER 'alice' (INSERT INTO chat.conversations VALUES (1, 'hi'))")
	if got := svc.rows("EXECUTE AS USER 'alice' (SHOW STATS FOR TABLE chat.conversations)"); !strings.HasPrefix(got, `[["chat","conversations",1,`) {
		t.Fatalf("SHOW STATS as alice: %s", got)
	}
}

// A user dropped and created again under the same name is a new identity:
// new id, empty partitions.
func TestRecreatedUserStartsEmpty(t *testing.T) {
	e, _, _ := chatEnv(t)
	root := e.root()
	root.must("CREATE USER 'carol' WITH PASSWORD 'pw1' ROLE user")
	old := e.user("carol")
	if !strings.HasPrefix(old.user, catalog.UserIDPrefix) || old.user == "carol" {
		t.Fatalf("user id %q: want a generated u_ id", old.user)
	}
	old.must("INSERT INTO chat.conversations VALUES (1, 'private')")
	root.must("DROP USER 'carol'")
	root.must("CREATE USER 'carol' WITH PASSWORD 'pw2' ROLE user")
	fresh := e.user("carol")
	if fresh.user == old.user {
		t.Fatalf("the new carol got the old id %s", old.user)
	}
	if got := fresh.rows("SELECT * FROM chat.conversations"); got != `[]` {
		t.Fatalf("the new carol reads the old carol's rows: %s", got)
	}
	if got := root.rows("EXECUTE AS USER 'carol' (SELECT count(*) FROM chat.conversations)"); got != `[[0]]` {
		t.Fatalf("EXECUTE AS the new carol: %s", got)
	}
	// The old rows stay in storage, unreachable by name.
	if got := old.rows("SELECT title FROM chat.conversations"); got != `[["private"]]` {
		t.Fatalf("the old partition: %s", got)
	}
	if _, ok := e.db.Catalog.UserByID(old.user); ok {
		t.Fatal("the old id still resolves to a user")
	}
}

// Results name users by user name; CURRENT_USER() is the name as in
// KalamDB, CURRENT_USER_ID() the id.
func TestUserNamesAndIDsInResults(t *testing.T) {
	e, alice, _ := chatEnv(t)
	res := alice.must("SELECT CURRENT_USER(), CURRENT_USER_ID()")
	if got := res[0].Rows[0]; got[0] != "alice" || got[1] != alice.user || res[0].AsUser != "alice" {
		t.Fatalf("as alice: %v as_user %q", got, res[0].AsUser)
	}
	res = e.user("svc").must("EXECUTE AS USER 'alice' (SELECT CURRENT_USER(), CURRENT_USER_ID())")
	if got := res[0].Rows[0]; got[0] != "alice" || got[1] != alice.user || res[0].AsUser != "alice" {
		t.Fatalf("svc as alice: %v as_user %q", got, res[0].AsUser)
	}
	if got := e.root().rows("SELECT user_id = username FROM system.users WHERE username = 'root'"); got != `[[true]]` {
		t.Fatalf("root keeps the user id root: %s", got)
	}
}

// Changing one's own password needs the current one, whatever the role;
// changing someone else's (as a dba) does not.
func TestOwnPasswordChangeNeedsCurrentPassword(t *testing.T) {
	e, alice, _ := chatEnv(t)
	alice.fails(apierror.PermissionDenied, "ALTER USER 'alice' SET PASSWORD 'new'")
	if ae := alice.fails(apierror.PermissionDenied, "ALTER USER 'alice' SET PASSWORD 'new' CURRENT PASSWORD 'wrong'"); !strings.Contains(ae.Message, "current password is wrong") {
		t.Fatalf("wrong current password: %s", ae.Message)
	}
	if !passwordIs(t, e, "alice", "pw") {
		t.Fatal("a refused change changed the password")
	}
	alice.must("ALTER USER 'alice' SET PASSWORD 'new' CURRENT PASSWORD 'pw'")
	if !passwordIs(t, e, "alice", "new") {
		t.Fatal("password not changed")
	}

	// A stolen dba session must not be able to lock the dba out either.
	ops := e.user("ops")
	ops.fails(apierror.PermissionDenied, "ALTER USER 'ops' SET PASSWORD 'x'")
	ops.fails(apierror.PermissionDenied, "ALTER USER 'ops' SET ROLE user")
	ops.must("ALTER USER 'ops' SET PASSWORD 'ops2' CURRENT PASSWORD 'pw'")
	// Someone else's password: the dba's authority is the proof.
	ops.must("ALTER USER 'alice' SET PASSWORD 'reset'")
	ops.fails(apierror.InvalidInput, "ALTER USER 'alice' SET PASSWORD 'reset2' CURRENT PASSWORD 'reset'")
	if !passwordIs(t, e, "alice", "reset") {
		t.Fatal("dba reset not applied")
	}
	// Root without a password (loopback only) has no current one to give.
	e.root().must("ALTER USER 'root' SET PASSWORD 'root-pw'")
	e.root().fails(apierror.PermissionDenied, "ALTER USER 'root' SET PASSWORD 'root-pw2'")
}

type recordingVerifier struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (v *recordingVerifier) VerifyPassword(_ context.Context, username, password, clientAddr string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls = append(v.calls, username+" "+password+" "+clientAddr)
	return v.err
}

// The front end's verifier decides (it throttles), and sees the client.
func TestCurrentPasswordGoesThroughTheVerifier(t *testing.T) {
	e, alice, _ := chatEnv(t)
	v := &recordingVerifier{err: apierror.New(apierror.RateLimitExceeded, "slow down")}
	e.db.Executor.SetPasswordVerifier(v)
	_, err := e.db.Executor.Execute(context.Background(), executorRequest(alice, "ALTER USER 'alice' SET PASSWORD 'n' CURRENT PASSWORD 'pw'", "198.51.100.7:4000"))
	if apierror.CodeOf(err) != apierror.RateLimitExceeded {
		t.Fatalf("throttled verifier: %v", err)
	}
	v.err = nil
	if _, err := e.db.Executor.Execute(context.Background(), executorRequest(alice, "ALTER USER 'alice' SET PASSWORD 'n' CURRENT PASSWORD 'pw'", "198.51.100.7:4000")); err != nil {
		t.Fatal(err)
	}
	if strings.Join(v.calls, "|") != "alice pw 198.51.100.7:4000|alice pw 198.51.100.7:4000" {
		t.Fatalf("verifier calls: %q", v.calls)
	}
}

// Password and role changes bump the credential version that tokens
// carry; other changes do not.
func TestCredentialVersion(t *testing.T) {
	e, _, _ := chatEnv(t)
	version := func() int64 {
		u, _ := e.db.Catalog.UserByName("alice")
		return u.CredentialVersion
	}
	root := e.root()
	v0 := version()
	root.must("ALTER USER 'alice' SET EMAIL 'a@example.com'")
	if version() != v0 {
		t.Fatal("an email change revoked tokens")
	}
	root.must("ALTER USER 'alice' SET PASSWORD 'p2'")
	v1 := version()
	if v1 <= v0 {
		t.Fatalf("password change: version %d -> %d", v0, v1)
	}
	root.must("ALTER USER 'alice' SET ROLE service")
	if v2 := version(); v2 <= v1 {
		t.Fatalf("role change: version %d -> %d", v1, v2)
	}
	v3 := version()
	root.must("ALTER USER 'alice' SET ROLE service")
	if version() != v3 {
		t.Fatal("setting the same role revoked tokens")
	}
	e.reopen()
	if version() != v3 {
		t.Fatal("credential version lost across a restart")
	}
	if u, _ := e.db.Catalog.UserByName("alice"); u.Role != systable.RoleService {
		t.Fatalf("role: %s", u.Role)
	}
}

// The attack's echoes: CREATE USER 'KATE' answered "User KATE created"
// for the account kate, and ALTER USER with a look-alike spelling
// answered with that spelling. Messages name the account as stored, and
// a look-alike spelling (the Kelvin sign) finds no account at all.
func TestUserMessagesNameTheStoredAccount(t *testing.T) {
	e, _, _ := chatEnv(t)
	root := e.root()
	for _, tc := range []struct{ stmt, want string }{
		{"CREATE USER 'KATE' WITH PASSWORD 'pw-kate-1' ROLE user", "User kate created (user id "},
		{"ALTER USER 'Kate' SET EMAIL 'k@example.com'", "User kate altered"},
		{"CREATE USER IF NOT EXISTS 'kATE' WITH PASSWORD 'x' ROLE user", "User kate already exists"},
	} {
		stmt, want := tc.stmt, tc.want
		if got := root.must(stmt)[0].Message; !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", stmt, got, want)
		}
	}
	root.fails(apierror.NotFound, "ALTER USER '\u212aATE' SET ROLE dba")
	root.fails(apierror.NotFound, "EXECUTE AS USER '\u212aate' (SELECT 1)")
	if got := root.must("DROP USER IF EXISTS '\u212aate'")[0].Message; got != "User \u212aate does not exist" {
		t.Errorf("drop look-alike: %q", got)
	}
	if got := root.must("DROP USER 'KaTe'")[0].Message; got != "User kate dropped" {
		t.Errorf("drop: %q", got)
	}
}
