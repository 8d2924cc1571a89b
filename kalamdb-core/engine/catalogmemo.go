package engine

import (
	"io"
	"slices"
	"sync"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// catalogMemo is one statement's reading of the catalog for the virtual
// schemas: the listing of what its effective user may see (listCatalog)
// and the rows each virtual table built from it. A join or a correlated
// subquery over information_schema scans a virtual table once per outer
// row; every scan but the first reads the memo. So a statement lists the
// catalog once, sees one version of it throughout (DDL committed
// meanwhile shows in the next statement, as rows committed meanwhile
// do), and holds the listing and one copy of each virtual table's rows,
// all proportional to the catalog, which is in memory anyway, and charged
// to the statement's budget until it ends: a catalog too large for the
// budget fails the statement with RESOURCE_LIMIT_EXCEEDED. It lives in
// the statement's Session and is dropped when the statement ends
// (Session.endStatement); nothing is kept across statements.
type catalogMemo struct {
	mu sync.Mutex
	// role is the one listing was made for: a statement runs as one
	// effective user, but a memo made for another role is never read.
	role    systable.Role
	listing *catalogListing
	rows    map[*virtualTableDef][]sql.Row
}

// rowsOf returns t's rows for the session's effective user, listing the
// catalog and building them on the statement's first scan of t.
func (m *catalogMemo) rowsOf(sess *Session, t *virtualTable) ([]sql.Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listing == nil || m.role != sess.Role {
		l := t.s.p.listCatalog(sess.Role)
		if err := sess.budget.hold("the catalog listing", l.size()); err != nil {
			return nil, err
		}
		m.role, m.listing, m.rows = sess.Role, l, nil
	}
	if rows, ok := m.rows[t.def]; ok {
		return rows, nil
	}
	listed := t.def.rows(m.listing)
	rows := make([]sql.Row, len(listed))
	var size int64
	for i, r := range listed {
		row := make(sql.Row, len(t.def.cols))
		for j, c := range t.def.cols {
			row[j] = systemValue(r[c.name])
		}
		rows[i] = row
		size += rowSize(row)
	}
	if err := sess.budget.hold(t.String(), size); err != nil {
		return nil, err
	}
	if m.rows == nil {
		m.rows = make(map[*virtualTableDef][]sql.Row)
	}
	m.rows[t.def] = rows
	return rows, nil
}

// reset drops the memo; the budget it was charged to is the statement's,
// which ends with it.
func (m *catalogMemo) reset() {
	m.mu.Lock()
	m.role, m.listing, m.rows = "", nil, nil
	m.mu.Unlock()
}

// size is about the memory the listing holds beyond the catalog it
// points into (names, tables and views are the catalog's own).
func (l *catalogListing) size() int64 {
	n := int64(len(l.schemas)) * int64(unsafe.Sizeof(""))
	for _, r := range l.relations {
		n += int64(unsafe.Sizeof(r)) + int64(len(r.cols))*int64(unsafe.Sizeof(relationColumn{}))
	}
	return n
}

// memoIter returns copies of a memo's rows: the engine's operators own
// the rows a scan gives them, and the memo's serve the statement's
// other scans.
type memoIter struct {
	rows []sql.Row
	i    int
}

func (it *memoIter) Next(*sql.Context) (sql.Row, error) {
	if it.i >= len(it.rows) {
		return nil, io.EOF
	}
	it.i++
	return slices.Clone(it.rows[it.i-1]), nil
}

func (it *memoIter) Close(*sql.Context) error {
	it.rows = nil
	return nil
}
