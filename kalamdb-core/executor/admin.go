package executor

import (
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// dropTableWork is what dropping a table adds to the batch that drops it:
// the tiers' (its manifests, the deletion of its files) and the
// transactions' (the record of its keys). The tiers are told whether the
// drop committed (they end their count of the write either way); the
// transactions forget the table only once it is gone (a table that stays
// marked only has its INSERTs check their keys).
func (x *Executor) dropTableWork(b *kv.Batch, t *catalog.Table) (func(bool), error) {
	dropped := x.txns.TableDropped(b, t)
	after, err := x.tier.DropTable(b, t)
	if err != nil {
		return nil, err
	}
	return func(committed bool) {
		if committed {
			dropped()
		}
		if after != nil {
			after(committed)
		}
	}, nil
}

// runAdmin runs the KalamDB statements that are not standard SQL. DDL role
// checks already happened in run.
func (x *Executor) runAdmin(ctx context.Context, b *batch, p authz.Principal, st dialect.Statement) (Result, error) {
	if res, handled, err := x.runStorage(ctx, b, p, st); handled {
		return res, err
	}
	if res, handled, err := x.runIndex(ctx, b, p, st); handled {
		return res, err
	}
	if res, handled, err := x.runBackup(ctx, p, st); handled {
		return res, err
	}
	switch s := st.(type) {
	case *dialect.CreateNamespace:
		created, err := x.cat.CreateNamespace(s.Name, s.IfNotExists)
		if err != nil {
			return Result{}, err
		}
		if !created {
			return message(0, fmt.Sprintf("Namespace %s already exists", s.Name)), nil
		}
		return message(1, fmt.Sprintf("Namespace %s created", s.Name)), nil
	case *dialect.DropNamespace:
		tables, existed, after, err := x.cat.DropNamespace(s.Name, s.IfExists, s.Cascade, x.dropTableWork, x.tier.DropNamespace)
		if after != nil {
			after()
		}
		if err != nil {
			return Result{}, err
		}
		if !existed {
			return message(0, fmt.Sprintf("Namespace %s does not exist", s.Name)), nil
		}
		for _, t := range tables {
			x.eng.ForgetTable(t)
		}
		return message(1, fmt.Sprintf("Namespace %s dropped", s.Name)), nil
	case *dialect.AlterNamespace:
		if err := x.cat.AlterNamespace(s.Name, s.Description); err != nil {
			return Result{}, err
		}
		return message(1, fmt.Sprintf("Namespace %s altered", s.Name)), nil
	case *dialect.ShowNamespaces:
		return x.showNamespaces(p), nil
	case *dialect.CreateTable:
		if err := resolveTable(b, &s.Table); err != nil {
			return Result{}, err
		}
		created, err := x.cat.CreateTable(s, x.txns.RecordCreated)
		if err != nil {
			return Result{}, err
		}
		if !created {
			return message(0, fmt.Sprintf("Table %s already exists", s.Table)), nil
		}
		return message(1, fmt.Sprintf("Table %s created", s.Table)), nil
	case *dialect.DropTable:
		if err := resolveTable(b, &s.Table); err != nil {
			return Result{}, err
		}
		t, after, err := x.cat.DropTable(s.Table.Namespace, s.Table.Name, s.TableType, s.IfExists, x.dropTableWork)
		if after != nil {
			after()
		}
		if err != nil {
			return Result{}, err
		}
		if t == nil {
			return message(0, fmt.Sprintf("Table %s does not exist", s.Table)), nil
		}
		x.eng.ForgetTable(t)
		return message(1, fmt.Sprintf("Table %s dropped", s.Table)), nil
	case *dialect.AlterTable:
		if err := resolveTable(b, &s.Table); err != nil {
			return Result{}, err
		}
		old, _ := x.cat.Snapshot().Table(s.Table.Namespace, s.Table.Name)
		t, err := x.cat.AlterTable(s)
		if err != nil {
			return Result{}, err
		}
		if old != nil {
			x.eng.ForgetTable(old)
		}
		return message(1, fmt.Sprintf("Table %s altered (schema version %d)", s.Table, t.Schema.Version)), nil
	case *dialect.CreateView:
		return x.createView(ctx, b, p, s)
	case *dialect.DropView:
		return x.dropView(b, s)
	case *dialect.ShowTables:
		return x.showTables(b, p, s)
	case *dialect.DescribeTable:
		return x.describeTable(b, p, s)
	case *dialect.ShowStats:
		return x.showStats(b, p, s)
	case *dialect.CreateUser, *dialect.AlterUser, *dialect.DropUser:
		return x.manageUser(ctx, b, p, st)
	case *dialect.KillLiveQuery:
		return x.killLiveQuery(ctx, p, s)
	}
	return Result{}, apierror.New(apierror.Unsupported, "%s is not supported by this server", st.Kind())
}

// resolveTable fills in the batch's current namespace for an unqualified
// table name.
func resolveTable(b *batch, t *dialect.TableName) error {
	if t.Namespace != "" {
		return nil
	}
	if b.namespace == "" {
		return apierror.New(apierror.InvalidSQL, "table %s is not qualified with a namespace and no namespace is selected (write ns.%s, send namespace_id, or USE ns)", t.Name, t.Name)
	}
	t.Namespace = b.namespace
	return nil
}

// showNamespaces lists every namespace; table_count counts only the
// tables and views the caller may read (what SHOW TABLES lists), so it
// does not reveal tables the caller cannot see.
func (x *Executor) showNamespaces(p authz.Principal) Result {
	snap := x.cat.Snapshot()
	t := newTable("namespace_id", "Text", "description", "Text", "table_count", "BigInt", "created_at", "Timestamp")
	for _, ns := range snap.Namespaces() {
		n := int64(len(readableTables(snap, p.Role, ns.NamespaceID)) + len(x.readableViews(snap, p.Role, ns.NamespaceID)))
		t.add(ns.NamespaceID, wireString(ns.Description), n, wireTime(ns.CreatedAt))
	}
	return t.result()
}

// readableTables lists the tables of a namespace ("": of all) that role
// may read: what SHOW TABLES lists and SHOW NAMESPACES counts.
func readableTables(snap *catalog.Snapshot, role systable.Role, ns string) []*catalog.Table {
	var out []*catalog.Table
	for _, tb := range snap.Tables(ns) {
		if authz.ReadTable(role, tb.Meta) == nil {
			out = append(out, tb)
		}
	}
	return out
}

func (x *Executor) showTables(b *batch, p authz.Principal, s *dialect.ShowTables) (Result, error) {
	snap := x.cat.Snapshot()
	ns := s.Namespace
	if ns == "" {
		ns = b.namespace
	}
	if ns != "" {
		if _, ok := snap.Namespace(ns); !ok {
			return Result{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
		}
	}
	t := newTable("namespace_id", "Text", "table_name", "Text", "table_type", "Text",
		"storage_id", "Text", "access_level", "Text", "schema_version", "Int", "created_at", "Timestamp")
	tables, views := readableTables(snap, p.Role, ns), x.readableViews(snap, p.Role, ns)
	// Tables and views in one list, by id (namespace, then name).
	for len(tables) > 0 || len(views) > 0 {
		if len(views) == 0 || len(tables) > 0 && tables[0].Meta.TableID < views[0].ViewID {
			m := tables[0].Meta
			t.add(m.NamespaceID, m.TableName, string(m.TableType), wireString(m.StorageID), wireString(m.AccessLevel),
				int64(m.CurrentSchemaVersion), wireTime(m.CreatedAt))
			tables = tables[1:]
			continue
		}
		v := views[0]
		t.add(v.NamespaceID, v.ViewName, "VIEW", nil, nil, nil, wireTime(v.CreatedAt))
		views = views[1:]
	}
	return t.result(), nil
}

func (x *Executor) lookupReadable(b *batch, p authz.Principal, name *dialect.TableName) (*catalog.Table, error) {
	if err := resolveTable(b, name); err != nil {
		return nil, err
	}
	snap := x.cat.Snapshot()
	if _, ok := snap.Namespace(name.Namespace); !ok {
		return nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", name.Namespace)
	}
	tb, ok := snap.Table(name.Namespace, name.Name)
	if !ok {
		if _, isView := snap.View(name.Namespace, name.Name); isView {
			return nil, apierror.New(apierror.InvalidSQL, "%s is a view, not a table", name)
		}
		return nil, apierror.New(apierror.TableNotFound, "table %s does not exist", name)
	}
	if err := authz.ReadTable(p.Role, tb.Meta); err != nil {
		return nil, err
	}
	return tb, nil
}

func (x *Executor) describeTable(b *batch, p authz.Principal, s *dialect.DescribeTable) (Result, error) {
	if err := resolveTable(b, &s.Table); err != nil {
		return Result{}, err
	}
	if v, ok := x.cat.Snapshot().View(s.Table.Namespace, s.Table.Name); ok {
		return x.describeView(p, v, s.History)
	}
	tb, err := x.lookupReadable(b, p, &s.Table)
	if err != nil {
		return Result{}, err
	}
	if s.History {
		history, err := x.cat.SchemaHistory(tb.Meta.TableID)
		if err != nil {
			return Result{}, err
		}
		t := newTable("version", "Int", "change", "Text", "columns", "Json", "created_at", "Timestamp")
		for _, h := range history {
			cols := make([]map[string]any, 0, len(h.Columns))
			for _, c := range h.Columns {
				cols = append(cols, map[string]any{"name": c.Name, "data_type": schema.TypeString(c.Type),
					"nullable": c.Nullable, "primary_key": c.PrimaryKey})
			}
			t.add(int64(h.Version), wireString(h.Change), cols, wireTime(h.CreatedAt))
		}
		return t.result(), nil
	}
	// schema_version, the table's current version, is on every row: the
	// result stays one row per column, and a client can tell which version
	// it describes (and compare it with DESCRIBE ... HISTORY).
	// indexes names the secondary indexes holding the column (SHOW
	// INDEXES describes them).
	t := newTable("column_name", "Text", "data_type", "Text", "is_nullable", "Boolean",
		"is_primary_key", "Boolean", "column_default", "Text", "ordinal_position", "Int", "indexes", "Text", "schema_version", "Int")
	version := int64(tb.Schema.Version)
	for i, c := range tb.Schema.Columns {
		var def any
		if c.Default != nil {
			def = c.Default.Text
		}
		t.add(c.Name, schema.TypeString(c.Type), c.Nullable, c.PrimaryKey, def, int64(i+1), columnIndexes(tb, c.ColumnID), version)
	}
	n := int64(len(tb.Schema.Columns))
	t.add(schema.SeqColumn, "BIGINT", false, false, nil, n+1, nil, version)
	if tb.Meta.TableType != dialect.TableTypeStream {
		t.add(schema.DeletedColumn, "BOOLEAN", false, false, nil, n+2, nil, version)
	}
	return t.result(), nil
}

// manageUser runs CREATE/ALTER/DROP USER, which name users by user name;
// authz decides who may do what to whom.
func (x *Executor) manageUser(ctx context.Context, b *batch, p authz.Principal, st dialect.Statement) (Result, error) {
	snap := x.cat.Snapshot()
	switch s := st.(type) {
	case *dialect.CreateUser:
		if err := authz.CreateUser(p); err != nil {
			return Result{}, err
		}
		role, err := systable.ParseRole(s.Role)
		if err != nil {
			return Result{}, apierror.New(apierror.InvalidInput, "%v", err)
		}
		if err := authz.NewUserRole(p, role); err != nil {
			return Result{}, err
		}
		id, err := x.cat.CreateUser(s.Name, s.Password, role, s.Email, s.IfNotExists)
		if err != nil {
			return Result{}, err
		}
		// Messages name the account as stored (folded), not as spelled.
		name := catalog.FoldUserName(s.Name)
		if id == "" {
			return message(0, fmt.Sprintf("User %s already exists", name)), nil
		}
		return message(1, fmt.Sprintf("User %s created (user id %s)", name, id)), nil
	case *dialect.AlterUser:
		target, _ := snap.UserByName(s.Name)
		self, err := authz.AlterUser(p, target, authz.UserChange{Password: s.Password != nil,
			CurrentPassword: s.CurrentPassword != nil, Role: roleChange(s.Role)})
		if err != nil {
			return Result{}, err
		}
		if self && s.Password != nil {
			if err := x.checkCurrentPassword(ctx, b, target, s.CurrentPassword); err != nil {
				return Result{}, err
			}
		}
		ch := catalog.UserChange{Password: s.Password, Email: s.Email}
		if s.Role != nil {
			role, err := systable.ParseRole(*s.Role)
			if err != nil {
				return Result{}, apierror.New(apierror.InvalidInput, "%v", err)
			}
			if err := authz.GrantRole(p, role); err != nil {
				return Result{}, err
			}
			ch.Role = &role
		}
		if target == nil {
			return Result{}, apierror.New(apierror.NotFound, "user %s does not exist", s.Name)
		}
		// The permission was checked against target's role: the change
		// applies to that account only, not to one created under its
		// name while the new password is hashed.
		ch.UserID = target.UserID
		if err := x.cat.AlterUser(s.Name, ch); err != nil {
			return Result{}, err
		}
		x.accountChanged(target.UserID)
		return message(1, fmt.Sprintf("User %s altered", storedName(target, s.Name))), nil
	case *dialect.DropUser:
		target, _ := snap.UserByName(s.Name)
		if err := authz.DropUser(p, target); err != nil {
			return Result{}, err
		}
		// As in ALTER USER: only the account the permission was checked
		// against is dropped, none when there was none.
		if target == nil {
			if s.IfExists {
				return message(0, fmt.Sprintf("User %s does not exist", s.Name)), nil
			}
			return Result{}, apierror.New(apierror.NotFound, "user %s does not exist", s.Name)
		}
		dropped, err := x.cat.DropCheckedUser(s.Name, target.UserID, s.IfExists)
		if err != nil {
			return Result{}, err
		}
		if !dropped {
			return message(0, fmt.Sprintf("User %s does not exist", s.Name)), nil
		}
		x.accountChanged(target.UserID)
		return message(1, fmt.Sprintf("User %s dropped", storedName(target, s.Name))), nil
	}
	return Result{}, apierror.New(apierror.InternalError, "unexpected user statement %T", st)
}

// storedName is the name of the account a statement found (u), or the
// name as the statement spelled it when it found none.
func storedName(u *systable.User, spelled string) string {
	if u != nil {
		return u.Username
	}
	return spelled
}

// roleChange is a role an ALTER USER names, for the permission check: its
// presence matters there, not its spelling (parsed after the check).
func roleChange(name *string) *systable.Role {
	if name == nil {
		return nil
	}
	r := systable.Role(*name)
	return &r
}

// showStats reports where a table's rows are. A dba sees the whole table;
// anyone else who may read it sees their own partition of a USER table.
func (x *Executor) showStats(b *batch, p authz.Principal, s *dialect.ShowStats) (Result, error) {
	tb, err := x.lookupReadable(b, p, &s.Table)
	if err != nil {
		return Result{}, err
	}
	scope, err := authz.Stats(p, tb.Meta)
	if err != nil {
		return Result{}, err
	}
	st, err := x.tier.TableStats(tb, scope)
	if err != nil {
		return Result{}, err
	}
	t := newTable("namespace_id", "Text", "table_name", "Text", "hot_rows", "BigInt", "cold_rows", "BigInt",
		"files", "BigInt", "bytes", "BigInt", "partitions_with_files", "BigInt")
	t.add(tb.Meta.NamespaceID, tb.Meta.TableName, st.HotRows, st.ColdRows, st.Files, st.Bytes, st.Partitions)
	return t.result(), nil
}
