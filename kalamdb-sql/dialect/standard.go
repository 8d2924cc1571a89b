package dialect

import (
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// startsStandardSQL reports whether a statement beginning with t is left to
// the query engine: SELECT, WITH, VALUES, INSERT, UPDATE, DELETE, EXPLAIN,
// or a parenthesised query.
func startsStandardSQL(src string, t token) bool {
	w := src[t.pos:t.end]
	if t.kind == tokPunct {
		return w == "("
	}
	if t.kind != tokWord {
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
// tokens, without allocating (apart from the result), and refuses what the
// query engine must never see:
//
//   - '||', which the engine reads as a logical OR where KalamDB users mean
//     concatenation (DESIGN §2);
//   - SELECT ... INTO (OUTFILE, DUMPFILE, variables) and LOAD_FILE(): nothing
//     a user writes may reach the server's file system;
//   - text that the engine's MySQL-family tokenizer would cut differently
//     from this one: '#' and '//' (comments there), '--' glued to the
//     following text (an operator in MySQL), and a backslash before a quote
//     inside a quoted token (an escape there). (Executable comments and
//     optimizer hints never get here: the lexer refuses them.)
//     Without this, a comment or string here could hide SQL that the engine
//     runs, and every check above could be bypassed.
//
// The kind comes from the leading keyword, or for WITH from the main
// statement after the CTE list, so that "WITH x AS (...) DELETE ..." is a
// DELETE for permission checks and not a SELECT.
func scanStandard(s source, lx *lexer, first token) (Statement, error) {
	src := s.text
	var (
		kind      Kind
		state     scanState
		explain   bool
		depth     int
		mainDepth int
		sawInto   bool
		into      token // the last INTO keyword
		hazard    token // a comment that is harmless only at the end
		hazardMsg string
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
		case t.kind == tokComment:
			if hazardMsg == "" {
				hazard, hazardMsg = t, commentHazard(src[t.pos:t.end])
			}
			continue
		case t.kind == tokInvalid:
			return nil, s.lexError(apierror.InvalidSQL, t)
		case t.kind == tokEOF:
			break scan
		case isSemicolon(src, t):
			if err := expectOnlySemicolons(s, lx, t); err != nil {
				return nil, err
			}
			break scan
		}
		if hazardMsg != "" {
			return nil, s.errAt(hazard.pos, "%s", hazardMsg)
		}
		raw := src[t.pos:t.end]

		switch t.kind {
		case tokPunct:
			c := raw[0]
			if len(raw) == 2 {
				switch raw {
				case "||":
					return nil, s.errAt(t.pos, "operator '||' is not supported; use CONCAT(a, b) for string concatenation")
				case "//":
					return nil, s.errAt(t.pos, "'//' is not supported; use '--' or '/* */' for comments")
				}
				c = 0
			}
			switch c {
			case '(':
				if isLoadFile(src, prev) {
					return nil, s.errAt(prev.pos, "LOAD_FILE() is not supported: statements may not read files on the server")
				}
				if state == wantMain && depth == mainDepth && isPunctText(src, prev, ")") {
					// "WITH x AS (...) (SELECT ...)": a parenthesised main query.
					state = wantQuery
				}
				depth++
			case ')':
				depth--
			case '#':
				return nil, s.errAt(t.pos, "'#' is not supported; use '--' or '/* */' for comments")
			case '@':
				if isWordText(src, prev, "INTO") {
					return nil, s.errAt(prev.pos, "SELECT ... INTO variables is not supported")
				}
				// Session and system variables (@x, @@x) are MySQL state
				// with no KalamDB meaning; sessions are per statement.
				return nil, s.errAt(t.pos, "variables (@name, @@name) are not supported")
			}
			if state == wantQuery && c != '(' {
				return nil, s.syntaxError(t, "SELECT")
			}
		case tokString, tokQuotedIdent:
			if raw[0] != '`' && backslashBeforeQuote(raw) {
				return nil, s.errAt(t.pos, "a backslash before a quote inside a quoted string or identifier is ambiguous "+
					"(the query engine reads \\' as an escaped quote); write a quote inside a string as ''")
			}
			if state == wantQuery {
				return nil, s.syntaxError(t, "SELECT")
			}
		case tokWord:
			switch state {
			case wantQuery:
				switch {
				case eqFold(raw, "SELECT"), eqFold(raw, "VALUES"):
					kind, state = KindSelect, knowKind
				case eqFold(raw, "WITH"):
					state, mainDepth = wantMain, depth
				case explain && prev == first:
					return nil, s.errAt(t.pos, "EXPLAIN is supported for queries only (EXPLAIN SELECT ...)")
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
			switch {
			case eqFold(raw, "INTO"):
				sawInto, into = true, t
			case isWordText(src, prev, "INTO") && (eqFold(raw, "OUTFILE") || eqFold(raw, "DUMPFILE")):
				return nil, s.errAt(t.pos, "SELECT ... INTO %s is not supported: statements may not write files on the server", asciiUpper(raw))
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
		return nil, s.syntaxError(token{kind: tokEOF, pos: lastEnd, end: lastEnd}, expected)
	}
	if explain && kind != KindSelect {
		return nil, s.errAt(first.pos, "EXPLAIN is supported for queries only (EXPLAIN SELECT ...)")
	}
	if kind == KindSelect && sawInto {
		return nil, s.errAt(into.pos, "SELECT ... INTO is not supported: query results are returned to the client only")
	}
	return &StandardSQL{base: base{text: src[first.pos:lastEnd]}, kind: kind}, nil
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

func isWordText(src string, t token, kw string) bool {
	return t.kind == tokWord && eqFold(src[t.pos:t.end], kw)
}

func isPunctText(src string, t token, p string) bool {
	return t.kind == tokPunct && src[t.pos:t.end] == p
}

// isLoadFile reports whether t names MySQL's LOAD_FILE function, also when
// quoted (the engine resolves `load_file`(...) to the same function).
func isLoadFile(src string, t token) bool {
	switch t.kind {
	case tokWord:
		return eqFold(src[t.pos:t.end], "LOAD_FILE")
	case tokQuotedIdent:
		return eqFold(unquote(src[t.pos:t.end]), "LOAD_FILE")
	}
	return false
}

// commentHazard returns why an interior comment cannot be passed to the
// query engine, or "" when it can.
func commentHazard(c string) string {
	if strings.HasPrefix(c, "--") && len(c) > 2 && c[2] != ' ' && c[2] != '\t' && c[2] != '\r' {
		return "a '--' comment inside a statement must be followed by a space"
	}
	return ""
}

// backslashBeforeQuote reports whether a quote character inside the quoted
// token raw (delimiters included) is preceded by an odd run of backslashes:
// exactly the case where a backslash-escaping tokenizer would end the token
// somewhere else than this one.
func backslashBeforeQuote(raw string) bool {
	if strings.IndexByte(raw, '\\') < 0 {
		return false
	}
	q := raw[0]
	run := 0
	for i := 1; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			run++
			continue
		case q:
			if run%2 == 1 {
				return true
			}
		}
		run = 0
	}
	return false
}
