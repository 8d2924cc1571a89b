package dialect

// MaxIndexColumns bounds the columns of one secondary index: every entry
// key holds one value per column, and the planner builds up to two key
// ranges per column of a lookup.
const MaxIndexColumns = 8

// CreateIndex is CREATE INDEX [IF NOT EXISTS] name ON [ns.]t (col, ...).
// Index names are unique per namespace, as in PostgreSQL.
type CreateIndex struct {
	base
	Name        string
	IfNotExists bool
	Table       TableName
	Columns     []string
}

func (*CreateIndex) Kind() Kind { return KindCreateIndex }

// DropIndex is DROP INDEX [IF EXISTS] [ns.]name.
type DropIndex struct {
	base
	// Namespace is empty when the name is not qualified: the session's
	// current namespace.
	Namespace string
	Name      string
	IfExists  bool
}

func (*DropIndex) Kind() Kind { return KindDropIndex }

// ShowIndexes is SHOW INDEXES [FROM|IN [ns.]t]; Table is nil without a
// table (the indexes of the current namespace, or of every namespace).
type ShowIndexes struct {
	base
	Table *TableName
}

func (*ShowIndexes) Kind() Kind { return KindShowIndexes }

// unsupportedIndex refuses the index forms of PostgreSQL and MySQL that
// KalamDB does not have, naming the word at t.
func (p *parser) unsupportedIndex(t token) error {
	return p.errAt(t.pos, "%s indexes are not supported: an index here is an ordered, non-unique index on columns (CREATE INDEX name ON ns.t (col, ...))",
		asciiUpper(p.raw(t)))
}

// parseCreateIndex parses CREATE INDEX at the INDEX keyword.
//
//	CREATE INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ns.]t [USING btree]
//	  (col [ASC] [NULLS LAST], ...)
//
// CONCURRENTLY is accepted and changes nothing: every index is built
// without blocking writes. Entries are stored ascending with NULLs last
// (PostgreSQL's default order) and read backwards for DESC, so other
// orders are refused rather than ignored.
func (p *parser) parseCreateIndex() (Statement, error) {
	p.i++ // INDEX
	st := &CreateIndex{base: base{p.stmtText}}
	p.acceptKeyword("CONCURRENTLY")
	var err error
	if st.IfNotExists, err = p.acceptIfNotExists(); err != nil {
		return nil, err
	}
	if t := p.peek(); p.isKeyword(t, "ON") {
		return nil, p.errAt(t.pos, "an index needs a name: CREATE INDEX name ON ns.t (col, ...)")
	}
	if st.Name, err = p.indexName(); err != nil {
		return nil, err
	}
	if t := p.peek(); p.isPunct(t, ".") {
		return nil, p.errAt(t.pos, "an index name is not qualified: the index lives in its table's namespace")
	}
	if err := p.expectKeyword("ON"); err != nil {
		return nil, err
	}
	if t := p.peek(); p.isKeyword(t, "ONLY") {
		p.i++
	}
	if st.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	if p.acceptKeyword("USING") {
		m, t, err := p.ident("index method")
		if err != nil {
			return nil, err
		}
		if m != "btree" {
			return nil, p.errAt(t.pos, "index method %s is not supported: indexes are ordered (btree)", snippet(p.raw(t)))
		}
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	for {
		t := p.peek()
		if p.isPunct(t, "(") {
			return nil, p.errAt(t.pos, "indexes on expressions are not supported: index columns")
		}
		col, _, err := p.ident("column name")
		if err != nil {
			return nil, err
		}
		if len(col) > 0 && col[0] == '_' {
			return nil, p.errAt(t.pos, "system column %s cannot be indexed", snippet(col))
		}
		if err := p.checkName(nameColumn, col, t); err != nil {
			return nil, err
		}
		if err := p.indexColumnOrder(); err != nil {
			return nil, err
		}
		// PostgreSQL accepts a column named twice; its second place orders
		// nothing (entries with equal values before it have equal values
		// there too), so it is indexed once.
		if !seen[col] {
			seen[col] = true
			if len(st.Columns) == MaxIndexColumns {
				return nil, p.errAt(t.pos, "an index has at most %d columns", MaxIndexColumns)
			}
			st.Columns = append(st.Columns, col)
		}
		if p.acceptPunct(",") {
			continue
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		break
	}
	if t := p.peek(); t.kind == TokWord {
		switch asciiUpper(p.raw(t)) {
		case "INCLUDE", "WHERE", "WITH", "TABLESPACE", "NULLS":
			return nil, p.errAt(t.pos, "CREATE INDEX ... %s is not supported", asciiUpper(p.raw(t)))
		}
	}
	return st, p.expectEnd()
}

// indexColumnOrder accepts the order an index column is stored in
// (ASC, NULLS LAST) and refuses the others.
func (p *parser) indexColumnOrder() error {
	for {
		t := p.peek()
		switch {
		case p.isKeyword(t, "ASC"):
			p.i++
		case p.isKeyword(t, "DESC"):
			return p.errAt(t.pos, "descending index columns are not supported: an index is read backwards for ORDER BY ... DESC")
		case p.isKeyword(t, "NULLS"):
			p.i++
			if p.acceptKeyword("LAST") {
				continue
			}
			if n := p.peek(); p.isKeyword(n, "FIRST") {
				return p.errAt(n.pos, "NULLS FIRST index columns are not supported: indexes keep NULLs last, as PostgreSQL's default order does")
			}
			return p.syntaxError(p.peek(), "LAST")
		case p.isKeyword(t, "COLLATE"):
			return p.errAt(t.pos, "COLLATE is not supported: text compares by code point")
		default:
			return nil
		}
	}
}

// indexName parses an index name.
func (p *parser) indexName() (string, error) {
	v, t, err := p.ident("index name")
	if err != nil {
		return "", err
	}
	if err := p.checkName(nameIndex, v, t); err != nil {
		return "", err
	}
	if v == "primary" {
		return "", p.errAt(t.pos, "PRIMARY is the primary key's name; choose another index name")
	}
	return v, nil
}

// parseDropIndex parses DROP INDEX after INDEX.
//
//	DROP INDEX [CONCURRENTLY] [IF EXISTS] [ns.]name
func (p *parser) parseDropIndex() (Statement, error) {
	st := &DropIndex{base: base{p.stmtText}}
	p.acceptKeyword("CONCURRENTLY")
	var err error
	if st.IfExists, err = p.acceptIfExists(); err != nil {
		return nil, err
	}
	first, firstTok, err := p.ident("index name")
	if err != nil {
		return nil, err
	}
	if p.acceptPunct(".") {
		if err := p.checkName(nameNamespace, first, firstTok); err != nil {
			return nil, err
		}
		st.Namespace = first
		if st.Name, err = p.indexName(); err != nil {
			return nil, err
		}
	} else {
		if err := p.checkName(nameIndex, first, firstTok); err != nil {
			return nil, err
		}
		st.Name = first
	}
	if t := p.peek(); p.isKeyword(t, "ON") {
		return nil, p.errAt(t.pos, "DROP INDEX names the index only (index names are unique per namespace): DROP INDEX [ns.]name")
	}
	return st, p.expectEnd()
}

// parseShowIndexes parses SHOW INDEXES [FROM|IN [ns.]t] after INDEXES.
func (p *parser) parseShowIndexes() (Statement, error) {
	st := &ShowIndexes{base: base{p.stmtText}}
	if p.acceptKeyword("FROM") || p.acceptKeyword("IN") {
		tn, err := p.tableName()
		if err != nil {
			return nil, err
		}
		st.Table = &tn
	}
	return st, p.expectEnd()
}
