package tier

import (
	"encoding/json"
	"fmt"
	"strings"

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
// (cleanupRun), and at a restart when no job will read them
// (Retry, sweepFileLists).

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

// loadCleanupFiles reads the list ref (none: an empty list). A row that
// does not decode (torn, corrupt) is left out and counted in bad: the
// list only adds files to remove, so a run goes on without that part of
// it, as without a list that is gone, rather than ending its chain.
func (m *Manager) loadCleanupFiles(ref string) (files []string, bad int, err error) {
	cf, err := m.db.ColumnFamily(cleanupFilesFamily)
	if err != nil {
		return nil, 0, fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	it, err := cf.NewIter(kv.PrefixOptions(cleanupFilesPrefix(ref)))
	if err != nil {
		return nil, 0, fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		var chunk []string
		if json.Unmarshal(it.Value(), &chunk) != nil {
			bad++
			continue
		}
		files = append(files, chunk...)
	}
	if err := it.Error(); err != nil {
		return nil, 0, fmt.Errorf("cleanup file list %s: %w", ref, err)
	}
	return files, bad, nil
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

// sweepFileLists deletes, at a restart, every list that no job will
// read: a list is kept only while a cleanup job that is queued or running
// (its row says so: one recorded in the batch that wrote the list is
// seen) or interrupted and retried (not superseded) carries its
// reference. Gone are the lists of chains a KILL JOB ended (a killed run
// does not delete its list: a queued one never runs, and a cancelled
// running one cannot tell a kill from a graceful stop), those of
// interrupted jobs another interrupted job of their drop supersedes (the
// retried one writes the list again if it hands on), and any a crash
// left behind. The lists are read first, then the jobs: a list written
// after the read is not swept, and one read before its job's row was
// written was written in the same batch as that row. The work is one
// seek per list and one read of the jobs' rows.
func (m *Manager) sweepFileLists(interrupted []*systable.Job, superseded map[string]bool) error {
	refs, err := m.cleanupFileRefs()
	if err != nil || len(refs) == 0 {
		return err
	}
	unfinished, err := m.jobs.Unfinished()
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, j := range interrupted {
		if !superseded[j.JobID] {
			used[cleanupFilesRefOf(j)] = true
		}
	}
	for _, j := range unfinished {
		used[cleanupFilesRefOf(j)] = true
	}
	for _, ref := range refs {
		if !used[ref] {
			if err := m.deleteCleanupFiles(ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// inlineCleanupFiles writes the list of a cleanup continuation that a
// start gives up into its parameters (files, as the drop's own job
// carries them), and its message again, which counts them. The list is
// the only record of which untagged files were the dropped table's, and
// the next start sweeps it (no job reads it any more): the given-up row,
// which tells what to remove by hand, keeps it instead. Recorded by
// EndInterrupted with the message: a start that fails before leaves the
// job interrupted, and the list with it.
func (m *Manager) inlineCleanupFiles(j *systable.Job) error {
	var p cleanupParams
	if j.TableName == "" || json.Unmarshal(j.Parameters, &p) != nil || p.FilesRef == "" {
		return nil // the drop's own job carries its files already
	}
	files, _, err := m.loadCleanupFiles(p.FilesRef)
	if err != nil {
		return err
	}
	// files_count stays as recorded: a list found short says so.
	p.Files, p.FilesRef = files, ""
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("cleanup file list of job %s: %w", j.JobID, err)
	}
	j.Parameters = raw
	m.jobs.GiveUp(j, cleanupRemedy(j))
	return nil
}

// cleanupFilesRefOf is the list reference a table's cleanup job
// carries ("" for any other job).
func cleanupFilesRefOf(j *systable.Job) string {
	var p cleanupParams
	if j.JobType != jobs.TypeCleanup || j.TableName == "" || json.Unmarshal(j.Parameters, &p) != nil {
		return ""
	}
	return p.FilesRef
}

// cleanupFileRefs returns the references of the lists stored, seeking
// past each list's rows (a list has a row per cleanupFilesChunk paths).
func (m *Manager) cleanupFileRefs() ([]string, error) {
	cf, err := m.db.ColumnFamily(cleanupFilesFamily)
	if err != nil {
		return nil, fmt.Errorf("cleanup file lists: %w", err)
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		return nil, fmt.Errorf("cleanup file lists: %w", err)
	}
	defer it.Close()
	var refs []string
	for ok := it.First(); ok; {
		key := string(it.Key())
		slash := strings.LastIndexByte(key, '/')
		if slash < 0 {
			ok = it.SeekGE(append([]byte(key), 0)) // not a list's row (none is written so)
			continue
		}
		ref := key[:slash]
		refs = append(refs, ref)
		end := kv.PrefixEnd(cleanupFilesPrefix(ref))
		if end == nil {
			break
		}
		ok = it.SeekGE(end)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("cleanup file lists: %w", err)
	}
	return refs, nil
}
