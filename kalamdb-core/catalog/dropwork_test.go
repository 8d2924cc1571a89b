package catalog

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// dropWorkRig counts what a catalog tells the works of its drops.
type dropWorkRig struct {
	t *testing.T
	c *Catalog
	// told is, in order, "<name> committed" or "<name> failed" for every
	// call of a work's after-function.
	told []string
	// fail, when it names a table or a namespace, makes its work fail.
	fail string
}

func newDropWorkRig(t *testing.T, tables ...string) *dropWorkRig {
	db, c := open(t, t.TempDir(), Options{})
	t.Cleanup(func() { _ = db.Close() })
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	for _, name := range tables {
		st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: name},
			Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
		if _, err := c.CreateTable(st, nil); err != nil {
			t.Fatal(err)
		}
	}
	return &dropWorkRig{t: t, c: c}
}

var errWork = errors.New("work refused")

func (r *dropWorkRig) after(name string) func(bool) {
	return func(committed bool) {
		r.told = append(r.told, fmt.Sprintf("%s %s", name, map[bool]string{true: "committed", false: "failed"}[committed]))
	}
}

func (r *dropWorkRig) tableWork(_ *kv.Batch, t *Table) (func(bool), error) {
	if t.Meta.TableName == r.fail {
		return nil, errWork
	}
	return r.after(t.Meta.TableName), nil
}

func (r *dropWorkRig) nsWork(_ *kv.Batch, ns string) (func(bool), error) {
	if ns == r.fail {
		return nil, errWork
	}
	return r.after(ns), nil
}

func (r *dropWorkRig) toldd(what string, want ...string) {
	r.t.Helper()
	if !slices.Equal(r.told, want) {
		r.t.Fatalf("%s: told %q, want %q", what, r.told, want)
	}
	r.told = nil
}

var errDisk = errors.New("disk failed")

// TestDropTableTellsItsWorkTheOutcome: the work's after-function runs
// once, told false, when the batch fails (and before DropTable returns),
// and told true when the caller runs the steps of a committed drop.
func TestDropTableTellsItsWorkTheOutcome(t *testing.T) {
	r := newDropWorkRig(t, "t")
	r.c.seams.write = func(*kv.Batch) error { return errDisk }
	dropped, after, err := r.c.DropTable("app", "t", "", false, r.tableWork)
	if !errors.Is(err, errDisk) || dropped != nil || after != nil {
		t.Fatalf("failed batch: %v %v %v", dropped, after != nil, err)
	}
	r.toldd("failed batch", "t failed")
	if _, ok := r.c.Snapshot().Table("app", "t"); !ok {
		t.Fatal("the failed drop dropped the table")
	}
	r.c.seams.write = nil
	dropped, after, err = r.c.DropTable("app", "t", "", false, r.tableWork)
	if err != nil || dropped == nil || after == nil {
		t.Fatalf("drop: %v %v %v", dropped, after != nil, err)
	}
	r.toldd("before the caller runs the steps")
	after()
	r.toldd("committed", "t committed")
}

// TestDropNamespaceTellsEveryWorkTheOutcome: when a later table's work,
// the namespace's work or the batch fails, every work that ran before is
// told false once; when the batch commits, every work is told true.
func TestDropNamespaceTellsEveryWorkTheOutcome(t *testing.T) {
	r := newDropWorkRig(t, "a", "b", "c")
	for _, tc := range []struct {
		fail string
		disk bool
		want error
		told []string
	}{
		{fail: "a", want: errWork},
		{fail: "c", want: errWork, told: []string{"a failed", "b failed"}},
		{fail: "app", want: errWork, told: []string{"a failed", "b failed", "c failed"}},
		{disk: true, want: errDisk, told: []string{"a failed", "b failed", "c failed", "app failed"}},
	} {
		r.fail = tc.fail
		r.c.seams.write = nil
		if tc.disk {
			r.c.seams.write = func(*kv.Batch) error { return errDisk }
		}
		tables, existed, after, err := r.c.DropNamespace("app", false, true, r.tableWork, r.nsWork)
		if !errors.Is(err, tc.want) || tables != nil || !existed || after != nil {
			t.Fatalf("fail %q disk %v: %v %v %v %v", tc.fail, tc.disk, tables, existed, after != nil, err)
		}
		r.toldd(fmt.Sprintf("fail %q disk %v", tc.fail, tc.disk), tc.told...)
		if got := len(r.c.Snapshot().Tables("app")); got != 3 {
			t.Fatalf("fail %q disk %v: %d tables left", tc.fail, tc.disk, got)
		}
	}
	r.fail = ""
	r.c.seams.write = nil
	tables, _, after, err := r.c.DropNamespace("app", false, true, r.tableWork, r.nsWork)
	if err != nil || len(tables) != 3 || after == nil {
		t.Fatalf("drop: %v %v %v", tables, after != nil, err)
	}
	r.toldd("before the caller runs the steps")
	after()
	r.toldd("committed", "a committed", "b committed", "c committed", "app committed")
}
