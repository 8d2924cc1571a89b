package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// cleanupParams are the parameters of a cleanup job: the cold files of a
// dropped table.
type cleanupParams struct {
	StorageID string    `json:"storage_id"`
	Files     []string  `json:"files"`
	DroppedAt time.Time `json:"dropped_at"`
}

// dropColdData is the catalog's drop hook: it removes a dropped table's
// manifests in the same batch as its metadata, and records a cleanup job
// for its files in that batch too, so the files are deleted even if the
// server dies right after the drop.
func (e *Engine) dropColdData(b *kv.Batch, t *catalog.Table) (func(), error) {
	if t.Meta.TableType == dialect.TableTypeStream {
		return nil, nil
	}
	ms, err := e.tableManifests(t)
	if err != nil {
		return nil, fmt.Errorf("drop %s: manifests: %w", t.Meta.TableID, err)
	}
	params := cleanupParams{StorageID: t.Meta.StorageID, DroppedAt: time.Now().UTC()}
	for _, m := range ms {
		e.cold.manifests.DeleteInBatch(b, m.ManifestID)
		for _, f := range m.Files {
			params.Files = append(params.Files, f.Path)
		}
	}
	e.cold.epoch(t.Meta.TableID).Add(1)
	if len(params.Files) == 0 {
		return nil, nil
	}
	spec := jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: t.Meta.NamespaceID, TableName: t.Meta.TableName, Parameters: params}
	j, err := e.jobs.Prepare(b, spec)
	if err != nil {
		return nil, err
	}
	return func() { _ = e.jobs.Launch(j, "", e.cleanupRun(params)) }, nil
}

// cleanupRun deletes a dropped table's files. A file changed after the drop
// belongs to a table created since under the same name and path, and is
// left alone.
func (e *Engine) cleanupRun(p cleanupParams) jobs.RunFunc {
	return func(ctx context.Context, prog *jobs.Progress) (any, error) {
		st, ok := e.cat.Snapshot().Storage(p.StorageID)
		if !ok {
			return nil, fmt.Errorf("storage %s no longer exists; %d files of the dropped table remain in it", p.StorageID, len(p.Files))
		}
		fsys, err := e.cold.storage(st)
		if err != nil {
			return nil, err
		}
		removed, skipped := 0, 0
		for _, f := range p.Files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			info, err := fsys.Stat(ctx, f)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if !info.ModTime.Before(p.DroppedAt) {
				skipped++
				continue
			}
			e.cold.files.forget(p.StorageID, f)
			if err := fsys.Remove(ctx, f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			removed++
			prog.AddRows(1)
		}
		return map[string]int{"files_removed": removed, "files_kept": skipped}, nil
	}
}

// retryCleanup restarts a cleanup job a crash interrupted.
func (e *Engine) retryCleanup(raw json.RawMessage, ns, table string) error {
	var p cleanupParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("cleanup parameters: %w", err)
	}
	_, err := e.jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: ns, TableName: table, Parameters: p}, e.cleanupRun(p))
	return err
}
