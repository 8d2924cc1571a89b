package executor

import (
	"context"
	"fmt"
	"sort"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// runStorage runs the storage, flush, compaction and job statements. They
// administer the server, so they need the dba role.
func (x *Executor) runStorage(ctx context.Context, b *batch, p authz.Principal, st dialect.Statement) (Result, bool, error) {
	switch st.(type) {
	case *dialect.ShowStorages, *dialect.StorageCheck, *dialect.StorageFlush, *dialect.StorageCompact,
		*dialect.ShowManifest, *dialect.KillJob, *dialect.CreateStorage, *dialect.AlterStorage, *dialect.DropStorage:
	default:
		return Result{}, false, nil
	}
	if err := authz.Administration(p.Role, st.Kind()); err != nil {
		return Result{}, true, err
	}
	res, err := x.runStorageDBA(ctx, b, p, st)
	return res, true, err
}

func (x *Executor) runStorageDBA(ctx context.Context, b *batch, p authz.Principal, st dialect.Statement) (Result, error) {
	switch s := st.(type) {
	case *dialect.CreateStorage:
		created, err := x.cat.CreateStorage(s.ID, s.Props, s.IfNotExists, x.probeStorage(ctx), p.Role)
		if err != nil {
			return Result{}, err
		}
		if !created {
			return message(0, fmt.Sprintf("Storage %s already exists", s.ID)), nil
		}
		return message(1, fmt.Sprintf("Storage %s created", s.ID)), nil
	case *dialect.AlterStorage:
		if err := x.cat.AlterStorage(s.ID, s.Props, x.probeStorage(ctx), p.Role); err != nil {
			return Result{}, err
		}
		return message(1, fmt.Sprintf("Storage %s altered", s.ID)), nil
	case *dialect.DropStorage:
		dropped, err := x.cat.DropStorage(s.ID, s.IfExists)
		if err != nil {
			return Result{}, err
		}
		if !dropped {
			return message(0, fmt.Sprintf("Storage %s does not exist", s.ID)), nil
		}
		return message(1, fmt.Sprintf("Storage %s dropped", s.ID)), nil
	case *dialect.ShowStorages:
		t := newTable("storage_id", "Text", "storage_name", "Text", "storage_type", "Text", "base_directory", "Text",
			"user_tables_template", "Text", "shared_tables_template", "Text", "description", "Text", "created_at", "Timestamp",
			"placed_by_role", "Text")
		for _, s := range x.cat.Snapshot().Storages() {
			t.add(s.StorageID, s.StorageName, s.StorageType, wireString(s.BaseDirectory), s.UserTablesTemplate,
				s.SharedTablesTemplate, wireString(s.Description), wireTime(s.CreatedAt), s.Placer())
		}
		return t.result(), nil
	case *dialect.StorageCheck:
		storage, ok := x.cat.Snapshot().Storage(s.ID)
		if !ok {
			return Result{}, apierror.New(apierror.NotFound, "storage %s does not exist", s.ID)
		}
		t := newTable("storage_id", "Text", "check", "Text", "healthy", "Boolean", "message", "Text")
		for _, r := range x.tier.CheckStorage(ctx, storage, s.Extended) {
			if r.Err != nil {
				msg := r.Err.Error()
				if ae, ok := apierror.As(r.Err); ok {
					msg = string(ae.Code) + ": " + ae.Message
				}
				t.add(s.ID, r.Check, false, msg)
			} else {
				t.add(s.ID, r.Check, true, "ok")
			}
		}
		return t.result(), nil
	case *dialect.StorageFlush:
		return x.submitTableJobs(b, s.Target, "flush", x.tier.SubmitFlush)
	case *dialect.StorageCompact:
		return x.submitTableJobs(b, s.Target, "compaction", x.tier.SubmitCompaction)
	case *dialect.ShowManifest:
		return x.showManifest()
	case *dialect.KillJob:
		if err := x.tier.KillJob(ctx, s.JobID); err != nil {
			return Result{}, err
		}
		return message(1, fmt.Sprintf("Job %s cancelled", s.JobID)), nil
	}
	return Result{}, apierror.New(apierror.InternalError, "unexpected statement %T", st)
}

// probeStorage is the check CREATE and ALTER STORAGE make of the new
// definition before saving it (an s3 storage's bucket and credentials).
func (x *Executor) probeStorage(ctx context.Context) catalog.StorageCheck {
	return func(st *systable.Storage) error { return x.tier.ProbeStorage(ctx, st) }
}

// submitTableJobs starts a flush or compaction job per target table and
// returns their ids; the jobs run in the background and are followed in
// system.jobs.
func (x *Executor) submitTableJobs(b *batch, target dialect.StorageTarget, what string,
	submit func(t *catalog.Table) (string, error)) (Result, error) {
	snap := x.cat.Snapshot()
	var tables []*catalog.Table
	if target.Table != nil {
		name := *target.Table
		if err := resolveTable(b, &name); err != nil {
			return Result{}, err
		}
		if _, ok := snap.Namespace(name.Namespace); !ok {
			return Result{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", name.Namespace)
		}
		t, ok := snap.Table(name.Namespace, name.Name)
		if !ok {
			return Result{}, apierror.New(apierror.TableNotFound, "table %s does not exist", name)
		}
		if t.Meta.TableType == dialect.TableTypeStream {
			return Result{}, apierror.New(apierror.InvalidSQL, "STREAM table %s is never flushed or compacted", name)
		}
		tables = append(tables, t)
	} else {
		if target.Namespace != "" {
			if _, ok := snap.Namespace(target.Namespace); !ok {
				return Result{}, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", target.Namespace)
			}
		}
		for _, t := range snap.Tables(target.Namespace) {
			if t.Meta.TableType != dialect.TableTypeStream {
				tables = append(tables, t)
			}
		}
	}
	res := newTable("job_id", "Text", "namespace_id", "Text", "table_name", "Text", "status", "Text")
	for _, t := range tables {
		id, err := submit(t)
		if err != nil {
			return Result{}, err
		}
		res.add(id, t.Meta.NamespaceID, t.Meta.TableName, systable.JobQueued)
	}
	out := res.result()
	out.Message = fmt.Sprintf("%d %s jobs started", len(tables), what)
	return out, nil
}

func (x *Executor) showManifest() (Result, error) {
	ms, err := x.tier.Manifests()
	if err != nil {
		return Result{}, err
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ManifestID < ms[j].ManifestID })
	t := newTable("namespace_id", "Text", "table_name", "Text", "user_id", "Text", "file", "Text", "rows", "BigInt",
		"bytes", "BigInt", "min_seq", "BigInt", "max_seq", "BigInt", "schema_version", "Int", "updated_at", "Timestamp")
	for _, m := range ms {
		for _, f := range m.Files {
			t.add(m.NamespaceID, m.TableName, wireString(m.UserID), f.Path, f.Rows, f.Bytes, f.MinSeq, f.MaxSeq,
				int64(f.SchemaVersion), wireTime(m.UpdatedAt))
		}
	}
	return t.result(), nil
}
