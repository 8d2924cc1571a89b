package catalog

import (
	"math/rand/v2"
	"path"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestTemplateRules(t *testing.T) {
	const okShared = "{namespace}/{tableName}"
	for _, c := range []struct{ user, shared, why string }{
		{"{namespace}/{tableName}{userId}", okShared, "whole path segment"},
		{"{namespace}/t_{tableName}/{userId}", okShared, "whole path segment"},
		{"{namespace}/{tableName}/{user}", okShared, "whole path segment"},
		{"", okShared, "must not be empty"},
		{"/srv/{namespace}/{tableName}/{userId}", okShared, "not start with '/'"},
		{"{namespace}//{tableName}/{userId}", okShared, "empty path segment"},
		{"{namespace}/{tableName}/{userId}/", okShared, "empty path segment"},
		{"{namespace}/../{tableName}/{userId}", okShared, "'..'"},
		{"{namespace}/./{tableName}/{userId}", okShared, "'..'"},
		{"{namespace}/{tableName}", okShared, "must contain {userId}"},
		{"{tableName}/{userId}", okShared, "must contain {namespace}"},
		{"{namespace}/{userId}", okShared, "must contain {tableName}"},
		{"{namespace}/{tableName}/{userId}/{userId}", okShared, "more than once"},
		{".hidden/{namespace}/{tableName}/{userId}", okShared, "must not start with '.'"},
		{"a b/{namespace}/{tableName}/{userId}", okShared, "not allowed"},
		{"a\\b/{namespace}/{tableName}/{userId}", okShared, "backslash"},
		{"{namespace}/{tableName}/{userId}", "{namespace}/{tableName}/{userId}", "no place in a SHARED"},
		{"{namespace}/{tableName}/{userId}", "{namespace}", "must contain {tableName}"},
		// A shared table shared.app's files would be where USER table
		// shared.app keeps user x's.
		{"{namespace}/{tableName}/{userId}", "shared/{namespace}/{tableName}", "same path segments"},
		{"{namespace}/{userId}/{tableName}", okShared, "same path segments"},
	} {
		_, _, err := CheckTemplates(c.user, c.shared)
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, c.why) {
			t.Errorf("templates %q, %q: got %v, want INVALID_INPUT about %q", c.user, c.shared, err, c.why)
		}
	}
	for _, c := range [][2]string{
		{defaultUserTablesTemplate, defaultSharedTablesTemplate},
		{"users/{namespace}/{tableName}/{userId}", "shared/{namespace}/{tableName}"},
		{"{namespace}/{tableName}/by-user/{userId}", "{namespace}/{tableName}/all"},
		{"{userId}/{namespace}/{tableName}", "all/{namespace}/{tableName}"},
		{"{namespace}/u/{tableName}/{userId}", "{namespace}/s/{tableName}"},
	} {
		if _, _, err := CheckTemplates(c[0], c[1]); err != nil {
			t.Errorf("templates %q, %q refused: %v", c[0], c[1], err)
		}
	}
}

// TestFinding9TemplateCollision shows why the checker refuses
// '{namespace}/{tableName}{userId}': table t of user bob and table tb of
// user ob would flush to the same directory.
func TestFinding9TemplateCollision(t *testing.T) {
	st := &systable.Storage{UserTablesTemplate: "{namespace}/{tableName}{userId}", SharedTablesTemplate: "{namespace}/{tableName}"}
	tbl := func(name string) *Table {
		return &Table{Meta: &systable.TableMeta{NamespaceID: "cns", TableName: name, TableType: dialect.TableTypeUser}}
	}
	if a, b := PartitionPath(st, tbl("t"), "bob"), PartitionPath(st, tbl("tb"), "ob"); a != b {
		t.Fatalf("the example does not collide: %s vs %s", a, b)
	}
	if _, _, err := CheckTemplates(st.UserTablesTemplate, st.SharedTablesTemplate); err == nil {
		t.Fatal("colliding template accepted")
	}
}

// Names for the property test: short and overlapping on purpose, so that
// a template that can collide does, with names the dialect and
// keyenc.ValidateUserID accept (and that equal literal segments).
var (
	propNamespaces = []string{"a", "b", "ab", "users", "shared", "s"}
	propTables     = []string{"a", "b", "t", "tb", "ab", "users", "all"}
	propUsers      = []string{"a", "b", "ob", "bob", "t", "users", "shared", "all", "u.1", "x@y"}
	propLiterals   = []string{"a", "b", "t", "users", "shared", "all", "s", "u", "x-1", "data.v1"}
	propPieces     = []string{PlaceholderNamespace, PlaceholderTable, PlaceholderUser}
)

// randomTemplate builds a template from placeholders and literals: half
// the time with the given placeholders each once as a whole segment, in
// random places, sometimes glued to a neighbour (as '{tableName}{userId}'
// is); otherwise 1-5 arbitrary pieces. Many break the rules, which is the
// point: the checker must refuse every one that can collide.
func randomTemplate(r *rand.Rand, placeholders ...string) string {
	var segs []string
	if r.IntN(2) == 0 {
		segs = make([]string, len(placeholders)+r.IntN(3))
		for i, at := range r.Perm(len(segs))[:len(placeholders)] {
			segs[at] = placeholders[i]
		}
		for i := range segs {
			if segs[i] == "" {
				segs[i] = propLiterals[r.IntN(len(propLiterals))]
			}
		}
		if r.IntN(5) == 0 && len(segs) > 1 {
			i := r.IntN(len(segs) - 1)
			segs = append(segs[:i], append([]string{segs[i] + segs[i+1]}, segs[i+2:]...)...)
		}
		return strings.Join(segs, "/")
	}
	segs = make([]string, 1+r.IntN(5))
	for i := range segs {
		switch k := r.IntN(10); {
		case k < 5:
			segs[i] = propPieces[r.IntN(len(propPieces))]
		case k < 9:
			segs[i] = propLiterals[r.IntN(len(propLiterals))]
		default:
			segs[i] = propPieces[r.IntN(len(propPieces))] + []string{"", "_x", PlaceholderUser}[r.IntN(3)]
		}
	}
	return strings.Join(segs, "/")
}

// sharedFrom derives a SHARED template from a USER one by dropping its
// {userId} segment (or replacing it with a literal), which keeps the other
// placeholders in place often enough to pass the checker.
func sharedFrom(r *rand.Rand, user string) string {
	var out []string
	for _, seg := range strings.Split(user, "/") {
		if seg == PlaceholderUser {
			if r.IntN(2) == 0 {
				continue
			}
			seg = propLiterals[r.IntN(len(propLiterals))]
		}
		out = append(out, seg)
	}
	return strings.Join(out, "/")
}

// TestTemplatesNeverCollide is the property behind the template rules:
// for every pair of templates the checker accepts, no two partitions of
// any tables (USER or SHARED, any namespaces, names and users) map to the
// same directory or to directories inside one another (files live
// directly in a partition's directory, so that keeps files apart too).
func TestTemplatesNeverCollide(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 14))
	accepted, refused := 0, 0
	for iter := 0; iter < 8000; iter++ {
		user := randomTemplate(r, PlaceholderNamespace, PlaceholderTable, PlaceholderUser)
		shared := randomTemplate(r, PlaceholderNamespace, PlaceholderTable)
		if r.IntN(2) == 0 {
			shared = sharedFrom(r, user)
		}
		if _, _, err := CheckTemplates(user, shared); err != nil {
			refused++
			continue
		}
		accepted++
		st := &systable.Storage{UserTablesTemplate: user, SharedTablesTemplate: shared}
		// Each (namespace, table) is one table of one type; try both
		// assignments of types so every pair meets across types.
		for flip := 0; flip < 2; flip++ {
			owner := map[string]string{} // directory -> partition
			var dirs []string
			add := func(dir, who string) {
				if prev, ok := owner[dir]; ok {
					t.Fatalf("templates %q, %q: %s and %s share %s", user, shared, prev, who, dir)
				}
				owner[dir] = who
				dirs = append(dirs, dir)
			}
			i := 0
			for _, ns := range propNamespaces {
				for _, tb := range propTables {
					i++
					typ := dialect.TableTypeShared
					if (i+flip)%2 == 0 {
						typ = dialect.TableTypeUser
					}
					tbl := &Table{Meta: &systable.TableMeta{NamespaceID: ns, TableName: tb, TableType: typ}}
					if typ == dialect.TableTypeShared {
						add(PartitionPath(st, tbl, ""), ns+"."+tb)
						continue
					}
					for _, u := range propUsers {
						add(PartitionPath(st, tbl, u), ns+"."+tb+"@"+u)
					}
				}
			}
			for _, d := range dirs {
				for p := path.Dir(d); p != "."; p = path.Dir(p) {
					if other, ok := owner[p]; ok {
						t.Fatalf("templates %q, %q: %s is inside %s's directory %s", user, shared, d, other, p)
					}
				}
			}
		}
	}
	// The generator must exercise both sides of the checker.
	if accepted < 500 || refused < 500 {
		t.Fatalf("accepted %d, refused %d: the generator needs rebalancing", accepted, refused)
	}
	t.Logf("accepted %d template pairs, refused %d", accepted, refused)
}

// TestLayoutDepths: a table owns its directories from the deeper of
// {namespace} and {tableName} down; a namespace from {namespace} down.
func TestLayoutDepths(t *testing.T) {
	u, s, err := CheckTemplates("users/{namespace}/{tableName}/{userId}", "shared/{namespace}/{tableName}")
	if err != nil {
		t.Fatal(err)
	}
	l := u.Layout("app", "msgs")
	if strings.Join(l.Segments, "/") != "users/app/msgs/{userId}" || l.TableDepth != 2 || l.NamespaceDepth != 1 {
		t.Fatalf("user layout: %+v", l)
	}
	l = s.Layout("app", "cfg")
	if strings.Join(l.Segments, "/") != "shared/app/cfg" || l.TableDepth != 2 || l.NamespaceDepth != 1 {
		t.Fatalf("shared layout: %+v", l)
	}
	u, _, err = CheckTemplates("{tableName}/{userId}/{namespace}", "{tableName}/x/{namespace}")
	if err != nil {
		t.Fatal(err)
	}
	if l := u.Layout("app", "msgs"); l.TableDepth != 2 || l.NamespaceDepth != 2 {
		t.Fatalf("a layout with the namespace last: %+v", l)
	}
}
