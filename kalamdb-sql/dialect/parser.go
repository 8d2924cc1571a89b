package dialect

import (
	"strconv"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Parse splits a batch into statements (see Split) and parses each one.
// Error positions are relative to the whole batch; the first error in text
// order is returned and no statement is returned with it.
func Parse(sql string) ([]Statement, error) {
	sp := newSplitter(sql)
	var stmts []Statement
	for {
		seg, ok, err := sp.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		st, err := parseStatement(source{text: seg.Text, origin: seg.Offset, full: sql})
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, st)
	}
	if len(stmts) == 0 {
		return nil, emptySQL()
	}
	return stmts, nil
}

// ParseOne parses a single statement. The text is not split: ';' before or
// after the statement (empty statements) are tolerated, but a ';' followed
// by another statement is an error. Error positions are relative to text.
func ParseOne(text string) (Statement, error) {
	return parseStatement(source{text: text, full: text})
}

// parseStatement routes a statement by its first token. Standard SQL only
// gets a cheap linear scan here (the query engine parses it properly);
// everything else is tokenized and parsed by the recursive-descent parser.
func parseStatement(s source) (Statement, error) {
	lx := lexer{src: s.text}
	first := lx.next()
	for first.kind == TokComment || isSemicolon(s.text, first) {
		first = lx.next()
	}
	switch first.kind {
	case TokEOF:
		return nil, emptySQL()
	case TokInvalid:
		return nil, s.lexError(apierror.InvalidSQL, first)
	}
	if startsStandardSQL(s.text, first) {
		return scanStandard(s, &lx, first)
	}
	toks, err := tokenizeStatement(s, &lx, first)
	if err != nil {
		return nil, err
	}
	p := &parser{source: s, toks: toks}
	p.stmtText = s.text[first.pos:toks[len(toks)-2].end]
	return p.parseStatement()
}

// tokenizeStatement collects the significant tokens of a KalamDB statement
// (comments dropped) and appends an EOF token placed right after the last
// one, so that "at end of input" errors point where more text was expected.
// Trailing ';' are dropped; anything after a ';' is an error, because
// ParseOne must never quietly accept a second statement.
func tokenizeStatement(s source, lx *lexer, first token) ([]token, error) {
	toks := make([]token, 1, 16)
	toks[0] = first
	for {
		t := lx.next()
		switch {
		case t.kind == TokComment:
			continue
		case t.kind == TokInvalid:
			return nil, s.lexError(apierror.InvalidSQL, t)
		case t.kind == TokQuotedIdent && s.text[t.pos] == '`':
			// The lexer reads `...` as one token so that a ';' inside it
			// splits nothing, but it is MySQL's quoting, which PostgreSQL
			// (and so standard SQL here) refuses: KalamDB statements refuse
			// it too rather than accept a name a SELECT could not use.
			return nil, s.errAt(t.pos, backtickMessage)
		case t.kind == TokEOF:
		case isSemicolon(s.text, t):
			if err := expectOnlySemicolons(s, lx, t); err != nil {
				return nil, err
			}
		default:
			toks = append(toks, t)
			continue
		}
		last := toks[len(toks)-1].end
		return append(toks, token{kind: TokEOF, pos: last, end: last}), nil
	}
}

// expectOnlySemicolons consumes what follows the ';' token semi and fails
// unless it is only more ';', comments and whitespace.
func expectOnlySemicolons(s source, lx *lexer, semi token) error {
	for {
		t := lx.next()
		switch {
		case t.kind == TokEOF:
			return nil
		case t.kind == TokComment || isSemicolon(s.text, t):
		case t.kind == TokInvalid:
			return s.lexError(apierror.InvalidSQL, t)
		default:
			return s.syntaxError(semi, "end of statement (only one statement is allowed here)")
		}
	}
}

// parser is a recursive-descent parser over the tokens of one KalamDB
// statement. toks always ends with a TokEOF token, and the cursor never
// moves past it, so lookahead never indexes out of range.
type parser struct {
	source
	toks     []token
	i        int
	stmtText string
	// defaultDepth is the nesting of the DEFAULT expression being folded
	// (defaultexpr.go).
	defaultDepth int
	// numericWork is the digits the DEFAULT expressions' numeric
	// arithmetic has worked on so far (foldNumeric).
	numericWork int64
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if j := p.i + n; j < len(p.toks) {
		return p.toks[j]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != TokEOF {
		p.i++
	}
	return t
}

func (p *parser) raw(t token) string { return p.text[t.pos:t.end] }

func (p *parser) isKeyword(t token, kw string) bool {
	return t.kind == TokWord && eqFold(p.raw(t), kw)
}

func (p *parser) peekKeyword(kw string) bool { return p.isKeyword(p.peek(), kw) }

func (p *parser) acceptKeyword(kw string) bool {
	if p.peekKeyword(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKeyword(kw string) error {
	if p.acceptKeyword(kw) {
		return nil
	}
	return p.syntaxError(p.peek(), kw)
}

// expectKeywords expects a fixed keyword sequence such as LIVE QUERY.
func (p *parser) expectKeywords(kws ...string) error {
	for _, kw := range kws {
		if err := p.expectKeyword(kw); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) isPunct(t token, s string) bool {
	return t.kind == TokPunct && p.raw(t) == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(p.peek(), s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if p.acceptPunct(s) {
		return nil
	}
	return p.syntaxError(p.peek(), "'"+s+"'")
}

// expectEnd requires that the statement is complete.
func (p *parser) expectEnd() error {
	if t := p.peek(); t.kind != TokEOF {
		return p.syntaxError(t, "end of statement")
	}
	return nil
}

// acceptIfExists accepts IF EXISTS; a lone IF is a syntax error.
func (p *parser) acceptIfExists() (bool, error) {
	if !p.acceptKeyword("IF") {
		return false, nil
	}
	return true, p.expectKeyword("EXISTS")
}

// acceptIfNotExists accepts IF NOT EXISTS.
func (p *parser) acceptIfNotExists() (bool, error) {
	if !p.acceptKeyword("IF") {
		return false, nil
	}
	return true, p.expectKeywords("NOT", "EXISTS")
}

// nameKind says which object an identifier names; the rules and messages
// differ slightly between them.
type nameKind uint8

const (
	nameNamespace nameKind = iota
	nameTable
	nameColumn
	nameStorage
	nameIndex
)

var nameKindWords = [...]string{
	nameNamespace: "namespace", nameTable: "table", nameColumn: "column", nameStorage: "storage",
	nameIndex: "index",
}

// maxNameLen bounds identifiers: they become column family names, storage
// path segments and map keys.
const maxNameLen = 64

// name parses an identifier (unquoted or quoted), folds it to lower case and
// validates it for kind.
func (p *parser) name(kind nameKind) (string, error) {
	v, t, err := p.ident(nameKindWords[kind] + " name")
	if err != nil {
		return "", err
	}
	if err := p.checkName(kind, v, t); err != nil {
		return "", err
	}
	return v, nil
}

// ident parses an unquoted or quoted identifier and folds it to lower case,
// without validating it.
func (p *parser) ident(what string) (string, token, error) {
	t := p.peek()
	switch t.kind {
	case TokWord:
		p.i++
		return asciiLower(p.raw(t)), t, nil
	case TokQuotedIdent:
		p.i++
		return asciiLower(unquote(p.raw(t))), t, nil
	}
	return "", t, p.syntaxError(t, what)
}

// checkName validates a folded identifier: ^[a-z_][a-z0-9_]*$, 1..64 bytes;
// column names may not start with '_' (reserved for system columns).
func (p *parser) checkName(kind nameKind, v string, t token) error {
	what := nameKindWords[kind]
	if kind == nameColumn && strings.HasPrefix(v, "_") {
		return p.errAt(t.pos, "column name '%s' is reserved: names starting with '_' belong to system columns such as _seq and _deleted", snippet(v))
	}
	if !validName(v) {
		return p.errAt(t.pos, "invalid %s name '%s': a name must start with a letter or '_', contain only letters, digits and '_', and be at most %d characters long",
			what, snippet(p.raw(t)), maxNameLen)
	}
	return nil
}

func validName(v string) bool {
	if len(v) == 0 || len(v) > maxNameLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || c == '_' || i > 0 && isDigit(c) {
			continue
		}
		return false
	}
	return true
}

// tableName parses [ns.]t.
func (p *parser) tableName() (TableName, error) {
	first, firstTok, err := p.ident("table name")
	if err != nil {
		return TableName{}, err
	}
	if !p.acceptPunct(".") {
		return TableName{Name: first}, p.checkName(nameTable, first, firstTok)
	}
	if err := p.checkName(nameNamespace, first, firstTok); err != nil {
		return TableName{}, err
	}
	name, err := p.name(nameTable)
	if err != nil {
		return TableName{}, err
	}
	return TableName{Namespace: first, Name: name}, nil
}

// stringLit parses a single-quoted string literal.
func (p *parser) stringLit(what string) (string, token, error) {
	t := p.peek()
	if t.kind != TokString {
		return "", t, p.syntaxError(t, what+" as a quoted string")
	}
	p.i++
	return unquote(p.raw(t)), t, nil
}

// nonEmptyString parses a string literal that must not be empty.
func (p *parser) nonEmptyString(what string) (string, error) {
	v, t, err := p.stringLit(what)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(v) == "" {
		return "", p.errAt(t.pos, "%s must not be empty", what)
	}
	return v, nil
}

// secretString parses a non-empty string literal holding a secret (a
// password). Its errors never quote the offending token, so that a password
// written without quotes does not end up in an error message or a log.
func (p *parser) secretString(what string) (string, error) {
	t := p.peek()
	if t.kind != TokString {
		if t.kind == TokEOF {
			return "", p.syntaxError(t, what+" as a quoted string")
		}
		pos, _, _ := p.location(t.pos)
		return "", p.errAt(t.pos, "syntax error at position %d: expected %s as a quoted string", pos, what)
	}
	return p.nonEmptyString(what)
}

// wordOrString parses a value that may be written bare or quoted (a role,
// a user name, a storage type). Bare words are folded to lower case like
// any identifier; quoted strings are kept as written.
func (p *parser) wordOrString(what string) (string, token, error) {
	t := p.peek()
	switch t.kind {
	case TokString:
		p.i++
		return unquote(p.raw(t)), t, nil
	case TokWord:
		p.i++
		return asciiLower(p.raw(t)), t, nil
	case TokQuotedIdent:
		p.i++
		return asciiLower(unquote(p.raw(t))), t, nil
	}
	return "", t, p.syntaxError(t, what)
}

// intLit parses an unsigned integer literal.
func (p *parser) intLit(what string) (int64, token, error) {
	t := p.peek()
	if t.kind != TokNumber {
		return 0, t, p.syntaxError(t, what)
	}
	p.i++
	n, err := strconv.ParseInt(p.raw(t), 10, 64)
	if err != nil {
		return 0, t, p.errAt(t.pos, "%s must be an integer, got '%s'", what, snippet(p.raw(t)))
	}
	return n, t, nil
}

// unsupported rejects a statement that is valid in some SQL dialect but is
// not part of KalamDB's SQL surface. words is how many leading words name
// the statement in the message.
func (p *parser) unsupported(words int, hint string) error {
	t := p.peek()
	name := make([]string, 0, words)
	for k := 0; k < words; k++ {
		w := p.peekAt(k)
		if w.kind != TokWord {
			break
		}
		name = append(name, asciiUpper(p.raw(w)))
	}
	msg := "unsupported statement: " + snippet(strings.Join(name, " "))
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return p.errAt(t.pos, "%s", msg)
}

// isOtherStatement reports leading keywords of statements that other SQL
// dialects have and KalamDB deliberately does not: they get "unsupported
// statement" instead of a bare syntax error.
func isOtherStatement(kw string) bool {
	switch kw {
	case "ABORT", "ANALYZE", "BINLOG", "CACHE", "CALL", "CHANGE", "CHECK", "CHECKPOINT",
		"CHECKSUM", "CLONE", "COMMENT", "COPY", "DEALLOCATE", "DECLARE", "DISCARD",
		"DO", "END", "FLUSH", "GET", "GRANT", "HANDLER", "HELP", "IMPORT", "INSTALL", "LISTEN",
		"LOCK", "MERGE", "NOTIFY", "OPTIMIZE", "PREPARE", "PURGE", "REASSIGN", "REFRESH",
		"REINDEX", "RELEASE", "RENAME", "REPAIR", "REPLACE", "RESET", "RESIGNAL", "RESTART",
		"REVOKE", "SAVEPOINT", "SECURITY", "SHUTDOWN", "SIGNAL", "TABLE", "TRUNCATE",
		"UNINSTALL", "UNLISTEN", "UNLOCK", "UPSERT", "VACUUM", "XA":
		return true
	}
	return false
}

// parseStatement dispatches on the leading keyword.
func (p *parser) parseStatement() (Statement, error) {
	t := p.peek()
	if t.kind != TokWord {
		return nil, p.syntaxError(t, "a statement")
	}
	kw := asciiUpper(p.raw(t))
	switch kw {
	case "CREATE":
		return p.parseCreate()
	case "DROP":
		return p.parseDrop()
	case "ALTER":
		return p.parseAlter()
	case "USE":
		return p.parseUse()
	case "SET":
		return p.parseSet()
	case "SHOW":
		return p.parseShow()
	case "DESCRIBE", "DESC":
		return p.parseDescribe()
	case "STORAGE":
		return p.parseStorageCommand()
	case "KILL":
		return p.parseKill()
	case "BACKUP":
		return p.parseBackup()
	case "RESTORE":
		return p.parseRestore()
	case "BEGIN", "START", "COMMIT", "ROLLBACK":
		return p.parseTransaction()
	case "EXECUTE":
		return p.parseExecuteAs()
	case "LOAD":
		return nil, p.unsupported(2, "statements may not read files on the server")
	case "SUBSCRIBE":
		return nil, p.codeAt(apierror.Unsupported, t.pos, "SUBSCRIBE TO is not a statement of the SQL endpoint: subscribe over the WebSocket (/v1/ws) with SELECT ... FROM ns.table [WHERE ...]")
	case "CONSUME", "ACK", "CLEAR":
		return nil, p.topicsUnsupported(t)
	case "CLUSTER":
		return nil, p.codeAt(apierror.Unsupported, t.pos, "CLUSTER statements do not apply: this server is a single node")
	}
	if isOtherStatement(kw) {
		return nil, p.unsupported(1, "")
	}
	return nil, p.syntaxError(t, "")
}
