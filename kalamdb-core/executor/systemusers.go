package executor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// dba and system users may UPDATE the metadata of system.users: its email
// column, the one a user row has that no other statement owns (role and
// password go through ALTER USER, which revokes tokens; ids, names and
// times are the server's). The UPDATE runs as the SELECT that computes it
// (the users its WHERE picks and their new emails), then each change goes
// through the same checks and catalog call as ALTER USER ... SET EMAIL.
// Like user management, it runs neither inside a transaction nor inside
// EXECUTE AS.

// updatableUserColumns are the columns of system.users an UPDATE may set;
// all are text, so a value of another type is written as its text.
var updatableUserColumns = []string{"email"}

// updatesSystemUsers reports whether a standard statement is an UPDATE of
// system.users (parsed only when the text could name it).
func updatesSystemUsers(st dialect.Statement) bool {
	s, ok := st.(*dialect.StandardSQL)
	if !ok || s.Kind() != dialect.KindUpdate || !strings.Contains(strings.ToLower(s.Text()), "users") {
		return false
	}
	ns, table, ok := pgsql.UpdatedTable(s.Text())
	return ok && ns == catalog.SystemNamespace && table == "users"
}

// updateSystemUsers runs UPDATE system.users SET email = ... [WHERE ...].
func (x *Executor) updateSystemUsers(ctx context.Context, b *batch, p authz.Principal, s *dialect.StandardSQL, params []any) (Result, error) {
	if !p.Role.AtLeast(systable.RoleDBA) {
		return Result{}, apierror.New(apierror.PermissionDenied, "UPDATE of system.users requires the dba role")
	}
	if b.tx != nil {
		return Result{}, apierror.New(apierror.SQLExecutionError, "UPDATE of system.users cannot run inside a transaction")
	}
	query, assigned, err := pgsql.UpdateAsSelect(s.Text(), []string{"username"}, updatableUserColumns)
	if err != nil {
		return Result{}, err
	}
	for _, c := range assigned {
		if !slices.Contains(updatableUserColumns, c) {
			return Result{}, apierror.New(apierror.InvalidInput,
				"column %s of system.users cannot be updated: only email can (use ALTER USER for role and password)", dialect.Snippet(c))
		}
	}
	qr, err := x.eng.Query(ctx, engine.QueryRequest{UserID: p.UserID, Role: p.Role, Namespace: b.namespace,
		Statement: dialect.NewStandardSQL(dialect.KindSelect, query), Params: params, MaxRows: x.limits.MaxResultRows})
	if err != nil {
		if ae, ok := apierror.As(err); ok {
			ae.Details = nil // a position in the rewritten text, not the request's
		}
		return Result{}, err
	}
	// Every change is checked before any is made.
	snap := x.cat.Snapshot()
	changes := make([]catalog.UserChange, len(qr.Rows))
	names := make([]string, len(qr.Rows))
	for i, row := range qr.Rows {
		name, _ := row[0].(string)
		target, ok := snap.UserByName(name)
		if !ok {
			return Result{}, apierror.New(apierror.SQLExecutionError, "user %s was dropped meanwhile", name)
		}
		if _, err := authz.AlterUser(p, target, authz.UserChange{}); err != nil {
			return Result{}, err
		}
		email := ""
		switch v := row[1].(type) {
		case nil:
		case string:
			email = v
		default:
			// The SELECT casts the email to text.
			return Result{}, apierror.New(apierror.InternalError, "UPDATE of system.users computed an email that is not text")
		}
		names[i], changes[i] = name, catalog.UserChange{Email: &email}
	}
	for i, ch := range changes {
		if err := x.cat.AlterUser(names[i], ch); err != nil {
			return Result{}, fmt.Errorf("update system.users: %w", err)
		}
	}
	return message(int64(len(changes)), fmt.Sprintf("%d rows affected", len(changes))), nil
}
