package executor

import (
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// createView runs CREATE VIEW (the dba role was checked, as for every
// DDL): the engine plans the query as the creator, which checks that it
// is valid and that the creator may read what it reads, and the catalog
// stores its text, its columns and what it reads.
func (x *Executor) createView(ctx context.Context, b *batch, p authz.Principal, s *dialect.CreateView) (Result, error) {
	if err := resolveTable(b, &s.View); err != nil {
		return Result{}, err
	}
	ns, name := s.View.Namespace, s.View.Name
	snap := x.cat.Snapshot()
	if snap.SystemSchema(ns) {
		return Result{}, apierror.New(apierror.PermissionDenied, "views cannot be created in the %s namespace", ns)
	}
	if _, ok := snap.Namespace(ns); !ok {
		return Result{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	_, isView := snap.View(ns, name)
	_, isTable := snap.Table(ns, name)
	if s.IfNotExists && (isView || isTable) {
		return message(0, fmt.Sprintf("View %s already exists", s.View)), nil
	}
	v, err := x.eng.PlanView(ctx, engine.ViewRequest{UserID: p.UserID, Role: p.Role, Statement: s})
	if err != nil {
		return Result{}, err
	}
	created, err := x.cat.CreateView(v, s.OrReplace, s.IfNotExists)
	switch {
	case err != nil:
		return Result{}, err
	case !created:
		return message(0, fmt.Sprintf("View %s already exists", s.View)), nil
	case isView:
		return message(1, fmt.Sprintf("View %s replaced", s.View)), nil
	}
	return message(1, fmt.Sprintf("View %s created", s.View)), nil
}

func (x *Executor) dropView(b *batch, s *dialect.DropView) (Result, error) {
	if err := resolveTable(b, &s.View); err != nil {
		return Result{}, err
	}
	dropped, err := x.cat.DropView(s.View.Namespace, s.View.Name, s.IfExists)
	if err != nil {
		return Result{}, err
	}
	if !dropped {
		return message(0, fmt.Sprintf("View %s does not exist", s.View)), nil
	}
	return message(1, fmt.Sprintf("View %s dropped", s.View)), nil
}

// readableViews lists the views of a namespace ("": of all) that role may
// read: what SHOW TABLES lists besides tables.
func (x *Executor) readableViews(snap *catalog.Snapshot, role systable.Role, ns string) []*systable.View {
	var out []*systable.View
	for _, v := range snap.Views(ns) {
		if x.eng.ReadView(role, v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// describeView describes a view's columns as DESCRIBE TABLE describes a
// table's: as its query typed them when the view was created.
func (x *Executor) describeView(p authz.Principal, v *systable.View, history bool) (Result, error) {
	if err := x.eng.ReadView(p.Role, v); err != nil {
		return Result{}, err
	}
	if history {
		return Result{}, apierror.New(apierror.InvalidSQL, "%s.%s is a view: it has no schema history", v.NamespaceID, v.ViewName)
	}
	t := newTable("column_name", "Text", "data_type", "Text", "is_nullable", "Boolean",
		"is_primary_key", "Boolean", "column_default", "Text", "ordinal_position", "Int", "schema_version", "Int")
	for i, c := range v.Columns {
		t.add(c.Name, schema.TypeString(c.Type), true, false, nil, int64(i+1), nil)
	}
	return t.result(), nil
}
