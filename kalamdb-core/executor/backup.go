package executor

import (
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// runBackup runs BACKUP DATABASE, RESTORE DATABASE and SHOW BACKUPS. They
// administer the server (dba); a backup holds no more than its caller may
// read (backup.Caller), and a restore creates the backup's missing users,
// each only with a role the caller may give.
func (x *Executor) runBackup(ctx context.Context, p authz.Principal, st dialect.Statement) (Result, bool, error) {
	switch st.(type) {
	case *dialect.BackupDatabase, *dialect.RestoreDatabase, *dialect.ShowBackup:
	default:
		return Result{}, false, nil
	}
	if err := authz.Administration(p.Role, st.Kind()); err != nil {
		return Result{}, true, err
	}
	if x.backups == nil {
		return Result{}, true, apierror.New(apierror.Unsupported, "%s is not enabled on this server", st.Kind())
	}
	res, err := x.runBackupDBA(ctx, p, st)
	return res, true, err
}

func (x *Executor) runBackupDBA(ctx context.Context, p authz.Principal, st dialect.Statement) (Result, error) {
	switch s := st.(type) {
	case *dialect.BackupDatabase:
		if _, ok := x.cat.Snapshot().Namespace(s.Namespace); !ok && s.IfExists {
			return message(0, fmt.Sprintf("Namespace %s does not exist", s.Namespace)), nil
		}
		id, err := x.backups.SubmitBackup(s.Namespace, s.Path, backup.Caller{UserID: p.UserID, Role: p.Role})
		if err != nil {
			return Result{}, err
		}
		return jobStarted(id, s.Namespace, "Backup"), nil
	case *dialect.RestoreDatabase:
		id, skipped, err := x.backups.SubmitRestore(ctx, s.Namespace, s.Path, s.IfNotExists, backup.Caller{UserID: p.UserID, Role: p.Role},
			func(r systable.Role) error { return authz.NewUserRole(p, r) })
		if err != nil {
			return Result{}, err
		}
		if skipped {
			return message(0, fmt.Sprintf("Namespace %s already exists; nothing restored", s.Namespace)), nil
		}
		return jobStarted(id, s.Namespace, "Restore"), nil
	case *dialect.ShowBackup:
		// No check that the namespace exists: a dropped namespace's
		// backups are what a restore needs.
		list, err := x.backups.List(ctx, s.Namespace)
		if err != nil {
			return Result{}, err
		}
		t := newTable("namespace_id", "Text", "path", "Text", "created_at", "Timestamp", "size_bytes", "BigInt",
			"rows", "BigInt", "tables", "Int", "files", "Int", "max_seq", "BigInt", "format_version", "Int", "status", "Text")
		for _, b := range list {
			t.add(b.Namespace, b.Location, wireTime(b.CreatedAt), b.Bytes, b.Rows, int64(b.Tables), int64(b.Files),
				b.MaxSeq, int64(b.Format), b.Status)
		}
		return t.result(), nil
	}
	return Result{}, apierror.New(apierror.InternalError, "unexpected statement %T", st)
}

// jobStarted is the answer of a statement that started one job.
func jobStarted(id, ns, what string) Result {
	t := newTable("job_id", "Text", "namespace_id", "Text", "status", "Text")
	t.add(id, ns, systable.JobQueued)
	out := t.result()
	out.Message = fmt.Sprintf("%s job %s started", what, id)
	return out
}
