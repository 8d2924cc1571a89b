package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// windowTable is a database with a shared table app.t of three rows and
// a view app.v of a window over it.
func windowTable(t *testing.T) *database.Database {
	db := openDatabase(t)
	if _, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, g INT, x INT, f DOUBLE, d DECIMAL(10,2), s TEXT, b BOOLEAN, at TIMESTAMP);
		INSERT INTO app.t VALUES (1, 1, 10, 1.5, 1.25, 'a', true, '2026-01-01'), (2, 1, 20, 2.5, 2.50, 'b', false, '2026-01-02'),
			(3, 2, 20, NULL, NULL, NULL, NULL, NULL);
		CREATE VIEW app.v AS SELECT id, sum(x) OVER (ORDER BY id) AS run FROM app.t`}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestCumeDistIgnoresTheFrame: cume_dist() is the share of the
// partition's rows up to the row's last peer, whatever the window's frame
// (as rank's); KalamDB counted the rows of the frame instead, so a ROWS
// frame changed the answer and one excluding the current row divided by
// zero, and RANGE or GROUPS with an offset was refused.
func TestCumeDistIgnoresTheFrame(t *testing.T) {
	db := windowTable(t)
	for _, over := range []string{
		"ORDER BY x",
		"ORDER BY x ROWS BETWEEN CURRENT ROW AND CURRENT ROW",
		"ORDER BY x ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW",
		"ORDER BY x RANGE BETWEEN 5 PRECEDING AND 10 FOLLOWING EXCLUDE TIES",
		"ORDER BY x GROUPS 1 PRECEDING EXCLUDE GROUP",
		"w ROWS 1 PRECEDING",
	} {
		text := "SELECT id, cume_dist() OVER (" + over + ") FROM app.t WINDOW w AS (ORDER BY x) ORDER BY id"
		res, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: text})
		if err != nil {
			t.Errorf("OVER (%s): %v", over, err)
			continue
		}
		if got := fmt.Sprint(res[0].Rows); got != "[[1 0.3333333333333333] [2 1] [3 1]]" {
			t.Errorf("OVER (%s): %s", over, got)
		}
	}
	// The frame is still checked, as PostgreSQL does.
	_, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem,
		SQL: "SELECT cume_dist() OVER (ORDER BY x, id RANGE 1 PRECEDING) FROM app.t"})
	if !apierror.Is(err, apierror.InvalidSQL) || !strings.Contains(err.Error(), "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column") {
		t.Errorf("RANGE offset over two keys: %v", err)
	}
}
