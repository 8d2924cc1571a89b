package engine

import (
	"fmt"
	"sort"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// ViewReads finds every table a view's query names, wherever it is (the
// places CREATE VIEW missed before 1547cb7 among them), names without a
// namespace in the view's, and not its WITH queries.
func TestViews22ViewReadsFindsEveryTable(t *testing.T) {
	reads := ViewReads(Limits{})
	for _, c := range []struct{ sql, want string }{
		{`SELECT key FROM config WINDOW w AS (PARTITION BY (SELECT max(key) FROM app.secrets))`, `[app.config app.secrets]`},
		{`WITH c AS (SELECT key FROM secrets) SELECT key FROM c UNION SELECT key FROM other.t`, `[app.secrets other.t]`},
		{`SELECT * FROM (WITH c AS (SELECT a FROM s1) SELECT a FROM c UNION SELECT a FROM s2) d`, `[app.s1 app.s2]`},
		{`SELECT * FROM (SELECT a FROM x JOIN y ON x.a = y.a) d WHERE EXISTS (SELECT 1 FROM system.users)`, `[app.x app.y system.users]`},
	} {
		deps, err := reads(&systable.View{NamespaceID: "app", Definition: c.sql})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		var names []string
		for _, d := range deps {
			names = append(names, d.NamespaceID+"."+d.Name)
		}
		sort.Strings(names)
		if got := fmt.Sprint(names); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
	if _, err := reads(&systable.View{NamespaceID: "app", Definition: `SELECT FROM WHERE`}); err == nil {
		t.Error("a query that does not parse: no error")
	}
}
