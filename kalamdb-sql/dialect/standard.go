package dialect

import "github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"

// startsStandardSQL reports whether a statement beginning with t is left to
// the query engine: SELECT, WITH, VALUES, INSERT, UPDATE, DELETE, EXPLAIN,
// or a parenthesised query.
func startsStandardSQL(src string, t token) bool {
	w := src[t.pos:t.end]
	if t.kind == TokPunct {
		return w == "("
	}
	if t.kind != TokWord {
		return false
	}
	switch len(w) {
	case 4:
		return eqFold(w, "WITH")
	case 6:
		return eqFold(w, "SELECT") || eqFold(w, "INSERT") || eqFold(w, "UPDATE") ||
			eqFold(w, "DELETE") || eqFold(w, "VALUES")
	case 7:
		return eqFold(w, "EXPLAIN")
	}
	return false
}

// scanState is what the standard-SQL scan still needs to see to classify
// the statement.
type scanState uint8

const (
	knowKind  scanState = iota // the kind is known
	wantQuery                  // after EXPLAIN or a leading '(': a query must start
	wantMain                   // after WITH: the main statement's keyword decides
)

// scanStandard classifies a standard SQL statement in one pass over its
// tokens, without allocating (apart from the result). The statement itself
// is parsed later by PostgreSQL's parser (package pgsql), which refuses
// everything KalamDB does not run; this pass only needs the kind, for
// permission checks before anything is parsed, and refuses `...`
// identifiers (MySQL quoting, which PostgreSQL's lexer would not flag).
// Executable comments and optimizer hints never get here: the lexer
// refuses them.
//
// The kind comes from the leading keyword, or for WITH from the main
// statement after the CTE list, so that "WITH x AS (...) DELETE ..." is a
// DELETE for permission checks and not a SELECT.
func scanStandard(s source, lx *lexer, first token) (Statement, error) {
	src := s.text
	var (
		kind    Kind
		state   scanState
		explain bool
		// optionList is set at the '(' right after EXPLAIN, which may open
		// PostgreSQL's option list (or a parenthesised query).
		optionList bool
		depth      int
		mainDepth  int
	)
	switch w := src[first.pos:first.end]; {
	case w == "(":
		state, depth = wantQuery, 1
	case eqFold(w, "SELECT"), eqFold(w, "VALUES"):
		kind = KindSelect
	case eqFold(w, "INSERT"):
		kind = KindInsert
	case eqFold(w, "UPDATE"):
		kind = KindUpdate
	case eqFold(w, "DELETE"):
		kind = KindDelete
	case eqFold(w, "WITH"):
		state = wantMain
	default: // EXPLAIN
		state, explain = wantQuery, true
	}
	prev, lastEnd := first, first.end

scan:
	for {
		t := lx.next()
		switch {
		case t.kind == TokComment:
			continue
		case t.kind == TokInvalid:
			return nil, s.lexError(apierror.InvalidSQL, t)
		case t.kind == TokEOF:
			break scan
		case isSemicolon(src, t):
			if err := expectOnlySemicolons(s, lx, t); err != nil {
				return nil, err
			}
			break scan
		}
		raw := src[t.pos:t.end]
		if explain && prev == first && isPunctText(src, t, "(") {
			// Only the word after it tells which.
			optionList = true
			prev, lastEnd = t, t.end
			depth++
			continue
		}
		afterOptionParen := optionList
		optionList = false

		switch t.kind {
		case TokPunct:
			c := raw[0]
			if len(raw) == 2 {
				c = 0
			}
			switch c {
			case '(':
				if state == wantMain && depth == mainDepth && isPunctText(src, prev, ")") {
					// "WITH x AS (...) (SELECT ...)": a parenthesised main query.
					state = wantQuery
				}
				depth++
			case ')':
				depth--
			}
			if state == wantQuery && c != '(' {
				return nil, s.syntaxError(t, "SELECT")
			}
		case TokQuotedIdent:
			if raw[0] == '`' {
				return nil, s.errAt(t.pos, backtickMessage)
			}
			if state == wantQuery {
				return nil, s.syntaxError(t, "SELECT")
			}
		case TokWord:
			switch state {
			case wantQuery:
				switch {
				case eqFold(raw, "SELECT"), eqFold(raw, "VALUES"):
					kind, state = KindSelect, knowKind
				case eqFold(raw, "WITH"):
					state, mainDepth = wantMain, depth
				case explain && prev == first:
					return nil, explainError(s, t)
				case afterOptionParen:
					// EXPLAIN (option ...) SELECT: PostgreSQL's option list.
					return nil, s.codeAt(apierror.Unsupported, t.pos, "EXPLAIN options are not supported: write EXPLAIN SELECT ...")
				default:
					return nil, s.syntaxError(t, "SELECT")
				}
			case wantMain:
				if depth == mainDepth {
					if k := mainKeywordKind(raw); k != KindInvalid {
						kind, state = k, knowKind
					}
				}
			}
		default:
			if state == wantQuery {
				return nil, s.syntaxError(t, "SELECT")
			}
		}
		prev, lastEnd = t, t.end
	}

	if state != knowKind {
		expected := "SELECT"
		if state == wantMain {
			expected = "SELECT, INSERT, UPDATE or DELETE"
		}
		return nil, s.syntaxError(token{kind: TokEOF, pos: lastEnd, end: lastEnd}, expected)
	}
	if explain && kind != KindSelect {
		return nil, s.codeAt(apierror.Unsupported, first.pos, "EXPLAIN is supported for queries only (EXPLAIN SELECT ...): EXPLAIN %s is not", kind)
	}
	return &StandardSQL{base: base{text: src[first.pos:lastEnd]}, kind: kind,
		offset: s.origin + first.pos, request: s.full}, nil
}

// mainKeywordKind classifies the keyword that starts the main statement
// after a WITH clause.
func mainKeywordKind(w string) Kind {
	switch {
	case eqFold(w, "SELECT"), eqFold(w, "VALUES"):
		return KindSelect
	case eqFold(w, "INSERT"):
		return KindInsert
	case eqFold(w, "UPDATE"):
		return KindUpdate
	case eqFold(w, "DELETE"):
		return KindDelete
	}
	return KindInvalid
}

func isPunctText(src string, t token, p string) bool {
	return t.kind == TokPunct && src[t.pos:t.end] == p
}

// explainError refuses what follows EXPLAIN when it is not a query:
// EXPLAIN ANALYZE (which would run the statement), EXPLAIN VERBOSE, and
// EXPLAIN of a write. All are valid PostgreSQL, so UNSUPPORTED.
func explainError(s source, t token) *apierror.Error {
	w := s.text[t.pos:t.end]
	switch {
	case eqFold(w, "ANALYZE"), eqFold(w, "ANALYSE"):
		return s.codeAt(apierror.Unsupported, t.pos, "EXPLAIN ANALYZE is not supported: KalamDB does not collect per-operator run-time statistics; EXPLAIN SELECT shows the plan without running it")
	case eqFold(w, "VERBOSE"):
		return s.codeAt(apierror.Unsupported, t.pos, "EXPLAIN VERBOSE is not supported: EXPLAIN SELECT shows the whole plan")
	}
	if k := mainKeywordKind(w); k != KindInvalid {
		return s.codeAt(apierror.Unsupported, t.pos, "EXPLAIN is supported for queries only (EXPLAIN SELECT ...): EXPLAIN %s is not", k)
	}
	return s.syntaxError(t, "SELECT")
}
