package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A view stored by a version whose CREATE VIEW missed a table read only
// in a WINDOW clause (before 1547cb7) has an incomplete list of what it
// reads. That list decides who is shown the view: alice, who may not read
// app.secrets, was shown app.win in information_schema and SHOW TABLES and
// could DESCRIBE it, and app.win stayed valid whatever became of
// app.secrets. The catalog completes such a list when it opens, so the
// view is shown to those who may read every table it reads, and a change
// of app.secrets' columns from then on asks for the view to be
// re-created.
func TestViews22StoredIncompleteDependencies(t *testing.T) {
	e := viewsEnv(t)
	e.root().must(`CREATE VIEW app.win AS SELECT key FROM app.config WINDOW w AS (PARTITION BY (SELECT max(key) FROM app.secrets));
		CREATE VIEW app.over_win AS SELECT key FROM app.win`)
	rewriteSystemRow(t, e, systable.Views, "app:win", func(v *systable.View) {
		var kept []systable.ViewDependency
		for _, d := range v.Dependencies {
			if d.Name != "secrets" {
				kept = append(kept, d)
			}
		}
		if len(kept) != 1 {
			t.Fatalf("dependencies of app.win: %+v", v.Dependencies)
		}
		v.Dependencies = kept
	})

	root, alice := e.root(), e.user("alice")
	if got := root.rows(`SELECT view_name, dependencies FROM system.views WHERE view_name = 'win'`); !strings.Contains(got, `secrets`) {
		t.Errorf("system.views after the start: %s", got)
	}
	if got := alice.rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' AND table_type = 'VIEW'`); got != `null` && got != `[]` {
		t.Errorf("alice is shown views %s", got)
	}
	if got := alice.rows(`SHOW TABLES IN app`); strings.Contains(got, "win") {
		t.Errorf("SHOW TABLES shows alice %s", got)
	}
	for _, q := range []string{`SELECT * FROM app.win`, `DESCRIBE TABLE app.win`, `DESCRIBE TABLE app.over_win`} {
		alice.fails(apierror.PermissionDenied, q)
	}
	svc := e.user("svc")
	if got := svc.rows(`SELECT * FROM app.over_win`); got != `[["theme"]]` {
		t.Errorf("the service reads the views: %s", got)
	}
	// Validity: app.secrets is now one of what app.win was planned over.
	root.must(`ALTER TABLE app.secrets ADD COLUMN extra INT`)
	if ae := svc.fails(apierror.SQLExecutionError, `SELECT * FROM app.win`); !strings.Contains(ae.Message, "app.secrets") {
		t.Errorf("after app.secrets changed: %s", ae.Message)
	}
}
