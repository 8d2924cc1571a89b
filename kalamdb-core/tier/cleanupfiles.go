package tier

import (
	"encoding/json"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The files a dropped table's manifests listed (cleanupParams.Files) are
// as many as the table had, without bound. The drop's own job carries
// them in its parameters, as it always did; a run that hands the rest of
// the walk on (continueCleanup) writes them once, in the batch that
// records the job it hands on to, as rows of their own under a
// reference (cleanupFilesRef: the drop's), and the jobs after it
// carry only that reference and the count: each continuation's
// parameters are bounded, and the list is stored twice at most (the
// drop's job, and the chain's rows), whatever the chain's length. The rows are deleted when the chain ends
// (cleanupRun), and at a restart for a chain no retried job continues
// (Retry, dropOrphanFileLists).

// cleanupFilesFamily holds the lists, cleanupFilesChunk paths a row,
// keyed reference/chunk number.
const (
	cleanupFilesFamily = "system_cleanup_files"
	cleanupFilesChunk  = 1000
)

func cleanupFilesPrefix(ref string) []byte { return []byte(ref + "/") }

// putCleanupFiles writes files as the list ref into b.
func (m *Manager) putCleanupFiles(b *kv.Batch, ref string, files []string) error {
	cf, err := m.db.ColumnFamily(cleanupFilesFamily)
	if err != nil {
		return fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	for i := 0; i < len(files); i += cleanupFilesChunk {
		raw, err := json.Marshal(files[i:min(i+cleanupFilesChunk, len(files))])
		if err != nil {
			return err
		}
		b.Put(cf, fmt.Appendf(cleanupFilesPrefix(ref), "%010d", i/cleanupFilesChunk), raw)
	}
	return nil
}

// loadCleanupFiles reads the list ref (none: an empty list).
func (m *Manager) loadCleanupFiles(ref string) ([]string, error) {
	cf, err := m.db.ColumnFamily(cleanupFilesFamily)
	if err != nil {
		return nil, fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	it, err := cf.NewIter(kv.PrefixOptions(cleanupFilesPrefix(ref)))
	if err != nil {
		return nil, fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	defer it.Close()
	var files []string
	for ok := it.First(); ok; ok = it.Next() {
		var chunk []string
		if err := json.Unmarshal(it.Value(), &chunk); err != nil {
			return nil, fmt.Errorf("cleanup file list %s: %w", ref, err)
		}
		files = append(files, chunk...)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	return files, nil
}

// deleteCleanupFiles deletes the list ref.
func (m *Manager) deleteCleanupFiles(ref string) error {
	cf, err := m.db.ColumnFamily(cleanupFilesFamily)
	if err != nil {
		return fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	var b kv.Batch
	prefix := cleanupFilesPrefix(ref)
	b.DeleteRange(cf, prefix, kv.PrefixEnd(prefix))
	if err := m.db.Write(&b); err != nil {
		return fmt.Errorf("delete cleanup file list %s: %w", ref, err)
	}
	return nil
}

// dropSupersededFileLists deletes, at a restart, the file lists of the
// interrupted cleanup jobs that are not retried (supersededCleanups) when
// no retried job uses the list: the retried one of their chain is then
// one the list was written after (the drop's job, carrying the files),
// which writes it again if it hands on, and would otherwise leave it.
func (m *Manager) dropSupersededFileLists(interrupted []*systable.Job, superseded map[string]bool) error {
	refOf := func(j *systable.Job) string {
		var p cleanupParams
		if j.JobType != jobs.TypeCleanup || j.TableName == "" || json.Unmarshal(j.Parameters, &p) != nil {
			return ""
		}
		return p.FilesRef
	}
	used := map[string]bool{}
	for _, j := range interrupted {
		if !superseded[j.JobID] {
			used[refOf(j)] = true
		}
	}
	for _, j := range interrupted {
		if ref := refOf(j); superseded[j.JobID] && ref != "" && !used[ref] {
			if err := m.deleteCleanupFiles(ref); err != nil {
				return err
			}
			used[ref] = true // deleted once
		}
	}
	return nil
}
