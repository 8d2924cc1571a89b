package catalog

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func wantCode(t *testing.T, err error, code apierror.Code, msg string) {
	t.Helper()
	ae, ok := apierror.As(err)
	if !ok || ae.Code != code || !strings.Contains(ae.Message, msg) {
		t.Fatalf("got %v, want %s containing %q", err, code, msg)
	}
}

func testView(ns, name, def string) *systable.View {
	return &systable.View{NamespaceID: ns, ViewName: name, Definition: def, CreatedBy: "root",
		Columns: []systable.ViewColumn{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
}

func TestViewsShareTheTablesNameSpaceAndSurviveRestarts(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{})
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	tbl := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: "t"},
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
	if _, err := c.CreateTable(tbl, nil); err != nil {
		t.Fatal(err)
	}
	if created, err := c.CreateView(testView("app", "v", "SELECT id FROM app.t"), false, false); err != nil || !created {
		t.Fatalf("create view: %v %v", created, err)
	}
	_, err := c.CreateView(testView("app", "t", "SELECT 1"), false, false)
	wantCode(t, err, apierror.AlreadyExists, "app.t is a table")
	_, err = c.CreateView(testView("app", "v", "SELECT 2"), false, false)
	wantCode(t, err, apierror.AlreadyExists, "view app.v already exists")
	if created, err := c.CreateView(testView("app", "v", "SELECT 2"), false, true); err != nil || created {
		t.Fatalf("IF NOT EXISTS on an existing view: %v %v", created, err)
	}
	if v, _ := c.Snapshot().View("app", "v"); v.Definition != "SELECT id FROM app.t" {
		t.Fatalf("IF NOT EXISTS replaced the view: %q", v.Definition)
	}
	created := c.Snapshot()
	if created, err := c.CreateView(testView("app", "v", "SELECT id FROM app.t WHERE id > 1"), true, false); err != nil || !created {
		t.Fatalf("OR REPLACE: %v %v", created, err)
	}
	v, _ := c.Snapshot().View("app", "v")
	old, _ := created.View("app", "v")
	if v.Definition != "SELECT id FROM app.t WHERE id > 1" || !v.CreatedAt.Equal(old.CreatedAt) || old.Definition != "SELECT id FROM app.t" {
		t.Fatalf("after OR REPLACE: %+v (before: %+v)", v, old)
	}
	// A table cannot take a view's name, and table statements refuse views.
	_, err = c.CreateTable(&dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: "v"},
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}, nil)
	wantCode(t, err, apierror.AlreadyExists, "app.v is a view")
	_, _, err = c.DropTable("app", "v", "", true, nil)
	wantCode(t, err, apierror.InvalidSQL, "use DROP VIEW")
	_, err = c.AlterTable(&dialect.AlterTable{Table: dialect.TableName{Namespace: "app", Name: "v"}, Op: dialect.AlterDropColumn, ColumnName: "id"})
	wantCode(t, err, apierror.InvalidSQL, "app.v is a view")
	_, err = c.DropView("app", "t", true)
	wantCode(t, err, apierror.InvalidSQL, "is a table, not a view")

	db.Close()
	db, c = open(t, dir, Options{})
	defer db.Close()
	v, ok := c.Snapshot().View("app", "v")
	if !ok || v.Definition != "SELECT id FROM app.t WHERE id > 1" || len(v.Columns) != 1 || v.ViewID != "app:v" {
		t.Fatalf("view after restart: %+v", v)
	}
	if dropped, err := c.DropView("app", "v", false); err != nil || !dropped {
		t.Fatalf("drop: %v %v", dropped, err)
	}
	_, err = c.DropView("app", "v", false)
	wantCode(t, err, apierror.TableNotFound, "view app.v does not exist")
	if dropped, err := c.DropView("app", "v", true); err != nil || dropped {
		t.Fatalf("IF EXISTS: %v %v", dropped, err)
	}
}

func TestDropNamespaceCountsAndDropsViews(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{})
	defer db.Close()
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateView(testView("app", "v", "SELECT 1"), false, false); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := c.DropNamespace("app", false, false, nil, nil)
	wantCode(t, err, apierror.SQLExecutionError, "not empty (0 tables, 1 view)")
	if _, _, _, err := c.DropNamespace("app", false, true, nil, nil); err != nil {
		t.Fatal(err)
	}
	if c.Snapshot().HasViews() {
		t.Fatal("the namespace's view outlived it")
	}
	rows, err := c.views.ScanAll()
	if err != nil || len(rows) != 0 {
		t.Fatalf("system.views rows left: %v %v", rows, err)
	}
}

func TestSignatures(t *testing.T) {
	tbl := &Table{Meta: &systable.TableMeta{TableType: dialect.TableTypeUser}, Schema: &systable.TableSchema{Columns: []systable.ColumnSchema{
		{Name: "id", Type: dialect.DataType{Name: dialect.TypeBigInt}},
		{Name: "price", Type: dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 2}},
	}}}
	if got := TableSignature(tbl); got != "USER:id BIGINT,price DECIMAL(10,2)" {
		t.Fatalf("table signature %q", got)
	}
	if got := ViewSignature(testView("a", "v", "")); got != "VIEW:id INT" {
		t.Fatalf("view signature %q", got)
	}
}
