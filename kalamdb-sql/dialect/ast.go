package dialect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Statement is one parsed statement of a request. Standard SQL statements
// (SELECT, INSERT, UPDATE, DELETE, ...) are *StandardSQL and keep their text
// for the query engine, which parses them once more with its own parser;
// KalamDB statements are parsed into their own typed structs here.
type Statement interface {
	// Kind classifies the statement without a type switch, for permission
	// checks, metrics and routing.
	Kind() Kind
	// Text is the statement's source text, trimmed, without the trailing ';'.
	Text() string
}

// Kind classifies a statement. Every statement of the SQL surface (docs/api.md) has a
// kind; the zero value is never returned by the parser.
type Kind int

// Statement kinds.
const (
	KindInvalid Kind = iota

	// Standard SQL, executed by the query engine.
	KindSelect
	KindInsert
	KindUpdate
	KindDelete

	// Transactions.
	KindBegin
	KindCommit
	KindRollback

	// Namespaces.
	KindCreateNamespace
	KindDropNamespace
	KindAlterNamespace
	KindUseNamespace
	KindShowNamespaces

	// Tables.
	KindCreateTable
	KindAlterTable
	KindDropTable
	KindShowTables
	KindDescribeTable
	KindShowStats

	// Views.
	KindCreateView
	KindDropView

	// Users.
	KindCreateUser
	KindAlterUser
	KindDropUser

	// Storages, flush and compaction.
	KindCreateStorage
	KindAlterStorage
	KindDropStorage
	KindShowStorages
	KindStorageCheck
	KindStorageFlush
	KindStorageCompact
	KindShowManifest

	// Secondary indexes.
	KindCreateIndex
	KindDropIndex
	KindShowIndexes

	// Jobs and live queries.
	KindKillJob
	KindKillLiveQuery

	// Backups.
	KindBackupDatabase
	KindRestoreDatabase
	KindShowBackup

	// Impersonation.
	KindExecuteAs
)

var kindNames = [...]string{
	KindInvalid: "INVALID", KindSelect: "SELECT", KindInsert: "INSERT", KindUpdate: "UPDATE",
	KindDelete: "DELETE", KindBegin: "BEGIN", KindCommit: "COMMIT", KindRollback: "ROLLBACK",
	KindCreateNamespace: "CREATE NAMESPACE", KindDropNamespace: "DROP NAMESPACE",
	KindAlterNamespace: "ALTER NAMESPACE", KindUseNamespace: "USE NAMESPACE",
	KindShowNamespaces: "SHOW NAMESPACES", KindCreateTable: "CREATE TABLE",
	KindAlterTable: "ALTER TABLE", KindDropTable: "DROP TABLE", KindShowTables: "SHOW TABLES",
	KindDescribeTable: "DESCRIBE TABLE", KindShowStats: "SHOW STATS", KindCreateView: "CREATE VIEW",
	KindDropView: "DROP VIEW", KindCreateUser: "CREATE USER",
	KindAlterUser: "ALTER USER", KindDropUser: "DROP USER", KindCreateStorage: "CREATE STORAGE",
	KindAlterStorage: "ALTER STORAGE", KindDropStorage: "DROP STORAGE",
	KindShowStorages: "SHOW STORAGES", KindStorageCheck: "STORAGE CHECK",
	KindStorageFlush: "STORAGE FLUSH", KindStorageCompact: "STORAGE COMPACT",
	KindShowManifest: "SHOW MANIFEST", KindKillJob: "KILL JOB", KindKillLiveQuery: "KILL LIVE QUERY",
	KindBackupDatabase: "BACKUP DATABASE", KindRestoreDatabase: "RESTORE DATABASE",
	KindShowBackup: "SHOW BACKUP", KindExecuteAs: "EXECUTE AS USER",
	KindCreateIndex: "CREATE INDEX", KindDropIndex: "DROP INDEX", KindShowIndexes: "SHOW INDEXES",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "UNKNOWN"
}

// IsDDL reports whether the statement changes the catalog (namespaces,
// tables, indexes, views, storages). DDL needs the dba role.
func (k Kind) IsDDL() bool {
	switch k {
	case KindCreateNamespace, KindDropNamespace, KindAlterNamespace,
		KindCreateTable, KindAlterTable, KindDropTable, KindCreateIndex, KindDropIndex,
		KindCreateView, KindDropView,
		KindCreateStorage, KindAlterStorage, KindDropStorage:
		return true
	}
	return false
}

// IsDML reports whether the statement is a standard data statement run by
// the query engine.
func (k Kind) IsDML() bool {
	switch k {
	case KindSelect, KindInsert, KindUpdate, KindDelete:
		return true
	}
	return false
}

// base carries the source text shared by every statement.
type base struct{ text string }

func (b base) Text() string { return b.text }

// TableName is a possibly namespace-qualified table name. Identifiers are
// case-insensitive and stored lower-cased.
type TableName struct {
	Namespace string // empty: the session's current namespace
	Name      string
}

func (t TableName) String() string {
	if t.Namespace == "" {
		return t.Name
	}
	return t.Namespace + "." + t.Name
}

// TableType is the kind of a user-created table.
type TableType string

// Table types. SYSTEM tables are never created by SQL.
const (
	TableTypeUser   TableType = "USER"
	TableTypeShared TableType = "SHARED"
	TableTypeStream TableType = "STREAM"
	TableTypeSystem TableType = "SYSTEM"
)

// StandardSQL is a SELECT/INSERT/UPDATE/DELETE (including WITH ... SELECT)
// left for the query engine. It keeps where its text sits in the request,
// so that errors found later in the text (by PostgreSQL's parser, or while
// translating it) point into the request the client sent.
type StandardSQL struct {
	base
	kind Kind
	// offset is the byte offset of the text within request.
	offset  int
	request string
}

func (s *StandardSQL) Kind() Kind { return s.kind }

// NewStandardSQL returns a standard statement of the given kind (one of
// KindSelect, KindInsert, KindUpdate, KindDelete) for text, for callers
// that build statements without parsing (internal queries, tests). The text
// is trimmed of surrounding whitespace but otherwise not checked.
func NewStandardSQL(kind Kind, text string) *StandardSQL {
	t := strings.TrimSpace(text)
	return &StandardSQL{base: base{text: t}, kind: kind, request: t}
}

// LocateError rewrites the location of an error about the statement's
// text: Details "position" (1-based, within Text) becomes the position
// within the whole request, with its line and column. Other errors are
// returned unchanged.
func (s *StandardSQL) LocateError(err error) error {
	ae, ok := apierror.As(err)
	if !ok {
		return err
	}
	d, ok := ae.Details.(map[string]any)
	if !ok {
		return err
	}
	p, ok := d["position"].(int)
	if !ok {
		return err
	}
	src := source{text: s.request, full: s.request}
	pos, line, col := src.location(s.offset + p - 1)
	out := *ae
	out.Details = map[string]any{"position": pos, "line": line, "column": col}
	return &out
}

// ErrorAt is an error of the given code about text at byte offset off,
// with Details {"position", "line", "column"} (1-based, within text) like
// every positioned error of this package.
func ErrorAt(code apierror.Code, text string, off int, format string, args ...any) *apierror.Error {
	return source{text: text, full: text}.codeAt(code, off, format, args...)
}

// Snippet quotes user text inside an error message: at most 40 bytes, cut
// on a character boundary, control characters shown as spaces.
func Snippet(s string) string { return snippet(s) }

// Begin, Commit and Rollback delimit a transaction inside one request.
type Begin struct{ base }
type Commit struct{ base }
type Rollback struct{ base }

func (*Begin) Kind() Kind    { return KindBegin }
func (*Commit) Kind() Kind   { return KindCommit }
func (*Rollback) Kind() Kind { return KindRollback }

// CreateNamespace is CREATE NAMESPACE [IF NOT EXISTS] ns.
type CreateNamespace struct {
	base
	Name        string
	IfNotExists bool
}

func (*CreateNamespace) Kind() Kind { return KindCreateNamespace }

// DropNamespace is DROP NAMESPACE [IF EXISTS] ns [CASCADE].
type DropNamespace struct {
	base
	Name     string
	IfExists bool
	Cascade  bool
}

func (*DropNamespace) Kind() Kind { return KindDropNamespace }

// AlterNamespace is ALTER NAMESPACE ns SET DESCRIPTION '...'.
type AlterNamespace struct {
	base
	Name        string
	Description string
}

func (*AlterNamespace) Kind() Kind { return KindAlterNamespace }

// UseNamespace is USE ns, USE NAMESPACE ns or SET NAMESPACE ns.
type UseNamespace struct {
	base
	Name string
}

func (*UseNamespace) Kind() Kind { return KindUseNamespace }

// ShowNamespaces is SHOW NAMESPACES.
type ShowNamespaces struct{ base }

func (*ShowNamespaces) Kind() Kind { return KindShowNamespaces }

// TypeName is a column type of the data model (docs/sql.md). Aliases are
// resolved by the parser: VARCHAR and STRING are TEXT, INTEGER is INT, etc.
type TypeName string

// Column types.
const (
	TypeBoolean   TypeName = "BOOLEAN"
	TypeSmallInt  TypeName = "SMALLINT"
	TypeInt       TypeName = "INT"
	TypeBigInt    TypeName = "BIGINT"
	TypeFloat     TypeName = "FLOAT"
	TypeDouble    TypeName = "DOUBLE"
	TypeDecimal   TypeName = "DECIMAL"
	TypeText      TypeName = "TEXT"
	TypeBytes     TypeName = "BYTES"
	TypeJSON      TypeName = "JSON"
	TypeTimestamp TypeName = "TIMESTAMP"
	TypeDate      TypeName = "DATE"
	TypeDateTime  TypeName = "DATETIME"
	TypeTime      TypeName = "TIME"
	TypeUUID      TypeName = "UUID"
)

// DataType is a column type with its parameters.
type DataType struct {
	Name TypeName
	// Precision and Scale are set for DECIMAL(p,s) (defaults 38 and 10 when
	// not written); MaxLength for VARCHAR(n) (0: unbounded).
	Precision int
	Scale     int
	MaxLength int
}

// DefaultKind says what a DEFAULT clause holds.
type DefaultKind int

// Default kinds.
const (
	DefaultLiteral  DefaultKind = iota + 1 // a constant
	DefaultFunction                        // SNOWFLAKE_ID(), UUID_V7(), ULID(), NOW(), CURRENT_TIMESTAMP
)

// DefaultExpr is the value of a DEFAULT clause.
type DefaultExpr struct {
	Kind DefaultKind
	// Function is the upper-cased function name for DefaultFunction
	// (CURRENT_TIMESTAMP is reported as NOW).
	Function string
	// Literal is the constant for DefaultLiteral: nil (NULL), bool, int64,
	// decimal.Decimal (any other number written, or a numeric: exact, its
	// exponent the display scale, as NumericText prints it), float64 (a
	// real or double precision expression) or string.
	Literal any
	// Text is the clause as written, for DESCRIBE and the schema history.
	Text string
	// Type is PostgreSQL's name of the type of a DEFAULT written as an
	// expression or a typed literal ("integer", "text", "date"), whose
	// value Literal holds folded; empty for a lone literal, which its
	// column's type reads.
	Type string `json:"Type,omitempty"`
}

// MarshalJSON writes d as the catalog stores it: a numeric Literal as a
// JSON number of its digits (NumericText), which UnmarshalJSON reads back
// as the same decimal; encoding/json would write a decimal.Decimal as a
// string, read back as text.
func (d DefaultExpr) MarshalJSON() ([]byte, error) {
	type plain DefaultExpr
	n, ok := d.Literal.(decimal.Decimal)
	if !ok {
		return json.Marshal(plain(d))
	}
	return json.Marshal(struct {
		plain
		Literal json.RawMessage
	}{plain(d), json.RawMessage(NumericText(n))})
}

// UnmarshalJSON reads d as the catalog stores it (JSON), with Literal's
// numbers exact: an integer that fits as int64, any other number as a
// decimal.Decimal, but as a float64 for a real or double precision
// expression (Type). encoding/json reads every number of an any as a
// float64, which turned a BIGINT DEFAULT beyond 2^53 into another value
// (9223372036854775807 into -9223372036854775808) once a restart read
// the schema back, and a NUMERIC one of more than 17 digits too. A
// catalog written before numerics were exact holds a float64's digits,
// which read back as the same value.
func (d *DefaultExpr) UnmarshalJSON(b []byte) error {
	type plain DefaultExpr
	aux := struct {
		*plain
		Literal json.RawMessage
	}{plain: (*plain)(d)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	d.Literal = nil
	if len(aux.Literal) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(aux.Literal))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			v = i
		} else if d.Type == PgReal || d.Type == PgDouble {
			if v, err = n.Float64(); err != nil {
				return err
			}
		} else {
			// A restored backup's catalog is not trusted to be small.
			dec, ok, overflow := ParseNumeric(n.String())
			if !ok || overflow {
				return fmt.Errorf("DEFAULT %s: value overflows numeric format", Snippet(n.String()))
			}
			v = dec
		}
	}
	d.Literal = v
	return nil
}

// IsNull reports whether d gives no value: no DEFAULT, or DEFAULT NULL
// (of any type).
func (d *DefaultExpr) IsNull() bool {
	return d == nil || d.Kind == DefaultLiteral && d.Literal == nil
}

// stringLiteral is the text of a DEFAULT that is a string literal.
func (d *DefaultExpr) stringLiteral() (string, bool) {
	if d == nil || d.Kind != DefaultLiteral || d.Type != "" {
		return "", false
	}
	s, ok := d.Literal.(string)
	return s, ok
}

// ColumnDef is one column of CREATE TABLE or ALTER TABLE ADD/MODIFY COLUMN.
type ColumnDef struct {
	Name       string
	Type       DataType
	NotNull    bool
	Default    *DefaultExpr
	PrimaryKey bool
}

// FlushPolicy is the parsed FLUSH_POLICY option: 'rows:N', 'interval:S' or
// both, comma separated. Zero means not set.
type FlushPolicy struct {
	Rows            int64
	IntervalSeconds int64
}

// TableOptions are the WITH (...) options of CREATE TABLE and the
// TBLPROPERTIES of ALTER TABLE. A nil pointer or empty string is "not set".
type TableOptions struct {
	Type                  TableType
	StorageID             string
	FlushPolicy           *FlushPolicy
	DeletedRetentionHours *int64
	TTLSeconds            *int64
	MaxBuffer             *int64
	Ephemeral             *bool
	AccessLevel           string // PUBLIC, PRIVATE or RESTRICTED, upper-cased
}

// CreateTable is CREATE [USER|SHARED|STREAM] TABLE [IF NOT EXISTS] ...
// TableType is resolved: the type word, else the TYPE option, else USER; the
// two disagreeing is a parse error.
type CreateTable struct {
	base
	Table       TableName
	TableType   TableType
	IfNotExists bool
	Columns     []ColumnDef
	// PrimaryKey is the primary key column name (from a column's PRIMARY KEY
	// or a PRIMARY KEY (col) clause), or empty when none is declared.
	PrimaryKey string
	Options    TableOptions
}

func (*CreateTable) Kind() Kind { return KindCreateTable }

// AlterTableOp says which ALTER TABLE form a statement is.
type AlterTableOp int

// ALTER TABLE forms.
const (
	AlterAddColumn AlterTableOp = iota + 1
	AlterDropColumn
	AlterModifyColumn
	AlterSetProperties
)

// AlterTable is one ALTER TABLE statement. Column is set for ADD and MODIFY,
// ColumnName for DROP, Options for SET TBLPROPERTIES.
type AlterTable struct {
	base
	Table      TableName
	Op         AlterTableOp
	Column     *ColumnDef
	ColumnName string
	Options    TableOptions
}

func (*AlterTable) Kind() Kind { return KindAlterTable }

// DropTable is DROP [USER|SHARED|STREAM] TABLE [IF EXISTS] t. TableType is
// empty when no type word is written.
type DropTable struct {
	base
	Table     TableName
	TableType TableType
	IfExists  bool
}

func (*DropTable) Kind() Kind { return KindDropTable }

// CreateView is CREATE [OR REPLACE] VIEW [IF NOT EXISTS] [ns.]v [(col, ...)]
// AS query. The query is kept as written, to be stored and expanded when
// the view is read.
type CreateView struct {
	base
	View        TableName
	OrReplace   bool
	IfNotExists bool
	// Columns name the view's columns, in order (nil: the query's own
	// column names).
	Columns []string
	// Query is the view's query (SELECT, WITH ... SELECT or VALUES), with
	// its place in the request for error positions.
	Query *StandardSQL
}

func (*CreateView) Kind() Kind { return KindCreateView }

// DropView is DROP VIEW [IF EXISTS] [ns.]v.
type DropView struct {
	base
	View     TableName
	IfExists bool
}

func (*DropView) Kind() Kind { return KindDropView }

// ShowTables is SHOW TABLES [IN [NAMESPACE] ns].
type ShowTables struct {
	base
	Namespace string
}

func (*ShowTables) Kind() Kind { return KindShowTables }

// DescribeTable is DESCRIBE|DESC TABLE t [HISTORY].
type DescribeTable struct {
	base
	Table   TableName
	History bool
}

func (*DescribeTable) Kind() Kind { return KindDescribeTable }

// ShowStats is SHOW STATS FOR TABLE t.
type ShowStats struct {
	base
	Table TableName
}

func (*ShowStats) Kind() Kind { return KindShowStats }

// CreateUser is CREATE USER 'name' WITH PASSWORD '...' ROLE r [EMAIL '...'].
type CreateUser struct {
	base
	Name        string
	Password    string
	Role        string // lower-cased: user, service, dba, system
	Email       string
	IfNotExists bool
}

func (*CreateUser) Kind() Kind { return KindCreateUser }

// AlterUser is ALTER USER 'name' SET PASSWORD|ROLE|EMAIL ...; exactly one
// of Password, Role and Email is set. CurrentPassword is the optional
// CURRENT PASSWORD '...' clause of SET PASSWORD, which a user changing
// their own password must give.
type AlterUser struct {
	base
	Name            string
	Password        *string
	CurrentPassword *string
	Role            *string
	Email           *string
}

func (*AlterUser) Kind() Kind { return KindAlterUser }

// DropUser is DROP USER [IF EXISTS] 'name'.
type DropUser struct {
	base
	Name     string
	IfExists bool
}

func (*DropUser) Kind() Kind { return KindDropUser }

// StorageProps are the properties of CREATE STORAGE and ALTER STORAGE SET.
// A nil pointer is "not given".
type StorageProps struct {
	Type                 *string // filesystem or s3, lower-cased
	Name                 *string
	Description          *string
	Path                 *string
	Bucket               *string
	Region               *string
	Endpoint             *string
	SharedTablesTemplate *string
	UserTablesTemplate   *string
	Credentials          *string // a JSON object; holds secrets, never echoed
	Config               *string // a JSON object of client settings (s3)
}

// CreateStorage is CREATE STORAGE id TYPE '...' [props...].
type CreateStorage struct {
	base
	ID          string
	IfNotExists bool
	Props       StorageProps
}

func (*CreateStorage) Kind() Kind { return KindCreateStorage }

// AlterStorage is ALTER STORAGE id SET prop 'value' [, ...].
type AlterStorage struct {
	base
	ID    string
	Props StorageProps
}

func (*AlterStorage) Kind() Kind { return KindAlterStorage }

// DropStorage is DROP STORAGE [IF EXISTS] id.
type DropStorage struct {
	base
	ID       string
	IfExists bool
}

func (*DropStorage) Kind() Kind { return KindDropStorage }

// ShowStorages is SHOW STORAGES.
type ShowStorages struct{ base }

func (*ShowStorages) Kind() Kind { return KindShowStorages }

// StorageCheck is STORAGE CHECK id [EXTENDED].
type StorageCheck struct {
	base
	ID string
	// Extended adds the checks that cost more requests (ranged reads,
	// multipart uploads).
	Extended bool
}

func (*StorageCheck) Kind() Kind { return KindStorageCheck }

// StorageTarget is the object of STORAGE FLUSH and STORAGE COMPACT: one
// table, or all tables (optionally of one namespace).
type StorageTarget struct {
	Table     *TableName // set for ... TABLE ns.t
	All       bool       // ... ALL
	Namespace string     // ... ALL IN [NAMESPACE] ns
}

// StorageFlush is STORAGE FLUSH TABLE t | STORAGE FLUSH ALL [IN ns].
type StorageFlush struct {
	base
	Target StorageTarget
}

func (*StorageFlush) Kind() Kind { return KindStorageFlush }

// StorageCompact is STORAGE COMPACT TABLE t | STORAGE COMPACT ALL [IN ns].
type StorageCompact struct {
	base
	Target StorageTarget
}

func (*StorageCompact) Kind() Kind { return KindStorageCompact }

// ShowManifest is SHOW MANIFEST.
type ShowManifest struct{ base }

func (*ShowManifest) Kind() Kind { return KindShowManifest }

// KillJob is KILL JOB 'id'.
type KillJob struct {
	base
	JobID string
}

func (*KillJob) Kind() Kind { return KindKillJob }

// KillLiveQuery is KILL LIVE QUERY 'id'.
type KillLiveQuery struct {
	base
	LiveID string
}

func (*KillLiveQuery) Kind() Kind { return KindKillLiveQuery }

// BackupDatabase is BACKUP DATABASE [IF EXISTS] ns TO '/path'.
type BackupDatabase struct {
	base
	Namespace string
	Path      string
	IfExists  bool
}

func (*BackupDatabase) Kind() Kind { return KindBackupDatabase }

// RestoreDatabase is RESTORE DATABASE [IF NOT EXISTS] ns FROM '/path'.
type RestoreDatabase struct {
	base
	Namespace   string
	Path        string
	IfNotExists bool
}

func (*RestoreDatabase) Kind() Kind { return KindRestoreDatabase }

// ShowBackup is SHOW BACKUP FOR DATABASE ns.
type ShowBackup struct {
	base
	Namespace string
}

func (*ShowBackup) Kind() Kind { return KindShowBackup }

// ExecuteAs is EXECUTE AS USER 'name' ( <one statement> ). Inner is the
// parsed inner statement; it is never itself an ExecuteAs or a transaction
// statement.
type ExecuteAs struct {
	base
	User  string
	Inner Statement
}

func (*ExecuteAs) Kind() Kind { return KindExecuteAs }
