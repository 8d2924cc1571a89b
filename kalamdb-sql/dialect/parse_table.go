package dialect

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// parseCreateTable parses CREATE [USER|SHARED|STREAM] TABLE after the TABLE
// keyword. typeWord is the type written before TABLE, or "" when none was.
//
//	CREATE [USER|SHARED|STREAM] TABLE [IF NOT EXISTS] [ns.]t (
//	  col TYPE [NOT NULL|NULL] [DEFAULT expr] [PRIMARY KEY], ...
//	  [, PRIMARY KEY (col)]
//	) [WITH (option = value, ...)]
func (p *parser) parseCreateTable(typeWord TableType) (Statement, error) {
	st := &CreateTable{base: base{p.stmtText}}
	var err error
	if st.IfNotExists, err = p.acceptIfNotExists(); err != nil {
		return nil, err
	}
	if st.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	if t := p.peek(); p.isPunct(t, ")") {
		return nil, p.errAt(t.pos, "a table needs at least one column")
	}

	var (
		seen     = make(map[string]bool)
		infos    []columnInfo
		pkClause token // the column named by PRIMARY KEY (col)
	)
	for {
		if t := p.peek(); p.isKeyword(t, "CONSTRAINT") {
			// CONSTRAINT name PRIMARY KEY (col): the name is accepted and
			// not kept (a table has one primary key and no other
			// constraints to tell apart).
			p.i++
			if _, _, err := p.ident("constraint name"); err != nil {
				return nil, err
			}
			if c := p.peek(); !(p.isKeyword(c, "PRIMARY") && p.isKeyword(p.peekAt(1), "KEY")) {
				if c.kind == TokWord {
					return nil, p.errAt(c.pos, "only PRIMARY KEY constraints are supported, not %s", asciiUpper(p.raw(c)))
				}
				return nil, p.syntaxError(c, "PRIMARY KEY")
			}
		}
		if t := p.peek(); p.isKeyword(t, "PRIMARY") && p.isKeyword(p.peekAt(1), "KEY") {
			p.i += 2
			if st.PrimaryKey != "" {
				return nil, p.errAt(t.pos, "multiple primary keys for table %q are not allowed", st.Table.Name)
			}
			if err := p.expectPunct("("); err != nil {
				return nil, err
			}
			pkClause = p.peek()
			if st.PrimaryKey, err = p.name(nameColumn); err != nil {
				return nil, err
			}
			if c := p.peek(); p.isPunct(c, ",") {
				return nil, p.errAt(c.pos, "composite primary keys are not supported: declare a single primary key column")
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		} else {
			col, info, err := p.columnDef(colCreate, st.Table.Name)
			if err != nil {
				return nil, err
			}
			if seen[col.Name] {
				return nil, p.errAt(info.nameTok.pos, "column %q specified more than once", col.Name)
			}
			seen[col.Name] = true
			if col.PrimaryKey {
				if st.PrimaryKey != "" {
					return nil, p.errAt(info.pkTok.pos, "multiple primary keys for table %q are not allowed", st.Table.Name)
				}
				st.PrimaryKey = col.Name
			}
			st.Columns = append(st.Columns, col)
			infos = append(infos, info)
		}
		if p.acceptPunct(",") {
			continue
		}
		if t := p.peek(); !p.isPunct(t, ")") {
			return nil, p.syntaxError(t, "',' or ')'")
		}
		p.i++
		break
	}

	if pkClause.kind != TokEOF {
		found := false
		for i := range st.Columns {
			c := &st.Columns[i]
			if c.Name != st.PrimaryKey {
				continue
			}
			// An explicit NULL does not make a key nullable (PostgreSQL
			// accepts it and makes the key NOT NULL all the same).
			c.PrimaryKey, c.NotNull, found = true, true, true
		}
		if !found {
			return nil, p.errAt(pkClause.pos, "column %q named in key does not exist", st.PrimaryKey)
		}
	}
	var keys optionKeys
	if p.acceptKeyword("WITH") {
		if st.Options, keys, err = p.tableOptions(false); err != nil {
			return nil, err
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}

	st.TableType = typeWord
	if st.Options.Type != "" {
		if typeWord != "" && typeWord != st.Options.Type {
			return nil, p.errAt(keys[optType].pos, "the table is declared as %s TABLE but its TYPE option is %s", typeWord, st.Options.Type)
		}
		st.TableType = st.Options.Type
	}
	if st.TableType == "" {
		st.TableType = TableTypeUser
	}
	if err := p.checkOptionsFit(st.TableType, &keys); err != nil {
		return nil, err
	}
	return st, nil
}

// columnForm says which statement a column definition is part of; each
// allows a different subset of the column clauses.
type columnForm uint8

const (
	colCreate columnForm = iota // CREATE TABLE: everything
	colAdd                      // ALTER TABLE ADD COLUMN: no PRIMARY KEY
	colModify                   // ALTER TABLE MODIFY COLUMN: type and nullability only
)

// columnInfo is where the parts of a column definition were written, for
// errors found after the whole definition (or table) is parsed.
type columnInfo struct {
	nameTok token
	pkTok   token // PRIMARY KEY, if any
}

// columnDef parses  name TYPE [NOT NULL|NULL] [DEFAULT expr] [PRIMARY KEY]
// of table (named in messages) with the clauses in any order, DEFAULT and
// PRIMARY KEY at most once.
func (p *parser) columnDef(form columnForm, table string) (ColumnDef, columnInfo, error) {
	var info columnInfo
	info.nameTok = p.peek()
	name, err := p.name(nameColumn)
	if err != nil {
		return ColumnDef{}, info, err
	}
	col := ColumnDef{Name: name}
	if col.Type, err = p.dataType(); err != nil {
		return ColumnDef{}, info, err
	}

	var notNullTok, nullTok, defaultTok token
clauses:
	for {
		t := p.peek()
		if t.kind != TokWord {
			break
		}
		var (
			kw     = asciiUpper(p.raw(t))
			clause *token // where this clause's token is recorded
		)
		switch kw {
		case "NOT":
			clause = &notNullTok
		case "NULL":
			clause = &nullTok
		case "DEFAULT":
			if form == colModify {
				return ColumnDef{}, info, p.errAt(t.pos, "MODIFY COLUMN cannot set a DEFAULT")
			}
			clause = &defaultTok
		case "PRIMARY":
			if form != colCreate {
				return ColumnDef{}, info, p.errAt(t.pos, "a PRIMARY KEY can only be declared by CREATE TABLE")
			}
			clause = &info.pkTok
		case "UNIQUE", "CHECK", "REFERENCES", "CONSTRAINT", "COLLATE", "COMMENT",
			"AUTO_INCREMENT", "AUTOINCREMENT", "GENERATED", "IDENTITY", "ON":
			return ColumnDef{}, info, p.errAt(t.pos, "%s is not supported in a column definition", kw)
		default:
			break clauses
		}
		// PostgreSQL accepts NOT NULL NOT NULL (and NULL NULL): a repeat
		// says nothing new. The first one is the one recorded.
		repeatable := kw == "NOT" || kw == "NULL"
		if clause.kind != TokEOF && !repeatable {
			if kw == "PRIMARY" {
				return ColumnDef{}, info, p.errAt(t.pos, "multiple primary keys for table %q are not allowed", table)
			}
			return ColumnDef{}, info, p.errAt(t.pos, "multiple default values specified for column %q of table %q", name, table)
		}
		if clause.kind == TokEOF {
			*clause = t
		}
		p.i++
		switch kw {
		case "NOT":
			err = p.expectKeyword("NULL")
		case "PRIMARY":
			err = p.expectKeyword("KEY")
		case "DEFAULT":
			lit := p.peek()
			if col.Default, err = p.defaultExpr(); err == nil {
				err = p.booleanDefault(col, lit)
			}
		}
		if err != nil {
			return ColumnDef{}, info, err
		}
	}

	if notNullTok.kind != TokEOF && nullTok.kind != TokEOF {
		later := notNullTok
		if nullTok.pos > later.pos {
			later = nullTok
		}
		return ColumnDef{}, info, p.errAt(later.pos, "conflicting NULL/NOT NULL declarations for column %q of table %q", name, table)
	}
	col.PrimaryKey = info.pkTok.kind != TokEOF
	col.NotNull = notNullTok.kind != TokEOF || col.PrimaryKey
	return col, info, nil
}

// booleanDefault reads a BOOLEAN column's string DEFAULT (at token lit)
// as PostgreSQL reads an untyped literal of the column's type: DEFAULT
// 'yes' is DEFAULT TRUE.
func (p *parser) booleanDefault(col ColumnDef, lit token) error {
	text, ok := col.Default.stringLiteral()
	if !ok || col.Type.Name != TypeBoolean {
		return nil
	}
	b, ok := ParseBool(text)
	if !ok {
		return p.errAt(lit.pos, "invalid input syntax for type boolean: %q", snippet(text))
	}
	col.Default.Literal = b
	return nil
}

// paramName names the i-th parameter of a type in messages.
func paramName(word string, i int) string {
	switch {
	case word == "DECIMAL" || word == "NUMERIC":
		if i == 0 {
			return "DECIMAL precision"
		}
		return "DECIMAL scale"
	case i == 0:
		return word + " length"
	}
	return word + " parameter"
}

// dataType parses a column type and resolves its aliases through the
// type table (types.go): a type word, PRECISION after DOUBLE, and the
// parameters the type takes.
func (p *parser) dataType() (DataType, error) {
	t := p.peek()
	var word string
	switch t.kind {
	case TokWord:
		word = asciiUpper(p.raw(t))
	case TokQuotedIdent:
		// A quoted name is not folded: only PostgreSQL's own names of the
		// types name one ("int4" does; "int", "INT4" and "integer" do not).
		name := unquote(p.raw(t))
		if !quotedTypeNames[name] {
			return DataType{}, p.errAt(t.pos, "type \"%s\" does not exist", snippet(name))
		}
		word = asciiUpper(name)
	default:
		return DataType{}, p.syntaxError(t, "a column type")
	}
	p.i++
	if word == "DOUBLE" {
		p.acceptKeyword("PRECISION")
	}
	var params []int64
	var paramToks []token
	// The parentheses after a word the type table does not know are not
	// read as its parameters: ResolveType names the unknown type (ENUM('a'),
	// or MySQL's "KEY idx (c)" line read as a column of type IDX, would say
	// "expected ENUM length").
	_, known := LookupType(word)
	if open := p.peek(); known && p.isPunct(open, "(") {
		if _, max := typeParams(word); max == 0 {
			return DataType{}, p.errAt(open.pos, "type %s takes no parameters", word)
		}
		p.i++
		for {
			// A sign is read as PostgreSQL reads a type modifier
			// (NUMERIC(3,-2)), for ResolveType to judge the value.
			sign := p.peek()
			neg := p.isPunct(sign, "-")
			if neg || p.isPunct(sign, "+") {
				p.i++
			}
			n, nt, err := p.intLit(paramName(word, len(params)))
			if err != nil {
				return DataType{}, err
			}
			if neg {
				n, nt = -n, sign
			}
			params, paramToks = append(params, n), append(paramToks, nt)
			if !p.acceptPunct(",") {
				break
			}
		}
		if err := p.expectPunct(")"); err != nil {
			return DataType{}, err
		}
	}
	// A type word is unquoted: PostgreSQL folds it to lower case, and an
	// unknown one is named so.
	dt, err := ResolveType(asciiLower(word), params)
	if err != nil {
		at := t
		if known && len(paramToks) > 0 {
			// Point at the parameter at fault when there is one.
			at = paramToks[len(paramToks)-1]
			if len(paramToks) > 1 && (params[0] < 1 || params[0] > 38) {
				at = paramToks[0]
			}
		}
		code := apierror.InvalidSQL
		var unsupported UnsupportedTypeError
		if errors.As(err, &unsupported) {
			code = apierror.Unsupported
		}
		return DataType{}, p.codeAt(code, at.pos, "%s", err.Error())
	}
	return dt, nil
}

// quotedTypeNames are PostgreSQL's own names of the types the type table
// has, which a quoted type name must be.
var quotedTypeNames = map[string]bool{
	"int2": true, "int4": true, "int8": true, "float4": true, "float8": true, "numeric": true,
	"text": true, "varchar": true, "bool": true, "bytea": true, "json": true, "jsonb": true,
	"timestamp": true, "date": true, "time": true, "uuid": true,
}

// defaultFunctions are the functions a DEFAULT may call.
const defaultFunctionList = "SNOWFLAKE_ID(), UUID_V7(), ULID(), NOW()"

// defaultExpr parses the value of a DEFAULT clause: one of the generator
// functions, or a constant expression (defaultexpr.go), folded to the
// value it always has. A lone literal keeps an empty Type: its column's
// type reads it.
func (p *parser) defaultExpr() (*DefaultExpr, error) {
	start := p.peek()
	if start.kind == TokEOF || p.endsDefault(start) && !p.isKeyword(start, "NULL") {
		return nil, p.syntaxError(start, "a DEFAULT value")
	}
	first := p.i
	d := &DefaultExpr{Kind: DefaultLiteral}
	if fn, ok := p.generator(start); ok {
		if err := p.generatorCall(start, fn); err != nil {
			return nil, err
		}
		d.Kind, d.Function = DefaultFunction, fn
		if t := p.peek(); !p.endsDefault(t) {
			return nil, p.codeAt(apierror.Unsupported, t.pos, "a DEFAULT %s() cannot be part of an expression: write it alone", fn)
		}
	} else {
		c, err := p.constExpr(0)
		if err != nil {
			return nil, err
		}
		if t := p.peek(); !p.endsDefault(t) {
			return nil, p.syntaxError(t, "',' or ')'")
		}
		if n, ok := c.v.(decimal.Decimal); ok {
			// The catalog stores a numeric as its text, and a text
			// column gets that text at every insert: the digits it has
			// beyond those written (1e1000 * 1e1000 has 2001) count as
			// numeric work, as a cast to text does.
			written := int64(p.toks[p.i-1].end - start.pos)
			if extra := numericDigits(n) - written; extra > 0 {
				if err := p.chargeDigits(start.pos, extra); err != nil {
					return nil, err
				}
			}
		}
		d.Literal = c.v
		if !p.loneLiteral(first) {
			d.Type = c.typ
		}
	}
	d.Text = p.text[start.pos:p.toks[p.i-1].end]
	return d, nil
}

// generator says whether t starts a generator function call.
func (p *parser) generator(t token) (string, bool) {
	if t.kind != TokWord {
		return "", false
	}
	switch kw := asciiUpper(p.raw(t)); kw {
	case "CURRENT_TIMESTAMP":
		return "NOW", true
	case "SNOWFLAKE_ID", "UUID_V7", "ULID", "NOW":
		return kw, p.isPunct(p.peekAt(1), "(")
	}
	return "", false
}

// generatorCall parses the call of generator fn that starts at t.
func (p *parser) generatorCall(t token, fn string) error {
	p.i++
	if fn == "NOW" && asciiUpper(p.raw(t)) == "CURRENT_TIMESTAMP" {
		if p.acceptPunct("(") {
			return p.expectPunct(")")
		}
		return nil
	}
	if err := p.expectPunct("("); err != nil {
		return err
	}
	if a := p.peek(); !p.isPunct(a, ")") {
		return p.errAt(a.pos, "%s() takes no arguments", fn)
	}
	p.i++
	return nil
}

// loneLiteral reports whether the DEFAULT parsed from token first on is
// one literal (a signed number counts as one).
func (p *parser) loneLiteral(first int) bool {
	switch p.i - first {
	case 1:
		return true
	case 2:
		return p.toks[first].kind == TokPunct && p.toks[first+1].kind == TokNumber
	}
	return false
}

// number converts a numeric literal: int64 when it is an integer that fits,
// else an exact decimal (PostgreSQL's numeric), digit for digit.
func (p *parser) number(t token, sign string) (any, error) {
	text := p.raw(t)
	if sign == "-" {
		text = "-" + text
	}
	if !strings.ContainsAny(text, ".eE") {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
	}
	if shape, ok := ReadNumericShape(text); ok && shape.InNumericRange() {
		// Converting costs time quadratic in the significant digits (a
		// float64, as literals were read before, cost microseconds).
		if err := p.chargeDigits(t.pos, shape.Before+shape.After); err != nil {
			return nil, err
		}
	}
	d, ok, overflow := ParseNumeric(text)
	if overflow {
		return nil, p.errAt(t.pos, "value overflows numeric format")
	}
	if !ok {
		return nil, p.errAt(t.pos, "invalid number %s", snippet(text))
	}
	return d, nil
}

// tableOption identifies a WITH / TBLPROPERTIES option.
type tableOption uint8

const (
	optType tableOption = iota
	optStorageID
	optFlushPolicy
	optDeletedRetentionHours
	optTTLSeconds
	optMaxBuffer
	optEphemeral
	optAccessLevel
	optUseUserStorage
	numTableOptions
)

var tableOptionNames = [numTableOptions]string{
	optType: "TYPE", optStorageID: "STORAGE_ID", optFlushPolicy: "FLUSH_POLICY",
	optDeletedRetentionHours: "DELETED_RETENTION_HOURS", optTTLSeconds: "TTL_SECONDS",
	optMaxBuffer: "MAX_BUFFER", optEphemeral: "EPHEMERAL", optAccessLevel: "ACCESS_LEVEL",
	optUseUserStorage: "USE_USER_STORAGE",
}

const tableOptionList = "TYPE, STORAGE_ID, FLUSH_POLICY, DELETED_RETENTION_HOURS, TTL_SECONDS, MAX_BUFFER, EPHEMERAL, ACCESS_LEVEL, USE_USER_STORAGE"

// optionKeys records where each given option's name was written (the zero
// token, of kind TokEOF, for options not given), for checks that can only
// run once the whole list is known.
type optionKeys [numTableOptions]token

// optionValue is the value of one option as written.
type optionValue struct {
	tok    token
	text   string // decoded string, or the word or number as written (with sign)
	quoted bool
}

// tableOptions parses ( name = value [, ...] ). Names are case-insensitive
// and may be quoted (TBLPROPERTIES ('flush_policy' = ...) is common);
// values may be quoted strings, numbers, TRUE/FALSE or bare words.
func (p *parser) tableOptions(alter bool) (TableOptions, optionKeys, error) {
	var (
		opts TableOptions
		keys optionKeys
	)
	if err := p.expectPunct("("); err != nil {
		return opts, keys, err
	}
	if t := p.peek(); p.isPunct(t, ")") {
		return opts, keys, p.errAt(t.pos, "the option list is empty")
	}
	for {
		kt := p.peek()
		var key string
		switch kt.kind {
		case TokWord:
			key = p.raw(kt)
		case TokString, TokQuotedIdent:
			key = unquote(p.raw(kt))
		default:
			return opts, keys, p.syntaxError(kt, "an option name")
		}
		p.i++
		opt := lookupTableOption(key)
		if opt == numTableOptions {
			return opts, keys, p.errAt(kt.pos, "unknown table option '%s' (options are %s)", snippet(key), tableOptionList)
		}
		if keys[opt].kind != TokEOF {
			return opts, keys, p.errAt(kt.pos, "option %s is given more than once", tableOptionNames[opt])
		}
		if alter && opt == optType {
			return opts, keys, p.errAt(kt.pos, "the table type cannot be changed by ALTER TABLE")
		}
		keys[opt] = kt
		if err := p.expectPunct("="); err != nil {
			return opts, keys, err
		}
		v, err := p.optionValue()
		if err != nil {
			return opts, keys, err
		}
		if err := p.applyTableOption(&opts, opt, v); err != nil {
			return opts, keys, err
		}
		if p.acceptPunct(",") {
			continue
		}
		if t := p.peek(); !p.isPunct(t, ")") {
			return opts, keys, p.syntaxError(t, "',' or ')'")
		}
		p.i++
		return opts, keys, nil
	}
}

func lookupTableOption(key string) tableOption {
	for opt, name := range tableOptionNames {
		if eqFold(key, name) {
			return tableOption(opt)
		}
	}
	return numTableOptions
}

func (p *parser) optionValue() (optionValue, error) {
	t := p.peek()
	switch t.kind {
	case TokString:
		p.i++
		return optionValue{tok: t, text: unquote(p.raw(t)), quoted: true}, nil
	case TokWord, TokNumber:
		p.i++
		return optionValue{tok: t, text: p.raw(t)}, nil
	case TokPunct:
		if n := p.peekAt(1); p.raw(t) == "-" && n.kind == TokNumber {
			p.i += 2
			return optionValue{tok: t, text: "-" + p.raw(n)}, nil
		}
	}
	return optionValue{}, p.syntaxError(t, "an option value")
}

func (p *parser) applyTableOption(opts *TableOptions, opt tableOption, v optionValue) error {
	name := tableOptionNames[opt]
	switch opt {
	case optType:
		switch tt := TableType(asciiUpper(v.text)); tt {
		case TableTypeUser, TableTypeShared, TableTypeStream:
			opts.Type = tt
		default:
			return p.errAt(v.tok.pos, "invalid TYPE '%s': expected USER, SHARED or STREAM", snippet(v.text))
		}
	case optStorageID:
		id := asciiLower(v.text)
		if !validName(id) {
			return p.errAt(v.tok.pos, "invalid STORAGE_ID '%s': a storage name must start with a letter or '_', contain only letters, digits and '_', and be at most %d characters long", snippet(v.text), maxNameLen)
		}
		opts.StorageID = id
	case optFlushPolicy:
		fp, ok := parseFlushPolicy(v.text)
		if !ok {
			return p.errAt(v.tok.pos, "invalid FLUSH_POLICY '%s': expected 'rows:N', 'interval:S' or 'rows:N,interval:S' with N and S positive integers", snippet(v.text))
		}
		if fp.IntervalSeconds > MaxFlushIntervalSeconds {
			return p.errAt(v.tok.pos, "FLUSH_POLICY interval %d is out of range (at most %d, a century)", fp.IntervalSeconds, int64(MaxFlushIntervalSeconds))
		}
		opts.FlushPolicy = &fp
	case optDeletedRetentionHours, optTTLSeconds, optMaxBuffer:
		min, max := int64(1), int64(math.MaxInt64)
		switch opt {
		case optDeletedRetentionHours:
			min, max = 0, MaxDeletedRetentionHours
		case optTTLSeconds:
			max = MaxTTLSeconds
		}
		n, err := p.optionInt(name, v, min, max)
		if err != nil {
			return err
		}
		switch opt {
		case optDeletedRetentionHours:
			opts.DeletedRetentionHours = &n
		case optTTLSeconds:
			opts.TTLSeconds = &n
		default:
			opts.MaxBuffer = &n
		}
	case optEphemeral:
		var b bool
		switch {
		case eqFold(v.text, "TRUE"):
			b = true
		case eqFold(v.text, "FALSE"):
		default:
			return p.errAt(v.tok.pos, "EPHEMERAL must be true or false, got '%s'", snippet(v.text))
		}
		opts.Ephemeral = &b
	case optUseUserStorage:
		// KalamDB can keep a USER table's files in a storage of each
		// user's; here a table's files are all in its STORAGE_ID, which
		// is what FALSE (KalamDB's default) means.
		switch {
		case eqFold(v.text, "FALSE"):
		case eqFold(v.text, "TRUE"):
			return p.codeAt(apierror.Unsupported, v.tok.pos, "USE_USER_STORAGE = TRUE is not supported: a table's files are in its STORAGE_ID for every user")
		default:
			return p.errAt(v.tok.pos, "USE_USER_STORAGE must be true or false, got '%s'", snippet(v.text))
		}
	case optAccessLevel:
		switch lvl := asciiUpper(v.text); lvl {
		case "PUBLIC", "PRIVATE", "RESTRICTED":
			opts.AccessLevel = lvl
		default:
			return p.errAt(v.tok.pos, "invalid ACCESS_LEVEL '%s': expected PUBLIC, PRIVATE or RESTRICTED", snippet(v.text))
		}
	}
	return nil
}

// MaxDeletedRetentionHours, MaxTTLSeconds and MaxFlushIntervalSeconds
// bound the durations a table sets (a century each): past them a
// duration in nanoseconds overflows, and a retention that wrapped
// negative would purge every deleted row, a TTL every event.
const (
	MaxDeletedRetentionHours = 100 * 365 * 24
	MaxTTLSeconds            = 100 * 365 * 24 * 3600
	MaxFlushIntervalSeconds  = MaxTTLSeconds
)

// optionInt converts an integer option value (bare or quoted) of at least
// min and at most max.
func (p *parser) optionInt(name string, v optionValue, min, max int64) (int64, error) {
	n, err := strconv.ParseInt(v.text, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, p.errAt(v.tok.pos, "%s %s is out of range", name, snippet(v.text))
		}
		return 0, p.errAt(v.tok.pos, "%s must be an integer, got '%s'", name, snippet(v.text))
	}
	if n < min {
		if min == 0 {
			return 0, p.errAt(v.tok.pos, "%s must not be negative, got %d", name, n)
		}
		return 0, p.errAt(v.tok.pos, "%s must be positive, got %d", name, n)
	}
	if n > max {
		return 0, p.errAt(v.tok.pos, "%s %d is out of range (at most %d, a century)", name, n, max)
	}
	return n, nil
}

// parseFlushPolicy parses 'rows:N', 'interval:S' or both, comma separated
// in either order, N and S positive. Spaces around the parts are allowed.
func parseFlushPolicy(v string) (FlushPolicy, bool) {
	var fp FlushPolicy
	parts := strings.Split(v, ",")
	if len(parts) > 2 {
		return fp, false
	}
	for _, part := range parts {
		key, num, ok := strings.Cut(part, ":")
		if !ok {
			return fp, false
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 {
			return fp, false
		}
		switch key = strings.TrimSpace(key); {
		case eqFold(key, "ROWS") && fp.Rows == 0:
			fp.Rows = n
		case eqFold(key, "INTERVAL") && fp.IntervalSeconds == 0:
			fp.IntervalSeconds = n
		default:
			return fp, false
		}
	}
	return fp, true
}

// checkOptionsFit rejects options that cannot apply to a table of type tt.
// This needs no catalog: the type is in the statement.
func (p *parser) checkOptionsFit(tt TableType, keys *optionKeys) error {
	for opt, kt := range keys {
		if kt.kind == TokEOF {
			continue
		}
		name := tableOptionNames[opt]
		switch tableOption(opt) {
		case optTTLSeconds, optMaxBuffer, optEphemeral:
			if tt != TableTypeStream {
				return p.errAt(kt.pos, "%s applies to STREAM tables only, not to %s tables", name, tt)
			}
		case optAccessLevel:
			if tt != TableTypeShared {
				return p.errAt(kt.pos, "ACCESS_LEVEL applies to SHARED tables only, not to %s tables", tt)
			}
		case optFlushPolicy, optStorageID:
			if tt == TableTypeStream {
				return p.errAt(kt.pos, "%s does not apply to STREAM tables: stream events stay in hot storage and are never flushed", name)
			}
		case optDeletedRetentionHours:
			if tt == TableTypeStream {
				return p.errAt(kt.pos, "DELETED_RETENTION_HOURS does not apply to STREAM tables: they have no soft-deleted rows")
			}
		}
	}
	return nil
}

// parseAlterTable parses ALTER TABLE after the TABLE keyword.
//
//	ALTER TABLE [ns.]t ADD [COLUMN] c TYPE [NOT NULL|NULL] [DEFAULT v]
//	ALTER TABLE [ns.]t DROP [COLUMN] c
//	ALTER TABLE [ns.]t MODIFY [COLUMN] c TYPE [NOT NULL|NULL]
//	ALTER TABLE [ns.]t SET TBLPROPERTIES (option = value, ...)
func (p *parser) parseAlterTable() (Statement, error) {
	st := &AlterTable{base: base{p.stmtText}}
	var err error
	if st.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case p.isKeyword(t, "ADD"), p.isKeyword(t, "MODIFY"):
		p.i++
		p.acceptKeyword("COLUMN")
		form, op := colAdd, AlterAddColumn
		if p.isKeyword(t, "MODIFY") {
			form, op = colModify, AlterModifyColumn
		}
		col, _, err := p.columnDef(form, st.Table.Name)
		if err != nil {
			return nil, err
		}
		st.Op, st.Column = op, &col
	case p.isKeyword(t, "DROP"):
		p.i++
		p.acceptKeyword("COLUMN")
		if st.ColumnName, err = p.name(nameColumn); err != nil {
			return nil, err
		}
		st.Op = AlterDropColumn
	case p.isKeyword(t, "SET"):
		p.i++
		if err := p.expectKeyword("TBLPROPERTIES"); err != nil {
			return nil, err
		}
		if st.Options, _, err = p.tableOptions(true); err != nil {
			return nil, err
		}
		st.Op = AlterSetProperties
	case p.isKeyword(t, "ALTER"):
		// PostgreSQL's ALTER COLUMN: SET DEFAULT would change what rows
		// written before an ADD COLUMN read (they read the column's
		// DEFAULT), so no form of it is taken.
		return nil, p.codeAt(apierror.Unsupported, t.pos,
			"ALTER COLUMN is not supported: MODIFY COLUMN changes a column's type and nullability, and a DEFAULT is given when the column is created or added")
	default:
		return nil, p.syntaxError(t, "ADD, DROP, MODIFY or SET TBLPROPERTIES")
	}
	return st, p.expectEnd()
}

// parseDropTable parses DROP [USER|SHARED|STREAM] TABLE [IF EXISTS] [ns.]t
// after the TABLE keyword.
func (p *parser) parseDropTable(typeWord TableType) (Statement, error) {
	st := &DropTable{base: base{p.stmtText}, TableType: typeWord}
	var err error
	if st.IfExists, err = p.acceptIfExists(); err != nil {
		return nil, err
	}
	if st.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}

// parseShowTables parses SHOW TABLES [IN|FROM [NAMESPACE] ns] after TABLES.
func (p *parser) parseShowTables() (Statement, error) {
	st := &ShowTables{base: base{p.stmtText}}
	if p.acceptKeyword("IN") || p.acceptKeyword("FROM") {
		p.acceptNamespaceKeyword()
		var err error
		if st.Namespace, err = p.name(nameNamespace); err != nil {
			return nil, err
		}
	}
	return st, p.expectEnd()
}

// acceptNamespaceKeyword accepts the optional NAMESPACE of "IN [NAMESPACE]
// ns" and "USE [NAMESPACE] ns". A namespace that is itself called
// "namespace" must then be quoted, as with any keyword, which is better than
// reading "USE NAMESPACE" with a forgotten name as USE "namespace".
func (p *parser) acceptNamespaceKeyword() { p.acceptKeyword("NAMESPACE") }

// parseDescribe parses DESCRIBE|DESC [TABLE] [ns.]t [HISTORY].
func (p *parser) parseDescribe() (Statement, error) {
	p.i++ // DESCRIBE or DESC
	st := &DescribeTable{base: base{p.stmtText}}
	p.acceptKeyword("TABLE")
	var err error
	if st.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	st.History = p.acceptKeyword("HISTORY")
	return st, p.expectEnd()
}

// parseShowStats parses SHOW STATS FOR TABLE [ns.]t after STATS.
func (p *parser) parseShowStats() (Statement, error) {
	if err := p.expectKeywords("FOR", "TABLE"); err != nil {
		return nil, err
	}
	st := &ShowStats{base: base{p.stmtText}}
	var err error
	if st.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	return st, p.expectEnd()
}
