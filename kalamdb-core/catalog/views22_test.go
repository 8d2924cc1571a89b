package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// viewReadsOf is an Options.ViewReads that answers from a table of what
// each view's query names (the query engine's parser stands behind the
// real one); a view missing from it fails to parse.
func viewReadsOf(reads map[string][]string) func(v *systable.View) ([]systable.ViewDependency, error) {
	return func(v *systable.View) ([]systable.ViewDependency, error) {
		names, ok := reads[v.ViewID]
		if !ok {
			return nil, errors.New("syntax error")
		}
		var out []systable.ViewDependency
		for _, n := range names {
			ns, name, _ := strings.Cut(n, ".")
			out = append(out, systable.ViewDependency{NamespaceID: ns, Name: name})
		}
		return out, nil
	}
}

func depNames(v *systable.View) []string {
	var out []string
	for _, d := range v.Dependencies {
		out = append(out, d.NamespaceID+"."+d.Name+" "+d.Kind+" "+d.Signature)
	}
	return out
}

// A view stored with a list lacking what its query reads (as versions
// before 1547cb7 recorded it) is completed when the catalog opens, in
// its row too; one whose query does not parse is left as it is.
func TestViews22StoredListsAreCompletedAtOpen(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{})
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t", "secret"} {
		tbl := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: name},
			Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
		if _, err := c.CreateTable(tbl, nil); err != nil {
			t.Fatal(err)
		}
	}
	snap := c.Snapshot()
	tdep, _ := snap.dependency("app", "t")
	for _, v := range []*systable.View{testView("app", "v", "..."), testView("app", "broken", "...")} {
		v.Dependencies = []systable.ViewDependency{tdep}
		if _, err := c.CreateView(v, false, false); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	reads := viewReadsOf(map[string][]string{"app:v": {"app.t", "app.secret", "app.gone", "app.t", "system.users"}})
	db, c = open(t, dir, Options{ViewReads: reads})
	secret, _ := c.Snapshot().Table("app", "secret")
	want := "[app.t table " + tdep.Signature + " app.secret table " + TableSignature(secret) + " system.users table ]"
	v, _ := c.Snapshot().View("app", "v")
	if got := fmt.Sprint(depNames(v)); got != want {
		t.Fatalf("completed at open: %s, want %s", got, want)
	}
	if b, _ := c.Snapshot().View("app", "broken"); len(b.Dependencies) != 1 {
		t.Fatalf("a view that does not parse: %v", depNames(b))
	}
	db.Close()
	// The row was rewritten: opened without the hook, the list is whole.
	db, c = open(t, dir, Options{})
	defer db.Close()
	if v, _ := c.Snapshot().View("app", "v"); fmt.Sprint(depNames(v)) != want {
		t.Fatalf("stored: %v", depNames(v))
	}
}

// A restored view's list is completed among the tables and views restored
// with it.
func TestViews22RestoredListsAreCompleted(t *testing.T) {
	_, c := open(t, t.TempDir(), Options{ViewReads: viewReadsOf(map[string][]string{
		"app:a": {"app.b", "system.users"}, "app:b": {}})})
	p, err := c.PlanUsers(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	release, err := c.ReserveNamespace("app")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	a, b := testView("app", "a", "..."), testView("app", "b", "...")
	a.ViewID, b.ViewID = "app:a", "app:b"
	if _, err := c.RestoreNamespace(&NamespaceRestore{Namespace: &systable.Namespace{NamespaceID: "app"}, Users: p,
		Views: []*systable.View{a, b}, Work: func(*kv.Batch) (func(bool), error) { return func(bool) {}, nil }}); err != nil {
		t.Fatal(err)
	}
	got, _ := c.Snapshot().View("app", "a")
	if want := "[app.b view " + ViewSignature(b) + " system.users table ]"; fmt.Sprint(depNames(got)) != want {
		t.Fatalf("restored: %v, want %s", depNames(got), want)
	}
}
