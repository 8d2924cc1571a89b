package dialect

import (
	"encoding/json"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// tableTypeWord returns the table type named by t (USER, SHARED, STREAM),
// or "" when t is not one of them.
func (p *parser) tableTypeWord(t token) TableType {
	switch {
	case p.isKeyword(t, "USER"):
		return TableTypeUser
	case p.isKeyword(t, "SHARED"):
		return TableTypeShared
	case p.isKeyword(t, "STREAM"):
		return TableTypeStream
	}
	return ""
}

// parseCreate dispatches CREATE NAMESPACE | [type] TABLE | [OR REPLACE]
// VIEW | USER | STORAGE.
func (p *parser) parseCreate() (Statement, error) {
	p.i++ // CREATE
	t := p.peek()
	if tt := p.tableTypeWord(t); tt != "" && p.isKeyword(p.peekAt(1), "TABLE") {
		p.i += 2
		return p.parseCreateTable(tt)
	}
	if p.isKeyword(t, "OR") && p.isKeyword(p.peekAt(1), "REPLACE") {
		if !p.isKeyword(p.peekAt(2), "VIEW") {
			p.i--
			return nil, p.unsupported(4, "OR REPLACE applies to views only")
		}
		p.i += 3
		return p.parseCreateView(true)
	}
	switch {
	case p.acceptKeyword("TABLE"):
		return p.parseCreateTable("")
	case p.acceptKeyword("VIEW"):
		return p.parseCreateView(false)
	case p.acceptKeyword("NAMESPACE"):
		return p.parseCreateNamespace()
	case p.acceptKeyword("USER"):
		return p.parseCreateUser()
	case p.acceptKeyword("STORAGE"):
		return p.parseCreateStorage()
	case p.isKeyword(t, "TOPIC"):
		return nil, p.topicsUnsupported(t)
	case p.isKeyword(t, "INDEX"):
		return p.parseCreateIndex()
	case p.isKeyword(t, "UNIQUE"), p.isKeyword(t, "FULLTEXT"), p.isKeyword(t, "SPATIAL"):
		return nil, p.unsupportedIndex(t)
	case p.isKeyword(t, "DATABASE"), p.isKeyword(t, "SCHEMA"):
		p.i--
		return nil, p.unsupported(2, "use CREATE NAMESPACE")
	case t.kind == TokWord:
		p.i--
		return nil, p.unsupported(2, "")
	}
	return nil, p.syntaxError(t, "NAMESPACE, TABLE, INDEX, VIEW, USER or STORAGE")
}

// parseDrop dispatches DROP NAMESPACE | [type] TABLE | VIEW | USER | STORAGE.
func (p *parser) parseDrop() (Statement, error) {
	p.i++ // DROP
	t := p.peek()
	if tt := p.tableTypeWord(t); tt != "" && p.isKeyword(p.peekAt(1), "TABLE") {
		p.i += 2
		return p.parseDropTable(tt)
	}
	switch {
	case p.acceptKeyword("TABLE"):
		return p.parseDropTable("")
	case p.acceptKeyword("VIEW"):
		return p.parseDropView()
	case p.acceptKeyword("NAMESPACE"):
		return p.parseDropNamespace()
	case p.acceptKeyword("USER"):
		return p.parseDropUser()
	case p.acceptKeyword("STORAGE"):
		return p.parseDropStorage()
	case p.isKeyword(t, "TOPIC"):
		return nil, p.topicsUnsupported(t)
	case p.acceptKeyword("INDEX"):
		return p.parseDropIndex()
	case p.isKeyword(t, "DATABASE"), p.isKeyword(t, "SCHEMA"):
		p.i--
		return nil, p.unsupported(2, "use DROP NAMESPACE")
	case t.kind == TokWord:
		p.i--
		return nil, p.unsupported(2, "")
	}
	return nil, p.syntaxError(t, "NAMESPACE, TABLE, INDEX, VIEW, USER or STORAGE")
}

// parseAlter dispatches ALTER NAMESPACE | TABLE | USER | STORAGE.
func (p *parser) parseAlter() (Statement, error) {
	p.i++ // ALTER
	t := p.peek()
	switch {
	case p.acceptKeyword("TABLE"):
		return p.parseAlterTable()
	case p.acceptKeyword("NAMESPACE"):
		return p.parseAlterNamespace()
	case p.acceptKeyword("USER"):
		return p.parseAlterUser()
	case p.acceptKeyword("STORAGE"):
		return p.parseAlterStorage()
	case p.isKeyword(t, "TOPIC"):
		return nil, p.topicsUnsupported(t)
	case t.kind == TokWord:
		p.i--
		return nil, p.unsupported(2, "")
	}
	return nil, p.syntaxError(t, "NAMESPACE, TABLE, USER or STORAGE")
}

// parseShow dispatches the SHOW statements.
func (p *parser) parseShow() (Statement, error) {
	p.i++ // SHOW
	t := p.peek()
	switch {
	case p.acceptKeyword("TABLES"):
		return p.parseShowTables()
	case p.acceptKeyword("NAMESPACES"):
		return &ShowNamespaces{base{p.stmtText}}, p.expectEnd()
	case p.acceptKeyword("STORAGES"):
		return &ShowStorages{base{p.stmtText}}, p.expectEnd()
	case p.acceptKeyword("MANIFEST"):
		return &ShowManifest{base{p.stmtText}}, p.expectEnd()
	case p.acceptKeyword("STATS"):
		return p.parseShowStats()
	case p.acceptKeyword("BACKUP"), p.acceptKeyword("BACKUPS"):
		return p.parseShowBackup()
	case p.acceptKeyword("INDEXES"), p.acceptKeyword("INDEX"), p.acceptKeyword("KEYS"):
		return p.parseShowIndexes()
	case p.isKeyword(t, "DATABASES"), p.isKeyword(t, "SCHEMAS"):
		p.i--
		return nil, p.unsupported(2, "use SHOW NAMESPACES")
	case t.kind == TokWord:
		p.i--
		return nil, p.unsupported(2, "")
	}
	return nil, p.syntaxError(t, "NAMESPACES, TABLES, INDEXES, STATS, STORAGES, MANIFEST or BACKUP")
}

// ReservedNamespace reports names that belong to the system: KalamDB's own
// tables, the information schema, PostgreSQL's pg_catalog, and the
// engine's internal database. No namespace may take one.
func ReservedNamespace(ns string) bool {
	switch ns {
	case "system", "information_schema", "pg_catalog", "mysql":
		return true
	}
	return false
}

// parseCreateNamespace parses CREATE NAMESPACE [IF NOT EXISTS] ns.
func (p *parser) parseCreateNamespace() (Statement, error) {
	st := &CreateNamespace{base: base{p.stmtText}}
	var err error
	if st.IfNotExists, err = p.acceptIfNotExists(); err != nil {
		return nil, err
	}
	t := p.peek()
	if st.Name, err = p.name(nameNamespace); err != nil {
		return nil, err
	}
	if ReservedNamespace(st.Name) {
		return nil, p.errAt(t.pos, "namespace name '%s' is reserved", st.Name)
	}
	return st, p.expectEnd()
}

// parseDropNamespace parses DROP NAMESPACE [IF EXISTS] ns [CASCADE].
func (p *parser) parseDropNamespace() (Statement, error) {
	st := &DropNamespace{base: base{p.stmtText}}
	var err error
	if st.IfExists, err = p.acceptIfExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.name(nameNamespace); err != nil {
		return nil, err
	}
	st.Cascade = p.acceptKeyword("CASCADE")
	return st, p.expectEnd()
}

// parseAlterNamespace parses ALTER NAMESPACE ns SET DESCRIPTION [=] '...'.
func (p *parser) parseAlterNamespace() (Statement, error) {
	st := &AlterNamespace{base: base{p.stmtText}}
	var err error
	if st.Name, err = p.name(nameNamespace); err != nil {
		return nil, err
	}
	if err := p.expectKeywords("SET", "DESCRIPTION"); err != nil {
		return nil, err
	}
	p.acceptPunct("=")
	if st.Description, _, err = p.stringLit("description"); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}

// parseUse parses USE ns and USE NAMESPACE ns.
func (p *parser) parseUse() (Statement, error) {
	p.i++ // USE
	p.acceptNamespaceKeyword()
	return p.finishUseNamespace()
}

// parseSet parses SET NAMESPACE ns; every other SET (session or global
// variables) is not part of KalamDB's SQL.
func (p *parser) parseSet() (Statement, error) {
	if !p.isKeyword(p.peekAt(1), "NAMESPACE") {
		return nil, p.unsupported(2, "")
	}
	p.i += 2
	return p.finishUseNamespace()
}

func (p *parser) finishUseNamespace() (Statement, error) {
	st := &UseNamespace{base: base{p.stmtText}}
	var err error
	if st.Name, err = p.name(nameNamespace); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}

// Roles, lowest to highest privilege.
var roles = [...]string{"user", "service", "dba", "system"}

// role parses a role name, bare or quoted, and lower-cases it.
func (p *parser) role() (string, error) {
	v, t, err := p.wordOrString("a role (user, service, dba or system)")
	if err != nil {
		return "", err
	}
	v = asciiLower(v)
	for _, r := range roles {
		if v == r {
			return r, nil
		}
	}
	return "", p.errAt(t.pos, "invalid role '%s': expected user, service, dba or system", snippet(v))
}

// userName parses a user name: a quoted string kept as written, or an
// identifier folded to lower case like every identifier.
func (p *parser) userName() (string, error) {
	v, t, err := p.wordOrString("a user name")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(v) == "" {
		return "", p.errAt(t.pos, "user name must not be empty")
	}
	return v, nil
}

// parseCreateUser parses
//
//	CREATE USER [IF NOT EXISTS] name WITH PASSWORD '...' [ROLE r] [EMAIL '...']
//
// ROLE and EMAIL may come in either order; without ROLE the user gets the
// least privileged role, user.
func (p *parser) parseCreateUser() (Statement, error) {
	st := &CreateUser{base: base{p.stmtText}, Role: "user"}
	var err error
	if st.IfNotExists, err = p.acceptIfNotExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.userName(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("WITH"); err != nil {
		return nil, err
	}
	if t := p.peek(); p.isKeyword(t, "OAUTH") || p.isKeyword(t, "INTERNAL") {
		return nil, p.codeAt(apierror.Unsupported, t.pos, "CREATE USER ... WITH %s is not supported: users here sign in with a password (WITH PASSWORD '...'), or with the tokens the server issues for it", asciiUpper(p.raw(t)))
	}
	if err := p.expectKeyword("PASSWORD"); err != nil {
		return nil, err
	}
	if st.Password, err = p.secretString("password"); err != nil {
		return nil, err
	}
	var roleSeen, emailSeen bool
	for {
		t := p.peek()
		switch {
		case p.isKeyword(t, "ROLE"):
			if roleSeen {
				return nil, p.errAt(t.pos, "ROLE is given more than once")
			}
			p.i++
			roleSeen = true
			if st.Role, err = p.role(); err != nil {
				return nil, err
			}
		case p.isKeyword(t, "EMAIL"):
			if emailSeen {
				return nil, p.errAt(t.pos, "EMAIL is given more than once")
			}
			p.i++
			emailSeen = true
			if st.Email, _, err = p.stringLit("email"); err != nil {
				return nil, err
			}
		case t.kind == TokEOF:
			return st, nil
		default:
			return nil, p.syntaxError(t, "ROLE, EMAIL or end of statement")
		}
	}
}

// parseAlterUser parses
//
//	ALTER USER name SET PASSWORD '...' [CURRENT PASSWORD '...']
//	ALTER USER name SET ROLE r
//	ALTER USER name SET EMAIL '...'
func (p *parser) parseAlterUser() (Statement, error) {
	st := &AlterUser{base: base{p.stmtText}}
	var err error
	if st.Name, err = p.userName(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("SET"); err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case p.acceptKeyword("PASSWORD"):
		pw, err := p.secretString("password")
		if err != nil {
			return nil, err
		}
		st.Password = &pw
		if p.acceptKeyword("CURRENT") {
			if err := p.expectKeyword("PASSWORD"); err != nil {
				return nil, err
			}
			cur, err := p.secretString("current password")
			if err != nil {
				return nil, err
			}
			st.CurrentPassword = &cur
		}
	case p.acceptKeyword("ROLE"):
		r, err := p.role()
		if err != nil {
			return nil, err
		}
		st.Role = &r
	case p.acceptKeyword("EMAIL"):
		e, _, err := p.stringLit("email")
		if err != nil {
			return nil, err
		}
		st.Email = &e
	default:
		return nil, p.syntaxError(t, "PASSWORD, ROLE or EMAIL")
	}
	return st, p.expectEnd()
}

// parseDropUser parses DROP USER [IF EXISTS] name.
func (p *parser) parseDropUser() (Statement, error) {
	st := &DropUser{base: base{p.stmtText}}
	var err error
	if st.IfExists, err = p.acceptIfExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.userName(); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}

// storageProp returns the field of props that the property word t names,
// or nil when t names no storage property.
func (p *parser) storageProp(props *StorageProps, t token) (**string, string) {
	if t.kind != TokWord {
		return nil, ""
	}
	switch name := asciiUpper(p.raw(t)); name {
	case "TYPE":
		return &props.Type, name
	case "NAME":
		return &props.Name, name
	case "DESCRIPTION":
		return &props.Description, name
	case "PATH", "BASE_DIRECTORY":
		// KalamDB's reference writes a filesystem storage's directory
		// either way.
		return &props.Path, "PATH"
	case "BUCKET":
		return &props.Bucket, name
	case "REGION":
		return &props.Region, name
	case "ENDPOINT":
		return &props.Endpoint, name
	case "SHARED_TABLES_TEMPLATE":
		return &props.SharedTablesTemplate, name
	case "USER_TABLES_TEMPLATE":
		return &props.UserTablesTemplate, name
	case "CREDENTIALS":
		return &props.Credentials, name
	case "CONFIG":
		return &props.Config, name
	}
	return nil, ""
}

const storagePropList = "TYPE, NAME, DESCRIPTION, PATH, BASE_DIRECTORY, BUCKET, REGION, ENDPOINT, SHARED_TABLES_TEMPLATE, USER_TABLES_TEMPLATE, CREDENTIALS, CONFIG"

// storageProps parses  PROP [=] 'value' [,] PROP [=] 'value' ...  until the
// end of the statement, in any order, each property at most once. alter
// means ALTER STORAGE ... SET, where the type cannot change and each
// property may have its own SET (KalamDB's reference writes
// SET NAME '...' SET DESCRIPTION '...').
func (p *parser) storageProps(alter bool) (StorageProps, error) {
	var props StorageProps
	for first := true; ; first = false {
		comma := !first && p.acceptPunct(",")
		if alter && !first {
			// SET a = 1, b = 2 | SET a = 1 SET b = 2 | SET a = 1, SET b = 2
			set := p.acceptKeyword("SET")
			comma = comma || set
		}
		t := p.peek()
		if t.kind == TokEOF {
			if first || comma {
				return props, p.syntaxError(t, "a storage property")
			}
			return props, nil
		}
		field, name := p.storageProp(&props, t)
		if field == nil {
			if t.kind == TokWord {
				return props, p.errAt(t.pos, "unknown storage property '%s' (properties are %s)", snippet(p.raw(t)), storagePropList)
			}
			return props, p.syntaxError(t, "a storage property")
		}
		if alter && name == "TYPE" {
			return props, p.errAt(t.pos, "the type of a storage cannot be changed")
		}
		if *field != nil {
			return props, p.errAt(t.pos, "%s is given more than once", name)
		}
		p.i++
		p.acceptPunct("=")
		var (
			v   string
			vt  token
			err error
		)
		if name == "TYPE" {
			v, vt, err = p.wordOrString("a storage type ('filesystem' or 's3')")
		} else {
			v, vt, err = p.stringLit(strings.ToLower(name))
		}
		if err != nil {
			return props, err
		}
		switch name {
		case "TYPE":
			v = asciiLower(v)
			if v != "filesystem" && v != "s3" {
				return props, p.errAt(vt.pos, "invalid storage type '%s': expected 'filesystem' or 's3'", snippet(v))
			}
		case "CREDENTIALS":
			// The value is never echoed: it holds secrets.
			if !isJSONObject(v) {
				return props, p.errAt(vt.pos, "CREDENTIALS must be a JSON object")
			}
		case "CONFIG":
			if !isJSONObject(v) {
				return props, p.errAt(vt.pos, "CONFIG must be a JSON object")
			}
		}
		*field = &v
	}
}

func isJSONObject(v string) bool {
	v = strings.TrimSpace(v)
	return strings.HasPrefix(v, "{") && json.Valid([]byte(v))
}

// parseCreateStorage parses CREATE STORAGE [IF NOT EXISTS] id TYPE '...'
// [property '...' ...].
func (p *parser) parseCreateStorage() (Statement, error) {
	st := &CreateStorage{base: base{p.stmtText}}
	var err error
	if st.IfNotExists, err = p.acceptIfNotExists(); err != nil {
		return nil, err
	}
	if st.ID, err = p.name(nameStorage); err != nil {
		return nil, err
	}
	if st.Props, err = p.storageProps(false); err != nil {
		return nil, err
	}
	if st.Props.Type == nil {
		return nil, p.errAt(p.toks[0].pos, "CREATE STORAGE needs a TYPE ('filesystem' or 's3')")
	}
	return st, nil
}

// parseAlterStorage parses ALTER STORAGE id SET property '...' [, ...].
func (p *parser) parseAlterStorage() (Statement, error) {
	st := &AlterStorage{base: base{p.stmtText}}
	var err error
	if st.ID, err = p.name(nameStorage); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("SET"); err != nil {
		return nil, err
	}
	if st.Props, err = p.storageProps(true); err != nil {
		return nil, err
	}
	return st, nil
}

// parseDropStorage parses DROP STORAGE [IF EXISTS] id.
func (p *parser) parseDropStorage() (Statement, error) {
	st := &DropStorage{base: base{p.stmtText}}
	var err error
	if st.IfExists, err = p.acceptIfExists(); err != nil {
		return nil, err
	}
	if st.ID, err = p.name(nameStorage); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}

// parseStorageCommand parses STORAGE CHECK id, STORAGE FLUSH ... and
// STORAGE COMPACT ....
func (p *parser) parseStorageCommand() (Statement, error) {
	p.i++ // STORAGE
	t := p.peek()
	switch {
	case p.acceptKeyword("CHECK"):
		st := &StorageCheck{base: base{p.stmtText}}
		var err error
		if st.ID, err = p.name(nameStorage); err != nil {
			return nil, err
		}
		st.Extended = p.acceptKeyword("EXTENDED")
		return st, p.expectEnd()
	case p.acceptKeyword("FLUSH"):
		target, err := p.storageTarget()
		if err != nil {
			return nil, err
		}
		return &StorageFlush{base: base{p.stmtText}, Target: target}, nil
	case p.acceptKeyword("COMPACT"):
		target, err := p.storageTarget()
		if err != nil {
			return nil, err
		}
		return &StorageCompact{base: base{p.stmtText}, Target: target}, nil
	}
	return nil, p.syntaxError(t, "CHECK, FLUSH or COMPACT")
}

// storageTarget parses TABLE [ns.]t | ALL [IN [NAMESPACE] ns].
func (p *parser) storageTarget() (StorageTarget, error) {
	var target StorageTarget
	t := p.peek()
	switch {
	case p.acceptKeyword("TABLE"):
		tbl, err := p.tableName()
		if err != nil {
			return target, err
		}
		target.Table = &tbl
	case p.acceptKeyword("ALL"):
		target.All = true
		if p.acceptKeyword("IN") {
			p.acceptNamespaceKeyword()
			var err error
			if target.Namespace, err = p.name(nameNamespace); err != nil {
				return target, err
			}
		}
	default:
		return target, p.syntaxError(t, "TABLE or ALL")
	}
	return target, p.expectEnd()
}

// parseKill parses KILL JOB 'id' and KILL LIVE QUERY 'id'.
func (p *parser) parseKill() (Statement, error) {
	p.i++ // KILL
	t := p.peek()
	switch {
	case p.acceptKeyword("JOB"):
		id, err := p.nonEmptyString("job id")
		if err != nil {
			return nil, err
		}
		return &KillJob{base: base{p.stmtText}, JobID: id}, p.expectEnd()
	case p.acceptKeyword("LIVE"):
		if err := p.expectKeyword("QUERY"); err != nil {
			return nil, err
		}
		id, err := p.nonEmptyString("live query id")
		if err != nil {
			return nil, err
		}
		return &KillLiveQuery{base: base{p.stmtText}, LiveID: id}, p.expectEnd()
	}
	return nil, p.syntaxError(t, "JOB or LIVE QUERY")
}

// parseBackup parses BACKUP DATABASE [IF EXISTS] ns TO '/path'.
func (p *parser) parseBackup() (Statement, error) {
	p.i++ // BACKUP
	st := &BackupDatabase{base: base{p.stmtText}}
	var err error
	if st.Namespace, st.Path, st.IfExists, err = p.databaseAndPath("TO", p.acceptIfExists); err != nil {
		return nil, err
	}
	return st, nil
}

// parseRestore parses RESTORE DATABASE [IF NOT EXISTS] ns FROM '/path'.
func (p *parser) parseRestore() (Statement, error) {
	p.i++ // RESTORE
	st := &RestoreDatabase{base: base{p.stmtText}}
	var err error
	if st.Namespace, st.Path, st.IfNotExists, err = p.databaseAndPath("FROM", p.acceptIfNotExists); err != nil {
		return nil, err
	}
	return st, nil
}

// databaseAndPath parses DATABASE [IF [NOT] EXISTS] ns prep 'path'.
func (p *parser) databaseAndPath(prep string, ifClause func() (bool, error)) (ns, path string, ifClauseSet bool, err error) {
	if err = p.expectKeyword("DATABASE"); err != nil {
		return "", "", false, err
	}
	if ifClauseSet, err = ifClause(); err != nil {
		return "", "", false, err
	}
	if ns, err = p.name(nameNamespace); err != nil {
		return "", "", false, err
	}
	if err = p.expectKeyword(prep); err != nil {
		return "", "", false, err
	}
	if path, err = p.nonEmptyString("backup path"); err != nil {
		return "", "", false, err
	}
	return ns, path, ifClauseSet, p.expectEnd()
}

// parseShowBackup parses SHOW BACKUP FOR DATABASE ns after BACKUP.
func (p *parser) parseShowBackup() (Statement, error) {
	if err := p.expectKeywords("FOR", "DATABASE"); err != nil {
		return nil, err
	}
	st := &ShowBackup{base: base{p.stmtText}}
	var err error
	if st.Namespace, err = p.name(nameNamespace); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}

// parseTransaction parses BEGIN [TRANSACTION|WORK], START TRANSACTION,
// COMMIT [TRANSACTION|WORK] and ROLLBACK [TRANSACTION|WORK].
func (p *parser) parseTransaction() (Statement, error) {
	t := p.advance()
	var st Statement
	switch {
	case p.isKeyword(t, "START"):
		if err := p.expectKeyword("TRANSACTION"); err != nil {
			return nil, err
		}
		return &Begin{base{p.stmtText}}, p.expectEnd()
	case p.isKeyword(t, "BEGIN"):
		st = &Begin{base{p.stmtText}}
	case p.isKeyword(t, "COMMIT"):
		st = &Commit{base{p.stmtText}}
	default:
		st = &Rollback{base{p.stmtText}}
	}
	if !p.acceptKeyword("TRANSACTION") {
		p.acceptKeyword("WORK")
	}
	return st, p.expectEnd()
}

// parseExecuteAs parses EXECUTE AS USER name ( <one statement> ). The inner
// statement is the text between the balanced parentheses (the lexer already
// kept strings and comments apart), parsed like any statement, with error
// positions still relative to the whole request.
func (p *parser) parseExecuteAs() (Statement, error) {
	if !p.isKeyword(p.peekAt(1), "AS") {
		return nil, p.unsupported(1, "only EXECUTE AS USER is supported")
	}
	p.i += 2 // EXECUTE AS
	if err := p.expectKeyword("USER"); err != nil {
		return nil, err
	}
	st := &ExecuteAs{base: base{p.stmtText}}
	var err error
	if st.User, err = p.userName(); err != nil {
		return nil, err
	}
	open := p.peek()
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	depth, closeIdx := 1, -1
	for j := p.i; j < len(p.toks) && p.toks[j].kind != TokEOF; j++ {
		switch {
		case p.isPunct(p.toks[j], "("):
			depth++
		case p.isPunct(p.toks[j], ")"):
			depth--
		}
		if depth == 0 {
			closeIdx = j
			break
		}
	}
	if closeIdx < 0 {
		return nil, p.errAt(open.pos, "EXECUTE AS USER: the '(' at position %d is never closed", p.origin+open.pos+1)
	}
	if closeIdx == p.i {
		return nil, p.errAt(p.toks[closeIdx].pos, "EXECUTE AS USER needs a statement inside the parentheses")
	}
	innerStart, innerEnd := p.toks[p.i].pos, p.toks[closeIdx-1].end
	p.i = closeIdx + 1
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	inner, err := parseStatement(source{text: p.text[innerStart:innerEnd], origin: p.origin + innerStart, full: p.full})
	if err != nil {
		return nil, err
	}
	switch inner.Kind() {
	case KindExecuteAs:
		return nil, p.errAt(innerStart, "EXECUTE AS USER cannot be nested")
	case KindBegin, KindCommit, KindRollback:
		return nil, p.errAt(innerStart, "EXECUTE AS USER cannot wrap %s; put EXECUTE AS USER statements inside the transaction instead", inner.Kind())
	}
	st.Inner = inner
	return st, nil
}

// topicsUnsupported refuses the topic statements of KalamDB's reference
// (CREATE/ALTER/DROP/CLEAR TOPIC, CONSUME, ACK): this server has no
// topics.
func (p *parser) topicsUnsupported(t token) error {
	return p.codeAt(apierror.Unsupported, t.pos, "topics are not supported by this server (%s): follow a table's changes with a live query over the WebSocket (/v1/ws)", asciiUpper(p.raw(t)))
}
