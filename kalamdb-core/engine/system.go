package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// systemDatabase is the read-only `system` database; who reads which of
// its tables and rows is authz.SystemTable's decision.
type systemDatabase struct {
	tables []systable.SQLTable
}

var _ sql.Database = (*systemDatabase)(nil)

func (*systemDatabase) Name() string { return catalog.SystemNamespace }

func (d *systemDatabase) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	sess, err := sessionOf(ctx)
	if err != nil {
		return nil, false, err
	}
	name = strings.ToLower(name)
	for _, t := range d.tables {
		if t.Name() != name {
			continue
		}
		ownRowOnly, err := authz.SystemTable(sess.Role, name)
		if err != nil {
			return nil, false, err
		}
		st := &systemTable{src: t, sch: systemSchema(t)}
		if ownRowOnly {
			st.onlyUser = sess.UserID
		}
		return st, true, nil
	}
	return nil, false, nil
}

func (d *systemDatabase) GetTableNames(ctx *sql.Context) ([]string, error) {
	sess, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range d.tables {
		if authz.ListsSystemTable(sess.Role, t.Name()) {
			names = append(names, t.Name())
		}
	}
	return names, nil
}

func (*systemDatabase) IsReadOnly() bool { return true }

func systemSchema(t systable.SQLTable) sql.Schema {
	cols := t.Columns()
	sch := make(sql.Schema, len(cols))
	for i, c := range cols {
		sch[i] = &sql.Column{Name: c.Name, Type: schema.MustEngineType(dialect.DataType{Name: c.Type}),
			Nullable: true, Source: t.Name(), DatabaseSource: catalog.SystemNamespace}
	}
	return sch
}

// systemTable exposes any system table to the engine through the one
// type-erased SQLTable interface.
type systemTable struct {
	src systable.SQLTable
	sch sql.Schema
	// onlyUser, when set, restricts system.users to that user's row.
	onlyUser string
}

var _ sql.Table = (*systemTable)(nil)

func (t *systemTable) Name() string               { return t.src.Name() }
func (t *systemTable) String() string             { return "system." + t.src.Name() }
func (t *systemTable) Schema() sql.Schema         { return t.sch }
func (t *systemTable) Collation() sql.CollationID { return sql.Collation_Default }
func (t *systemTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(singlePartition{}), nil
}

func (t *systemTable) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	raw, err := t.src.Rows()
	if err != nil {
		return nil, fmt.Errorf("read system.%s: %w", t.src.Name(), err)
	}
	rows := make([]sql.Row, 0, len(raw))
	var size int64
	for _, r := range raw {
		if t.onlyUser != "" && r[0] != t.onlyUser {
			continue
		}
		row := make(sql.Row, len(r))
		for i, v := range r {
			row[i] = systemValue(v)
		}
		rows = append(rows, row)
		size += rowSize(row)
	}
	return heldRows(ctx, t.String(), rows, size)
}

// heldRows iterates the rows a scan of table name built in memory. They
// are held until the scan is closed, like a sort's: size bytes charged to
// the statement's budget and the server's memory account, and given back
// on Close (a subquery may scan the table once per row).
func heldRows(ctx *sql.Context, name string, rows []sql.Row, size int64) (sql.RowIter, error) {
	it := &sliceIter{rows: rows}
	if sess, err := sessionOf(ctx); err == nil {
		if err := sess.budget.hold(name, size); err != nil {
			return nil, err
		}
		it.budget, it.held = &sess.budget, size
	}
	return it, nil
}

// systemValue converts a system model value to the engine's representation
// of its column type.
func systemValue(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int8(1)
		}
		return int8(0)
	case time.Time:
		return x.UTC()
	case json.RawMessage:
		var doc any
		if err := json.Unmarshal(x, &doc); err != nil {
			return nil
		}
		return types.JSONDocument{Val: doc}
	}
	return v
}

type singlePartition struct{}

func (singlePartition) Key() []byte { return []byte("all") }

// sliceIter iterates rows held in memory; held bytes of them are charged
// to budget until Close.
type sliceIter struct {
	rows   []sql.Row
	i      int
	budget *memoryBudget
	held   int64
}

func (it *sliceIter) Next(*sql.Context) (sql.Row, error) {
	if it.i >= len(it.rows) {
		return nil, io.EOF
	}
	it.i++
	return it.rows[it.i-1], nil
}

func (it *sliceIter) Close(*sql.Context) error {
	if it.budget != nil {
		it.budget.giveBack(it.held)
		it.budget, it.held, it.rows = nil, 0, nil
	}
	return nil
}
