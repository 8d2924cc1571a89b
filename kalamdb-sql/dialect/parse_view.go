package dialect

import "github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"

// parseCreateView parses a view definition after CREATE [OR REPLACE] VIEW.
//
//	CREATE [OR REPLACE] VIEW [IF NOT EXISTS] [ns.]v [(col, ...)] AS query
//
// The query is not parsed here beyond classifying it (it must be a query,
// not a write); the query engine parses it when the view is created and
// each time it is read.
func (p *parser) parseCreateView(orReplace bool) (Statement, error) {
	st := &CreateView{base: base{p.stmtText}, OrReplace: orReplace}
	ifTok := p.peek()
	var err error
	if st.IfNotExists, err = p.acceptIfNotExists(); err != nil {
		return nil, err
	}
	if st.IfNotExists && orReplace {
		return nil, p.errAt(ifTok.pos, "CREATE OR REPLACE VIEW cannot have IF NOT EXISTS: choose one")
	}
	if st.View, err = p.tableName(); err != nil {
		return nil, err
	}
	if p.acceptPunct("(") {
		seen := map[string]bool{}
		for {
			t := p.peek()
			name, err := p.name(nameColumn)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, p.errAt(t.pos, "column %q specified more than once", name)
			}
			seen[name] = true
			st.Columns = append(st.Columns, name)
			if p.acceptPunct(",") {
				continue
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			break
		}
	}
	if err := p.expectKeyword("AS"); err != nil {
		return nil, err
	}
	first := p.peek()
	if first.kind == TokEOF {
		return nil, p.syntaxError(first, "a query (SELECT ...)")
	}
	last := len(p.toks) - 2 // the token before EOF
	if n := len(p.toks) - 1; n >= 3 && p.isKeyword(p.toks[n-2], "CHECK") && p.isKeyword(p.toks[n-1], "OPTION") {
		return nil, p.codeAt(apierror.Unsupported, p.toks[n-2].pos, "WITH CHECK OPTION is not supported: views are read-only")
	}
	q := source{text: p.text[first.pos:p.toks[last].end], origin: p.origin + first.pos, full: p.full}
	lx := lexer{src: q.text}
	qFirst := lx.next()
	for qFirst.kind == TokComment {
		qFirst = lx.next()
	}
	if !startsStandardSQL(q.text, qFirst) || eqFold(q.text[qFirst.pos:qFirst.end], "EXPLAIN") {
		return nil, p.syntaxError(first, "a query (SELECT, WITH ... SELECT or VALUES)")
	}
	query, err := scanStandard(q, &lx, qFirst)
	if err != nil {
		return nil, err
	}
	if query.Kind() != KindSelect {
		return nil, p.errAt(first.pos, "a view is defined by a query; %s cannot define a view", query.Kind())
	}
	st.Query = query.(*StandardSQL)
	p.i = len(p.toks) - 1
	return st, nil
}

// parseDropView parses DROP VIEW [IF EXISTS] [ns.]v after VIEW.
func (p *parser) parseDropView() (Statement, error) {
	st := &DropView{base: base{p.stmtText}}
	var err error
	if st.IfExists, err = p.acceptIfExists(); err != nil {
		return nil, err
	}
	if st.View, err = p.tableName(); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}
