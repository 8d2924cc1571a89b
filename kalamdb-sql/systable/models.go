package systable

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Short names for column types, to keep the Defs below readable.
const (
	tText      = dialect.TypeText
	tBigInt    = dialect.TypeBigInt
	tInt       = dialect.TypeInt
	tBool      = dialect.TypeBoolean
	tTimestamp = dialect.TypeTimestamp
	tJSON      = dialect.TypeJSON
)

// Role is a user's role. Roles are ordered: user < service < dba < system.
type Role string

// Roles.
const (
	RoleUser    Role = "user"
	RoleService Role = "service"
	RoleDBA     Role = "dba"
	RoleSystem  Role = "system"
)

func (r Role) rank() int {
	switch r {
	case RoleUser:
		return 1
	case RoleService:
		return 2
	case RoleDBA:
		return 3
	case RoleSystem:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is other or above it. An invalid role is below
// everything, so a corrupted row grants nothing.
func (r Role) AtLeast(other Role) bool { return r.rank() > 0 && r.rank() >= other.rank() }

// ParseRole parses a role name (case-sensitive, lower-case).
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q (want user, service, dba or system)", s)
	}
	return r, nil
}

// Namespace is a row of system.namespaces.
type Namespace struct {
	NamespaceID string    `json:"namespace_id"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Namespaces describes system.namespaces.
var Namespaces = &Def[Namespace]{
	Name: "namespaces", Family: "system_namespaces",
	Key: func(n *Namespace) string { return n.NamespaceID },
	Columns: []Column[Namespace]{
		{"namespace_id", tText, func(n *Namespace) any { return n.NamespaceID }},
		{"name", tText, func(n *Namespace) any { return n.NamespaceID }},
		{"description", tText, func(n *Namespace) any { return optString(n.Description) }},
		{"created_at", tTimestamp, func(n *Namespace) any { return n.CreatedAt }},
		{"updated_at", tTimestamp, func(n *Namespace) any { return n.UpdatedAt }},
	},
}

// TableID is the id of a table in system rows: "{namespace}:{table}".
func TableID(namespace, table string) string { return namespace + ":" + table }

// TableMeta is a row of system.tables.
type TableMeta struct {
	TableID              string            `json:"table_id"`
	NamespaceID          string            `json:"namespace_id"`
	TableName            string            `json:"table_name"`
	TableType            dialect.TableType `json:"table_type"`
	StorageID            string            `json:"storage_id,omitempty"`
	FlushRows            int64             `json:"flush_rows,omitempty"`
	FlushIntervalSeconds int64             `json:"flush_interval_seconds,omitempty"`
	// DeletedRetentionHrs is DELETED_RETENTION_HOURS, nil when the table
	// sets none (the default applies): 0 is a setting, purge at once.
	DeletedRetentionHrs *int64 `json:"deleted_retention_hours,omitempty"`
	TTLSeconds          int64  `json:"ttl_seconds,omitempty"`
	MaxBuffer           int64  `json:"max_buffer,omitempty"`
	Ephemeral           bool   `json:"ephemeral,omitempty"`
	AccessLevel         string `json:"access_level,omitempty"`
	// PrimaryKey is the declared primary key column, or "" when the table
	// uses the hidden identity (the _seq of each row's first version).
	PrimaryKey           string    `json:"primary_key,omitempty"`
	CurrentSchemaVersion int       `json:"current_schema_version"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
	// Indexes are the table's secondary indexes; NextIndexID is the id
	// the next one gets (ids start at 1 and are never reused).
	Indexes     []IndexDef `json:"indexes,omitempty"`
	NextIndexID uint32     `json:"next_index_id,omitempty"`
	// NextColumnID is the id the next added column gets (column ids are
	// never reused), so ADD COLUMN need not read every schema version the
	// table had; 0 in metadata stored before it was kept, where the
	// schema history says.
	NextColumnID int `json:"next_column_id,omitempty"`
	// Incarnation tells this table apart from every other table that
	// had, or will have, its id: random hex digits chosen by CREATE TABLE
	// and by every RESTORE of it. The names of the cold files the table
	// writes carry it, so the cleanup of a dropped table removes its own
	// files and never those of a table created again, or restored, under
	// its name in the same directories, whatever the files' times. Tables
	// created before it existed have none (catalog.Table.Incarnation).
	Incarnation string `json:"incarnation,omitempty"`
	// RestoredSeq is, for a table a RESTORE made, a _seq its server
	// issued as the restore committed: the table's versions below it came
	// from the backup, those above it were written since. 0 for a table
	// CREATE TABLE made. A live subscription resumes across the restore
	// only from a _seq of the backup's history of its partition (its
	// horizon, txn.RestoreHorizon; docs/live.md); the restore sets
	// it, whatever the backup's catalog says.
	RestoredSeq int64 `json:"restored_seq,omitempty"`
}

// FlushPolicy renders the flush policy as written in SQL, or "".
func (t *TableMeta) FlushPolicy() string {
	switch {
	case t.FlushRows > 0 && t.FlushIntervalSeconds > 0:
		return fmt.Sprintf("rows:%d,interval:%d", t.FlushRows, t.FlushIntervalSeconds)
	case t.FlushRows > 0:
		return fmt.Sprintf("rows:%d", t.FlushRows)
	case t.FlushIntervalSeconds > 0:
		return fmt.Sprintf("interval:%d", t.FlushIntervalSeconds)
	}
	return ""
}

// The durations a table stores are read through DeletedRetention, TTL
// and FlushInterval, never multiplied where they are used: CREATE and
// ALTER bound them (dialect.MaxDeletedRetentionHours, MaxTTLSeconds,
// MaxFlushIntervalSeconds), but a row written by an older version, which
// had no upper bound, may hold any int64, and in nanoseconds such a value
// wraps. A retention wrapped negative purged every deleted row at the
// next compaction and a wrapped TTL hid and swept every event, so a value
// past the bound reads as the bound (a century: kept, for any data this
// server holds), never as something shorter. OutOfRange names them.

// DeletedRetention is how long compaction keeps the table's soft-deleted
// rows: def when the table sets no DELETED_RETENTION_HOURS, none (0) when
// it sets 0. A negative value, which no version accepted, keeps them as
// long as the largest one does: of two readings of a damaged value, the
// one that loses nothing.
func (t *TableMeta) DeletedRetention(def time.Duration) time.Duration {
	if t.DeletedRetentionHrs == nil {
		return def
	}
	h := *t.DeletedRetentionHrs
	if h < 0 || h > dialect.MaxDeletedRetentionHours {
		h = dialect.MaxDeletedRetentionHours
	}
	return time.Duration(h) * time.Hour
}

// TTL is how long the STREAM table's events live, 0 when they do not
// expire (TTL_SECONDS unset or not positive).
func (t *TableMeta) TTL() time.Duration {
	return boundedSeconds(t.TTLSeconds, dialect.MaxTTLSeconds)
}

// FlushInterval is the interval of the table's FLUSH_POLICY, 0 when it
// has none.
func (t *TableMeta) FlushInterval() time.Duration {
	return boundedSeconds(t.FlushIntervalSeconds, dialect.MaxFlushIntervalSeconds)
}

func boundedSeconds(s, max int64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(min(s, max)) * time.Second
}

// OutOfRange names the stored durations of the table past what CREATE
// and ALTER accept, which DeletedRetention, TTL and FlushInterval read as
// the bound; nil when there are none.
func (t *TableMeta) OutOfRange() []string {
	var out []string
	if h := t.DeletedRetentionHrs; h != nil && (*h < 0 || *h > dialect.MaxDeletedRetentionHours) {
		out = append(out, fmt.Sprintf("DELETED_RETENTION_HOURS = %d (read as %d)", *h, dialect.MaxDeletedRetentionHours))
	}
	if t.TTLSeconds > dialect.MaxTTLSeconds {
		out = append(out, fmt.Sprintf("TTL_SECONDS = %d (read as %d)", t.TTLSeconds, dialect.MaxTTLSeconds))
	}
	if t.FlushIntervalSeconds > dialect.MaxFlushIntervalSeconds {
		out = append(out, fmt.Sprintf("FLUSH_POLICY interval %d (read as %d)", t.FlushIntervalSeconds, dialect.MaxFlushIntervalSeconds))
	}
	return out
}

func optInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// Tables describes system.tables.
var Tables = &Def[TableMeta]{
	Name: "tables", Family: "system_tables",
	Key: func(t *TableMeta) string { return t.TableID },
	Columns: []Column[TableMeta]{
		{"table_id", tText, func(t *TableMeta) any { return t.TableID }},
		{"table_name", tText, func(t *TableMeta) any { return t.TableName }},
		{"namespace_id", tText, func(t *TableMeta) any { return t.NamespaceID }},
		{"table_type", tText, func(t *TableMeta) any { return string(t.TableType) }},
		{"storage_id", tText, func(t *TableMeta) any { return optString(t.StorageID) }},
		{"flush_policy", tText, func(t *TableMeta) any { return optString(t.FlushPolicy()) }},
		{"deleted_retention_hours", tBigInt, func(t *TableMeta) any {
			if t.DeletedRetentionHrs == nil {
				return nil
			}
			return *t.DeletedRetentionHrs
		}},
		{"ttl_seconds", tBigInt, func(t *TableMeta) any { return optInt(t.TTLSeconds) }},
		{"max_buffer", tBigInt, func(t *TableMeta) any { return optInt(t.MaxBuffer) }},
		{"ephemeral", tBool, func(t *TableMeta) any { return t.Ephemeral }},
		{"access_level", tText, func(t *TableMeta) any { return optString(t.AccessLevel) }},
		{"primary_key", tText, func(t *TableMeta) any { return optString(t.PrimaryKey) }},
		{"current_schema_version", tInt, func(t *TableMeta) any { return int64(t.CurrentSchemaVersion) }},
		{"created_at", tTimestamp, func(t *TableMeta) any { return t.CreatedAt }},
		{"updated_at", tTimestamp, func(t *TableMeta) any { return t.UpdatedAt }},
	},
}

// ViewColumn is one column of a view: its name and the type its query
// gave it when the view was created.
type ViewColumn struct {
	Name string           `json:"name"`
	Type dialect.DataType `json:"type"`
}

// Kinds of ViewDependency.
const (
	DependsOnTable = "table"
	DependsOnView  = "view"
)

// ViewDependency is a table or view that a view's query reads directly,
// as it was when the view was created.
type ViewDependency struct {
	NamespaceID string `json:"namespace_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"` // DependsOnTable or DependsOnView
	// SchemaVersion is a table's schema version then (0 for a view).
	SchemaVersion int `json:"schema_version,omitempty"`
	// Signature identifies what the view was planned against: a table's
	// type and columns, or a view's columns. The view may be read while
	// it is unchanged.
	Signature string `json:"signature"`
}

// View is a row of system.views: a view is its query's text, expanded
// each time it is read, in the reader's context.
type View struct {
	ViewID      string `json:"view_id"` // {namespace}:{view}, like a table id
	NamespaceID string `json:"namespace_id"`
	ViewName    string `json:"view_name"`
	// Definition is the query as written in CREATE VIEW.
	Definition string `json:"definition"`
	// ColumnNames are the names CREATE VIEW v (a, b) gave the query's
	// columns (nil: the query's own).
	ColumnNames  []string         `json:"column_names,omitempty"`
	Columns      []ViewColumn     `json:"columns"`
	Dependencies []ViewDependency `json:"dependencies"`
	// CreatedBy is the user id of whoever created (or last replaced) it.
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Views describes system.views.
var Views = &Def[View]{
	Name: "views", Family: "system_views",
	Key: func(v *View) string { return v.ViewID },
	Columns: []Column[View]{
		{"view_id", tText, func(v *View) any { return v.ViewID }},
		{"namespace_id", tText, func(v *View) any { return v.NamespaceID }},
		{"view_name", tText, func(v *View) any { return v.ViewName }},
		{"definition", tText, func(v *View) any { return v.Definition }},
		{"columns", tJSON, func(v *View) any { return mustJSON(v.Columns) }},
		{"dependencies", tJSON, func(v *View) any { return mustJSON(v.Dependencies) }},
		{"created_by", tText, func(v *View) any { return v.CreatedBy }},
		{"created_at", tTimestamp, func(v *View) any { return v.CreatedAt }},
		{"updated_at", tTimestamp, func(v *View) any { return v.UpdatedAt }},
	},
}

// ColumnSchema is one column of a table schema version.
type ColumnSchema struct {
	// ColumnID is stable across versions (a renamed or re-typed column
	// keeps it; a dropped and re-added column gets a new one), so rows
	// written under an old version are projected onto the current one by
	// id, not by position.
	ColumnID   int                  `json:"column_id"`
	Name       string               `json:"name"`
	Type       dialect.DataType     `json:"type"`
	Nullable   bool                 `json:"nullable"`
	Default    *dialect.DefaultExpr `json:"default,omitempty"`
	PrimaryKey bool                 `json:"primary_key,omitempty"`
}

// MaxTableColumns bounds the columns of one version of a table's schema,
// PostgreSQL's bound. Columns dropped before do not count: rows hold only
// the columns of the version they were written with, so a dropped column
// takes no room in a row written since.
const MaxTableColumns = 1600

// TableSchema is a row of system.table_schemas: one version of a table's
// columns.
type TableSchema struct {
	TableID   string         `json:"table_id"`
	Version   int            `json:"version"`
	Columns   []ColumnSchema `json:"columns"`
	Change    string         `json:"change,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

// SchemaID is the key of a schema version: the table id, ':', and the
// version zero-padded so versions of one table sort numerically under the
// table id prefix.
func SchemaID(tableID string, version int) string {
	return fmt.Sprintf("%s:%08d", tableID, version)
}

// SchemaPrefix is the key prefix of every schema version of a table.
func SchemaPrefix(tableID string) string { return tableID + ":" }

// TableSchemas describes system.table_schemas.
var TableSchemas = &Def[TableSchema]{
	Name: "table_schemas", Family: "system_table_schemas",
	Key:        func(s *TableSchema) string { return SchemaID(s.TableID, s.Version) },
	KeyColumns: []string{"table_id", "version"},
	Columns: []Column[TableSchema]{
		{"table_id", tText, func(s *TableSchema) any { return s.TableID }},
		{"version", tInt, func(s *TableSchema) any { return int64(s.Version) }},
		{"columns", tJSON, func(s *TableSchema) any { return mustJSON(s.Columns) }},
		{"change", tText, func(s *TableSchema) any { return optString(s.Change) }},
		{"created_at", tTimestamp, func(s *TableSchema) any { return s.CreatedAt }},
	},
}

// User is a row of system.users. UserID is the user's identity: generated
// when the user is created, never changed and never given to another user,
// so a name dropped and created again is a new identity with no rows and
// no valid tokens. It is what partitions, storage paths, tokens and jobs
// refer to, and is safe in keys and paths. Username is what people type
// (CREATE/ALTER/DROP USER, EXECUTE AS USER, login); it is unique among
// existing users only. Users created before ids were generated have
// UserID == Username, and keep it.
type User struct {
	UserID       string    `json:"user_id"`
	Username     string    `json:"username"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Role         Role      `json:"role"`
	Email        string    `json:"email,omitempty"`
	AuthType     string    `json:"auth_type"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastSeen     time.Time `json:"last_seen,omitzero"`
	// CredentialVersion counts the changes of the user's password and
	// role. Every token carries the version it was issued at and is
	// refused once it differs, so such a change revokes earlier tokens.
	CredentialVersion int64 `json:"credential_version,omitempty"`
}

// Users describes system.users. The password hash is deliberately not a
// column: SELECT can never return it.
var Users = &Def[User]{
	Name: "users", Family: "system_users",
	Key: func(u *User) string { return u.UserID },
	Columns: []Column[User]{
		{"user_id", tText, func(u *User) any { return u.UserID }},
		{"username", tText, func(u *User) any { return u.Username }},
		{"role", tText, func(u *User) any { return string(u.Role) }},
		{"email", tText, func(u *User) any { return optString(u.Email) }},
		{"auth_type", tText, func(u *User) any { return u.AuthType }},
		{"created_at", tTimestamp, func(u *User) any { return u.CreatedAt }},
		{"updated_at", tTimestamp, func(u *User) any { return u.UpdatedAt }},
		{"last_seen", tTimestamp, func(u *User) any { return optTime(u.LastSeen) }},
	},
}

// Storage is a row of system.storages.
type Storage struct {
	StorageID     string `json:"storage_id"`
	StorageName   string `json:"storage_name"`
	Description   string `json:"description,omitempty"`
	StorageType   string `json:"storage_type"` // filesystem or s3
	BaseDirectory string `json:"base_directory,omitempty"`
	Bucket        string `json:"bucket,omitempty"`
	Region        string `json:"region,omitempty"`
	Endpoint      string `json:"endpoint,omitempty"`
	// Credentials are sealed with the server's storage secret key (or, without
	// one, the JSON as given); never shown.
	Credentials string `json:"credentials,omitempty"`
	// Config is the JSON of an s3 storage's client settings.
	Config               string    `json:"config,omitempty"`
	SharedTablesTemplate string    `json:"shared_tables_template"`
	UserTablesTemplate   string    `json:"user_tables_template"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
	// PlacedBy is the role class (PlacerSystem, PlacerNotSystem) of the
	// account that last set the storage's location or credentials; ""
	// in rows stored before it was recorded (catalog.StoragePlacer reads
	// those).
	PlacedBy string `json:"placed_by,omitempty"`
}

// Role classes of a storage's placer (Storage.PlacedBy): whether the
// account that last set its location or credentials had the system role.
const (
	PlacerSystem    = "system"
	PlacerNotSystem = "not_system"
)

// RedactedCredentials is what system.storages shows in place of a
// storage's credentials.
const RedactedCredentials = "[redacted]"

// Storages describes system.storages. Credentials are never shown: the
// credentials column only says whether there are any.
var Storages = &Def[Storage]{
	Name: "storages", Family: "system_storages",
	Key: func(s *Storage) string { return s.StorageID },
	Columns: []Column[Storage]{
		{"storage_id", tText, func(s *Storage) any { return s.StorageID }},
		{"storage_name", tText, func(s *Storage) any { return s.StorageName }},
		{"description", tText, func(s *Storage) any { return optString(s.Description) }},
		{"storage_type", tText, func(s *Storage) any { return s.StorageType }},
		{"base_directory", tText, func(s *Storage) any { return optString(s.BaseDirectory) }},
		{"bucket", tText, func(s *Storage) any { return optString(s.Bucket) }},
		{"region", tText, func(s *Storage) any { return optString(s.Region) }},
		{"endpoint", tText, func(s *Storage) any { return optString(s.Endpoint) }},
		{"config", tText, func(s *Storage) any { return optString(s.Config) }},
		{"credentials", tText, func(s *Storage) any { return optString(redacted(s.Credentials)) }},
		{"shared_tables_template", tText, func(s *Storage) any { return s.SharedTablesTemplate }},
		{"user_tables_template", tText, func(s *Storage) any { return s.UserTablesTemplate }},
		{"created_at", tTimestamp, func(s *Storage) any { return s.CreatedAt }},
		{"updated_at", tTimestamp, func(s *Storage) any { return s.UpdatedAt }},
		{"placed_by_role", tText, func(s *Storage) any { return s.Placer() }},
	},
}

// Placer is the role class of the account that placed the storage
// (PlacedBy). A row stored before placers were recorded has none: a
// filesystem storage (the built-in local one is one) counts as placed by
// system, as its files are out of reach without access to the server's
// machine, and an s3 storage as not (the safe default: its bucket may be
// one a dba holds credentials for).
func (s *Storage) Placer() string {
	switch {
	case s.PlacedBy != "":
		return s.PlacedBy
	case s.StorageType == "filesystem":
		return PlacerSystem
	}
	return PlacerNotSystem
}

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return RedactedCredentials
}

// LiveQuery is a row of system.live_queries: one active subscription.
type LiveQuery struct {
	LiveID         string          `json:"live_id"`
	ConnectionID   string          `json:"connection_id"`
	SubscriptionID string          `json:"subscription_id"`
	NamespaceID    string          `json:"namespace_id"`
	TableName      string          `json:"table_name"`
	UserID         string          `json:"user_id"`
	Query          string          `json:"query"`
	Options        json.RawMessage `json:"options,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	LastUpdate     time.Time       `json:"last_update,omitzero"`
	Changes        int64           `json:"changes"`
	NodeID         string          `json:"node"`
}

// LiveQueries describes system.live_queries.
var LiveQueries = &Def[LiveQuery]{
	Name: "live_queries", Family: "system_live_queries",
	Key: func(l *LiveQuery) string { return l.LiveID },
	Columns: []Column[LiveQuery]{
		{"live_id", tText, func(l *LiveQuery) any { return l.LiveID }},
		{"connection_id", tText, func(l *LiveQuery) any { return l.ConnectionID }},
		{"subscription_id", tText, func(l *LiveQuery) any { return l.SubscriptionID }},
		{"namespace_id", tText, func(l *LiveQuery) any { return l.NamespaceID }},
		{"table_name", tText, func(l *LiveQuery) any { return l.TableName }},
		{"user_id", tText, func(l *LiveQuery) any { return l.UserID }},
		{"query", tText, func(l *LiveQuery) any { return l.Query }},
		{"options", tJSON, func(l *LiveQuery) any { return optJSON(l.Options) }},
		{"created_at", tTimestamp, func(l *LiveQuery) any { return l.CreatedAt }},
		{"last_update", tTimestamp, func(l *LiveQuery) any { return optTime(l.LastUpdate) }},
		{"changes", tBigInt, func(l *LiveQuery) any { return l.Changes }},
		{"node", tText, func(l *LiveQuery) any { return l.NodeID }},
	},
}

// Job statuses.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Job is a row of system.jobs.
type Job struct {
	JobID         string          `json:"job_id"`
	JobType       string          `json:"job_type"` // flush, compact, cleanup, retention, backup, restore, index_build
	Status        string          `json:"status"`
	NamespaceID   string          `json:"namespace_id,omitempty"`
	TableName     string          `json:"table_name,omitempty"`
	UserID        string          `json:"user_id,omitempty"`
	Parameters    json.RawMessage `json:"parameters,omitempty"`
	Result        json.RawMessage `json:"result,omitempty"`
	ErrorMessage  string          `json:"error_message,omitempty"`
	RowsProcessed int64           `json:"rows_processed"`
	BytesWritten  int64           `json:"bytes_written"`
	MemoryUsed    int64           `json:"memory_used"`
	CPUUsedMs     int64           `json:"cpu_used_ms"`
	NodeID        string          `json:"node_id"`
	CreatedAt     time.Time       `json:"created_at"`
	StartedAt     time.Time       `json:"started_at,omitzero"`
	FinishedAt    time.Time       `json:"finished_at,omitzero"`
	// Crashes and Stopped are stored, not columns: how a start bounds
	// the jobs it runs again (package jobs, Open).
	//
	// Crashes counts the starts in a row that found this job's work
	// running with no graceful stop recorded (a crash, or the job killing
	// the process), carried from the job it runs again.
	Crashes int `json:"crashes,omitempty"`
	// Stopped: a graceful stop ended the job, leaving it queued or
	// running for the next start.
	Stopped bool `json:"stopped,omitempty"`
}

// Jobs describes system.jobs with the columns of the wire contract
// (docs/api.md, "System tables").
var Jobs = &Def[Job]{
	Name: "jobs", Family: "system_jobs",
	Key: func(j *Job) string { return j.JobID },
	Columns: []Column[Job]{
		{"job_id", tText, func(j *Job) any { return j.JobID }},
		{"job_type", tText, func(j *Job) any { return j.JobType }},
		{"status", tText, func(j *Job) any { return j.Status }},
		{"namespace_id", tText, func(j *Job) any { return optString(j.NamespaceID) }},
		{"table_name", tText, func(j *Job) any { return optString(j.TableName) }},
		{"user_id", tText, func(j *Job) any { return optString(j.UserID) }},
		{"parameters", tJSON, func(j *Job) any { return optJSON(j.Parameters) }},
		{"result", tJSON, func(j *Job) any { return optJSON(j.Result) }},
		{"error_message", tText, func(j *Job) any { return optString(j.ErrorMessage) }},
		{"rows_processed", tBigInt, func(j *Job) any { return j.RowsProcessed }},
		{"bytes_written", tBigInt, func(j *Job) any { return j.BytesWritten }},
		{"memory_used", tBigInt, func(j *Job) any { return j.MemoryUsed }},
		{"cpu_used_ms", tBigInt, func(j *Job) any { return j.CPUUsedMs }},
		{"node_id", tText, func(j *Job) any { return j.NodeID }},
		{"created_at", tTimestamp, func(j *Job) any { return j.CreatedAt }},
		{"started_at", tTimestamp, func(j *Job) any { return optTime(j.StartedAt) }},
		{"finished_at", tTimestamp, func(j *Job) any { return optTime(j.FinishedAt) }},
	},
}

// ManifestFile is one Parquet file of a partition.
type ManifestFile struct {
	Path          string `json:"path"`
	Rows          int64  `json:"rows"`
	Bytes         int64  `json:"bytes"`
	MinSeq        int64  `json:"min_seq"`
	MaxSeq        int64  `json:"max_seq"`
	MinPK         string `json:"min_pk,omitempty"`
	MaxPK         string `json:"max_pk,omitempty"`
	SchemaVersion int    `json:"schema_version"`
	// MetaBytes and MetaCRC32C are the length and CRC-32C of the file's
	// metadata region (its tail: bloom filters, page indexes, footer),
	// checked when the file is first read. Entries written before they
	// were recorded have neither (zero) and are read unchecked.
	MetaBytes  int64  `json:"meta_bytes,omitempty"`
	MetaCRC32C uint32 `json:"meta_crc32c,omitempty"`
}

// Manifest is a row of system.manifest: the cold files of one partition
// (one user of a USER table, or a whole SHARED table).
type Manifest struct {
	ManifestID  string         `json:"manifest_id"` // {ns}:{table}:{user} or {ns}:{table}
	NamespaceID string         `json:"namespace_id"`
	TableName   string         `json:"table_name"`
	UserID      string         `json:"user_id,omitempty"`
	Files       []ManifestFile `json:"files"`
	NextBatch   int64          `json:"next_batch"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// ManifestID is the id of a partition's manifest; userID is "" for SHARED.
func ManifestID(namespace, table, userID string) string {
	if userID == "" {
		return TableID(namespace, table)
	}
	return TableID(namespace, table) + ":" + userID
}

// Manifests describes system.manifest.
var Manifests = &Def[Manifest]{
	Name: "manifest", Family: "system_manifest",
	Key: func(m *Manifest) string { return m.ManifestID },
	Columns: []Column[Manifest]{
		{"manifest_id", tText, func(m *Manifest) any { return m.ManifestID }},
		{"namespace_id", tText, func(m *Manifest) any { return m.NamespaceID }},
		{"table_name", tText, func(m *Manifest) any { return m.TableName }},
		{"user_id", tText, func(m *Manifest) any { return optString(m.UserID) }},
		{"file_count", tBigInt, func(m *Manifest) any { return int64(len(m.Files)) }},
		{"files", tJSON, func(m *Manifest) any { return mustJSON(m.Files) }},
		{"updated_at", tTimestamp, func(m *Manifest) any { return m.UpdatedAt }},
	},
}

// mustJSON encodes plain data structs that cannot fail to encode.
func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return raw
}
