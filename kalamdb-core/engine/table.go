package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// tableShape is a table as the query engine sees it, for every session:
// the stored-row decoding shared with the tiers (tables.Table), plus the
// engine schema and primary-key index. It is built once per table version.
type tableShape struct {
	*tables.Table
	sch   sql.Schema
	index *pkIndex
	// secondary are the ready secondary indexes (see index.go).
	secondary []*secIndex
	// dateTime holds the lower-cased names of the DATETIME columns (nil
	// when there are none): the planner asks about every column of every
	// table it reads, and a search of the columns per column cost the
	// square of a wide table's width.
	dateTime map[string]bool
}

// tableFactory builds and caches table shapes and opens per-session tables.
type tableFactory struct {
	e      *Engine
	mu     sync.Mutex
	shapes map[string]*tableShape // by table id
}

func newTableFactory(e *Engine) *tableFactory {
	return &tableFactory{e: e, shapes: make(map[string]*tableShape)}
}

func (f *tableFactory) forget(t *catalog.Table) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.shapes[t.Meta.TableID]; ok && f.e.rows != nil {
		f.e.rows.forget(s.CF.Name())
	}
	delete(f.shapes, t.Meta.TableID)
	f.e.tables.Forget(t)
}

// shape returns the cached shape of t, rebuilding it when the catalog holds
// a newer version of the table (an ALTER or a drop and re-create).
func (f *tableFactory) shape(t *catalog.Table) (*tableShape, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.shapes[t.Meta.TableID]; ok && s.Table.Table == t {
		return s, nil
	}
	tt, err := f.e.tables.Get(t)
	if err != nil {
		return nil, err
	}
	s := buildShape(tt)
	f.shapes[t.Meta.TableID] = s
	return s, nil
}

func buildShape(t *tables.Table) *tableShape {
	s := &tableShape{Table: t}
	ns, name := t.Meta.NamespaceID, t.Meta.TableName
	for _, c := range t.Schema.Columns {
		col := &sql.Column{Name: c.Name, Type: schema.MustEngineType(c.Type), Nullable: c.Nullable,
			Source: name, DatabaseSource: ns, PrimaryKey: c.PrimaryKey}
		// A NOT NULL column's DEFAULT NULL is left to the engine as no
		// DEFAULT, so an INSERT without the column fails as PostgreSQL's
		// does, on the not-null constraint.
		if c.Default != nil && (c.Nullable || !c.Default.IsNull()) {
			col.Default = sql.NewUnresolvedColumnDefaultValue(defaultSQL(c.Type, c.Default))
		}
		s.sch = append(s.sch, col)
		if c.Type.Name == dialect.TypeDateTime {
			if s.dateTime == nil {
				s.dateTime = map[string]bool{}
			}
			s.dateTime[strings.ToLower(c.Name)] = true
		}
	}
	// System columns are nullable in the engine schema only so that an
	// INSERT need not (and may not) supply them; every stored row has them.
	s.sch = append(s.sch, &sql.Column{Name: schema.SeqColumn, Type: types.Int64, Nullable: true, Source: name, DatabaseSource: ns})
	if !t.IsStream() {
		s.sch = append(s.sch, &sql.Column{Name: schema.DeletedColumn, Type: types.Boolean, Nullable: true, Source: name, DatabaseSource: ns})
	}
	// Every statement shares the schema, and go-mysql-server's join
	// appends its right side's columns to its left side's schema: room to
	// spare would let concurrent joins write into the shared array.
	s.sch = slices.Clip(s.sch)
	// A stream's keys are ordered by event time, not by its declared
	// primary key, so the key cannot serve lookups; its filter does.
	if t.PK >= 0 && !t.IsStream() {
		s.index = &pkIndex{db: ns, table: name, col: t.Schema.Columns[t.PK].Name, typ: plannerType(s.sch[t.PK].Type)}
	}
	s.secondary = buildSecondary(s)
	return s
}

// defaultSQL renders a DEFAULT as an engine expression. Function defaults
// are parenthesised, as the engine's MySQL grammar requires; NOW() becomes
// NOW(6): TIMESTAMP keeps microseconds, and MySQL's NOW() has none.
func defaultSQL(dt dialect.DataType, d *dialect.DefaultExpr) string {
	if d.Kind == dialect.DefaultFunction {
		switch d.Function {
		case "NOW":
			if dt.Name == dialect.TypeDate {
				return "(CURRENT_DATE())"
			}
			return "(NOW(6))"
		default:
			return "(" + d.Function + "())"
		}
	}
	switch v := d.Literal.(type) {
	case nil:
		return "NULL"
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case decimal.Decimal:
		return numericDefaultSQL(dt, v)
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return "NULL"
}

// numericDefaultSQL renders a numeric DEFAULT as the value it gives
// its column, which the engine's literal of it then reads exactly: the
// engine's decimal literals hold at most 65 digits, 30 after the point,
// and a numeric's may have more than its column keeps.
func numericDefaultSQL(dt dialect.DataType, v decimal.Decimal) string {
	n, err := row.Normalize(dt, row.DefaultLiteral(dt, v))
	if err != nil {
		// Refused when the table was created; the engine's own error.
		return dialect.NumericText(v)
	}
	switch x := n.(type) {
	case decimal.Decimal:
		return dialect.NumericText(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	return fmt.Sprint(n)
}

// open builds the table a session sees.
func (f *tableFactory) open(sess *Session, t *catalog.Table) (sql.Table, error) {
	if err := authz.ReadTable(sess.Role, t.Meta); err != nil {
		return nil, err
	}
	s, err := f.shape(t)
	if err != nil {
		return nil, err
	}
	dt := &dataTable{e: f.e, shape: s, sess: sess}
	if s.PerUser() {
		if err := keyenc.ValidateUserID(sess.UserID); err != nil {
			return nil, fmt.Errorf("partition of %q: %w", sess.UserID, err)
		}
		dt.prefix = s.PartitionPrefix(sess.UserID)
		dt.owner = sess.UserID
	}
	return dt, nil
}
