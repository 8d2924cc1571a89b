package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// schemaCounter is a set operation's side that counts how often its
// schema is built.
type schemaCounter struct {
	sch   sql.Schema
	calls int
}

func (n *schemaCounter) Resolved() bool                             { return true }
func (n *schemaCounter) String() string                             { return "counter" }
func (n *schemaCounter) Schema() sql.Schema                         { n.calls++; return n.sch }
func (n *schemaCounter) Children() []sql.Node                       { return nil }
func (n *schemaCounter) WithChildren(...sql.Node) (sql.Node, error) { return n, nil }
func (n *schemaCounter) IsReadOnly() bool                           { return true }

// The sides of a set operation were asked for their whole schema once per
// column, and building a projection's schema looks up every column's
// default through its child: a UNION of two SELECT * over 1600 columns
// planned for 10 s. Each side's schema is now built a fixed number of
// times, whatever its width. (Before, once per column and more.)
func TestSetOpWidth24SchemaBuiltOncePerSide(t *testing.T) {
	side := func() *schemaCounter {
		n := &schemaCounter{}
		for range 100 {
			n.sch = append(n.sch, &sql.Column{Name: "c", Type: types.Int64, Nullable: true})
		}
		return n
	}
	l, r := side(), side()
	if _, _, err := setOpNumbers(plan.NewSetOp(plan.UnionType, l, r, false, nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if l.calls > 2 || r.calls > 2 {
		t.Fatalf("schemas built %d and %d times for 100 columns", l.calls, r.calls)
	}
	l.calls, r.calls = 0, 0
	if err := recursiveNumbers(plan.NewRecursiveCte(l, r, "r", nil, false, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if l.calls > 2 || r.calls > 2 {
		t.Fatalf("recursive: schemas built %d and %d times for 100 columns", l.calls, r.calls)
	}
}
