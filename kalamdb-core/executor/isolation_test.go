package executor_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestIsolationProperty runs random reads and writes (filters, joins,
// subqueries, aggregates, EXECUTE AS) from several users over the same USER
// tables and checks after every statement that:
//   - every row a statement returns from a USER table belongs to the
//     statement's effective user (each row carries its owner's id);
//   - no statement changed the stored partition of any user other than
//     its effective user (byte digests of every partition, read from the
//     store below the engine).
//
// The seed is fixed for reproducibility; set KALAMDB_ISOLATION_SEED to try
// others and KALAMDB_ISOLATION_STEPS for a longer run.
func TestIsolationProperty(t *testing.T) {
	seed := envInt("KALAMDB_ISOLATION_SEED", 20261129)
	steps := envInt("KALAMDB_ISOLATION_STEPS", 400)
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	e := newEnv(t)
	users := []string{"u1", "u2", "u3", "u4"}
	e.root().must(`CREATE NAMESPACE p;
		CREATE TABLE p.items (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, grp INT, val INT);
		CREATE TABLE p.tags (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), item_id BIGINT, owner TEXT NOT NULL, tag TEXT);
		CREATE TABLE p.events (owner TEXT NOT NULL, kind TEXT);
		CREATE SHARED TABLE p.ref (id INT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO p.ref VALUES (0, 'zero'), (1, 'one'), (2, 'two');
		CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service;
		CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba;
		CREATE VIEW p.my_items AS SELECT id, owner, grp, val FROM items;
		CREATE VIEW p.item_tags AS SELECT i.id, i.owner, t.tag, r.name FROM p.my_items i JOIN p.tags t ON t.item_id = i.id LEFT JOIN p.ref r ON r.id = i.grp;
		CREATE VIEW p.owners AS SELECT owner, count(*) AS n, sum(val) AS total FROM p.my_items GROUP BY owner`)
	for _, u := range users {
		e.root().must(fmt.Sprintf("CREATE USER '%s' WITH PASSWORD 'pw' ROLE user", u))
		// Seed each partition with the same ids so that a leak cannot hide
		// behind distinct keys.
		for i := 1; i <= 6; i++ {
			e.as(u, systable.RoleUser).must(fmt.Sprintf("INSERT INTO p.items VALUES (%d, CURRENT_USER(), %d, %d)", i, i%3, i*10))
			e.as(u, systable.RoleUser).must(fmt.Sprintf("INSERT INTO p.tags (item_id, owner, tag) VALUES (%d, CURRENT_USER(), 't%d')", i, i%2))
		}
	}
	families := []string{"user_table:p:items", "user_table:p:tags", "user_table:p:events"}
	statements, writes, refused := 0, 0, 0
	for step := 0; step < steps; step++ {
		actor, effective, stmt := randomStatement(r, users)
		before := partitionDigests(t, e.kv, families, users)
		res, err := e.db.Executor.Execute(context.Background(), executor.Request{UserID: actor.user, Role: actor.role, SQL: stmt})
		statements++
		if err != nil {
			refused++
		} else {
			checkOwners(t, seed, stmt, effective, res)
			if !strings.HasPrefix(strings.TrimPrefix(stmt, "EXECUTE AS USER '"+effective+"' ("), "SELECT") {
				writes++
			}
		}
		after := partitionDigests(t, e.kv, families, users)
		for _, u := range users {
			if u != effective && before[u] != after[u] {
				t.Fatalf("seed %d step %d: %s as %s (effective %s) changed %s's partition", seed, step, stmt, actor.user, effective, u)
			}
		}
	}
	t.Logf("seed %d: %d statements (%d writes succeeded, %d refused)", seed, statements, writes, refused)
	if writes < steps/10 {
		t.Fatalf("too few writes succeeded (%d of %d): the generator is not exercising writes", writes, steps)
	}
}

type actor struct {
	user string
	role systable.Role
}

// randomStatement builds a random statement and returns who runs it and
// whose partition it may touch.
func randomStatement(r *rand.Rand, users []string) (actor, string, string) {
	u := users[r.IntN(len(users))]
	n := func(max int) int { return r.IntN(max) + 1 }
	filters := []string{
		fmt.Sprintf("id = %d", n(8)), fmt.Sprintf("id > %d", n(6)), fmt.Sprintf("grp = %d", r.IntN(3)),
		fmt.Sprintf("val BETWEEN %d AND %d", n(30), 30+n(40)), fmt.Sprintf("id IN (%d, %d)", n(6), n(6)),
		fmt.Sprintf("id IN (SELECT item_id FROM p.tags WHERE tag = 't%d')", r.IntN(2)),
		fmt.Sprintf("EXISTS (SELECT 1 FROM p.tags t WHERE t.item_id = items.id AND t.tag = 't%d')", r.IntN(2)),
		"owner <> CURRENT_USER()", "1 = 1", fmt.Sprintf("grp IN (SELECT id FROM p.ref WHERE name <> '%d')", n(3)),
	}
	where := filters[r.IntN(len(filters))]
	if r.IntN(3) == 0 {
		where += " OR " + filters[r.IntN(len(filters))]
	}
	templates := []string{
		"SELECT id, owner, grp, val FROM p.items WHERE " + where,
		"SELECT owner, count(*), sum(val) FROM p.items WHERE " + where + " GROUP BY owner",
		"SELECT DISTINCT owner FROM p.tags",
		"SELECT i.id, i.owner, t.owner, t.tag FROM p.items i JOIN p.tags t ON t.item_id = i.id WHERE i." + strings.ReplaceAll(where, "items.id", "i.id"),
		"SELECT i.owner, r.name FROM p.items i LEFT JOIN p.ref r ON r.id = i.grp ORDER BY i.id DESC LIMIT 5",
		"SELECT owner, max(val) FROM p.items GROUP BY owner HAVING max(val) > 0",
		"SELECT (SELECT max(owner) FROM p.tags) AS owner, count(*) FROM p.items",
		"SELECT owner, kind FROM p.events WHERE owner = CURRENT_USER() OR kind = 'x'",
		// Views over the same tables, nested and joined.
		"SELECT id, owner, grp, val FROM p.my_items WHERE " + strings.ReplaceAll(where, "items.id", "my_items.id"),
		"SELECT owner, tag, name FROM p.item_tags WHERE id < " + strconv.Itoa(n(8)),
		"SELECT owner, n, total FROM p.owners",
		"SELECT v.owner, i.owner FROM p.my_items v JOIN p.items i ON i.id = v.id",
		"DELETE FROM p.tags WHERE item_id IN (SELECT id FROM p.my_items WHERE " + strings.ReplaceAll(where, "items.id", "my_items.id") + ")",
		"UPDATE p.items SET val = (SELECT count(*) FROM p.item_tags) WHERE id = " + strconv.Itoa(n(6)),
		fmt.Sprintf("UPDATE p.items SET val = val + %d WHERE %s", n(5), where),
		fmt.Sprintf("UPDATE p.items SET grp = (SELECT count(*) FROM p.tags) WHERE id = %d", n(6)),
		fmt.Sprintf("DELETE FROM p.tags WHERE item_id = %d", n(6)),
		"DELETE FROM p.items WHERE " + where,
		fmt.Sprintf("INSERT INTO p.items VALUES (%d, CURRENT_USER(), %d, %d)", 100+r.IntN(1000), r.IntN(3), n(100)),
		fmt.Sprintf("INSERT INTO p.tags (item_id, owner, tag) VALUES (%d, CURRENT_USER(), 't%d')", n(6), r.IntN(2)),
		"INSERT INTO p.events (owner, kind) VALUES (CURRENT_USER(), 'x')",
		"UPDATE p.events SET kind = 'y' WHERE kind = 'x'",
		fmt.Sprintf("INSERT INTO p.items (id, owner, grp, val) SELECT id + %d, owner, grp, val FROM p.items WHERE id < 3", 1000+r.IntN(100000)),
	}
	stmt := templates[r.IntN(len(templates))]
	switch r.IntN(5) {
	case 0: // a service or dba acting as a user
		a := actor{"svc", systable.RoleService}
		if r.IntN(2) == 0 {
			a = actor{"ops", systable.RoleDBA}
		}
		return a, u, fmt.Sprintf("EXECUTE AS USER '%s' (%s)", u, stmt)
	case 1: // a user trying to act as another: refused, and must change nothing
		other := users[r.IntN(len(users))]
		return actor{u, systable.RoleUser}, u, fmt.Sprintf("EXECUTE AS USER '%s' (%s)", other, stmt)
	}
	return actor{u, systable.RoleUser}, u, stmt
}

// checkOwners fails when a result column named owner holds another user.
func checkOwners(t *testing.T, seed int, stmt, effective string, res []executor.Result) {
	t.Helper()
	for _, r := range res {
		for i, c := range r.Schema {
			if c.Name != "owner" {
				continue
			}
			for _, row := range r.Rows {
				if v, ok := row[i].(string); ok && v != effective {
					t.Fatalf("seed %d: %s as %s returned a row of %s", seed, stmt, effective, v)
				}
			}
		}
	}
}

// partitionDigests hashes every user's stored rows of the given families,
// read directly from the store.
func partitionDigests(t *testing.T, db *kv.DB, families, users []string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(users))
	for _, u := range users {
		h := sha256.New()
		prefix := keyenc.AppendUserPrefix(nil, u)
		for _, f := range families {
			cf, ok := db.LookupColumnFamily(f)
			if !ok {
				t.Fatalf("family %s missing", f)
			}
			it, err := cf.NewIter(kv.PrefixOptions(prefix))
			if err != nil {
				t.Fatal(err)
			}
			for ok := it.First(); ok; ok = it.Next() {
				h.Write(it.Key())
				h.Write(it.Value())
			}
			if err := it.Close(); err != nil {
				t.Fatal(err)
			}
		}
		out[u] = fmt.Sprintf("%x", h.Sum(nil))
	}
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// propertyRounds is how many rounds of writes, flushes and checks a
// random property test runs: def in make test, the count of the
// environment variable name when set (make soak sets more). At least four,
// so that the rounds compactRound picks are distinct and each follows
// writes and a flush.
func propertyRounds(t *testing.T, name string, def int) int {
	t.Helper()
	rounds := max(envInt(name, def), 4)
	t.Logf("%d rounds (%s)", rounds, name)
	return rounds
}

// compactRound reports whether a property test of n rounds compacts
// after round r: two rounds, the second compacting the first's output
// with the files flushed since.
func compactRound(r, n int) bool { return r == n/2-1 || r == n-2 }
