package executor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// runIndex runs CREATE INDEX, DROP INDEX and SHOW INDEXES. The first two
// are DDL (dba role, checked in run).
func (x *Executor) runIndex(ctx context.Context, b *batch, p authz.Principal, st dialect.Statement) (Result, bool, error) {
	switch s := st.(type) {
	case *dialect.CreateIndex:
		res, err := x.createIndex(b, s)
		return res, true, err
	case *dialect.DropIndex:
		ns := s.Namespace
		if ns == "" {
			if b.namespace == "" {
				return Result{}, true, apierror.New(apierror.InvalidSQL, "index %s is not qualified with a namespace and no namespace is selected (write ns.%s, send namespace_id, or USE ns)", s.Name, s.Name)
			}
			ns = b.namespace
		}
		t, err := x.tier.DropIndex(ctx, ns, s.Name, s.IfExists)
		if err != nil {
			return Result{}, true, err
		}
		if t == nil {
			// PostgreSQL's notice for DROP INDEX IF EXISTS.
			return message(0, fmt.Sprintf("index %q does not exist, skipping", s.Name)), true, nil
		}
		return message(1, fmt.Sprintf("Index %s dropped from %s.%s", s.Name, t.Meta.NamespaceID, t.Meta.TableName)), true, nil
	case *dialect.ShowIndexes:
		res, err := x.showIndexes(b, p, s)
		return res, true, err
	}
	return Result{}, false, nil
}

func (x *Executor) createIndex(b *batch, s *dialect.CreateIndex) (Result, error) {
	if err := resolveTable(b, &s.Table); err != nil {
		return Result{}, err
	}
	ci, err := x.tier.CreateIndex(s)
	if err != nil {
		return Result{}, err
	}
	if !ci.Created {
		return message(0, fmt.Sprintf("Index %s already exists", s.Name)), nil
	}
	t := newTable("index_name", "Text", "namespace_id", "Text", "table_name", "Text", "state", "Text", "job_id", "Text")
	t.add(ci.Index.Name, s.Table.Namespace, s.Table.Name, ci.Index.State, wireString(ci.JobID))
	out := t.result()
	if ci.JobID == "" {
		out.Message = fmt.Sprintf("Index %s created on %s (ready)", s.Name, s.Table)
	} else {
		out.Message = fmt.Sprintf("Index %s created on %s; job %s builds it from the existing rows (see system.jobs)", s.Name, s.Table, ci.JobID)
	}
	return out, nil
}

// showIndexes lists the secondary indexes of one table, or of the tables
// of the current namespace (every namespace without one) that the caller
// may read.
func (x *Executor) showIndexes(b *batch, p authz.Principal, s *dialect.ShowIndexes) (Result, error) {
	var tabs []*catalog.Table
	if s.Table != nil {
		tb, err := x.lookupReadable(b, p, s.Table)
		if err != nil {
			return Result{}, err
		}
		tabs = []*catalog.Table{tb}
	} else {
		snap := x.cat.Snapshot()
		if b.namespace != "" {
			if _, ok := snap.Namespace(b.namespace); !ok {
				return Result{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", b.namespace)
			}
		}
		tabs = readableTables(snap, p.Role, b.namespace)
	}
	t := newTable("namespace_id", "Text", "table_name", "Text", "index_name", "Text", "columns", "Text",
		"is_unique", "Boolean", "state", "Text", "created_at", "Timestamp")
	for _, tb := range tabs {
		defs := slices.Clone(tb.Meta.Indexes)
		slices.SortFunc(defs, func(a, b systable.IndexDef) int { return strings.Compare(a.Name, b.Name) })
		for _, d := range defs {
			t.add(tb.Meta.NamespaceID, tb.Meta.TableName, d.Name, strings.Join(indexColumnNames(tb, d), ", "),
				false, d.State, wireTime(d.CreatedAt))
		}
	}
	return t.result(), nil
}

// indexColumnNames names an index's columns in index order.
func indexColumnNames(tb *catalog.Table, d systable.IndexDef) []string {
	names := make([]string, 0, len(d.ColumnIDs))
	for _, id := range d.ColumnIDs {
		for _, c := range tb.Schema.Columns {
			if c.ColumnID == id {
				names = append(names, c.Name)
			}
		}
	}
	return names
}

// columnIndexes names the indexes holding a column, for DESCRIBE: null
// when none does.
func columnIndexes(tb *catalog.Table, columnID int) any {
	var names []string
	for _, d := range tb.Meta.Indexes {
		if slices.Contains(d.ColumnIDs, columnID) {
			names = append(names, d.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return strings.Join(names, ", ")
}
