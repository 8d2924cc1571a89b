package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A backup that fails removes what it wrote. One whose process dies
// cannot: the registry keeps, from the moment the backup has its (empty)
// place until it ends either way, a pending entry naming that place. At
// the next start each pending entry becomes a recovery job: a place whose
// backup.json is this backup's holds a whole backup that was not yet
// recorded, which is recorded; any other place holds a partial one, whose
// files (the backup layout's only: catalog.json, hot/, index/, files/)
// and unfinished uploads are removed. Nothing else at the place is
// touched, and a partial backup is never listed by SHOW BACKUPS (the
// registry records backups only once backup.json is written).

// pendingPrefix keys the pending entries in the registry family, apart
// from the records (keyed by namespace, which cannot start with a NUL).
const pendingPrefix = "\x00pending\x00"

// pendingBackup is a backup being written.
type pendingBackup struct {
	Namespace string    `json:"namespace"`
	Location  string    `json:"location"`
	Place     string    `json:"place"`
	StartedAt time.Time `json:"started_at"`
}

func (s *Service) begin(pb pendingBackup) error {
	raw, err := json.Marshal(pb)
	if err != nil {
		return err
	}
	if err := s.registry.Put([]byte(pendingPrefix+pb.Place), raw); err != nil {
		return fmt.Errorf("record the backup in progress: %w", err)
	}
	return nil
}

func (s *Service) end(place string) error {
	return s.registry.Delete([]byte(pendingPrefix + place))
}

// submitRecoveries starts a recovery job for each backup a dead process
// left pending.
func (s *Service) submitRecoveries() error {
	it, err := s.registry.NewIter(kv.PrefixOptions([]byte(pendingPrefix)))
	if err != nil {
		return err
	}
	var left []pendingBackup
	for ok := it.First(); ok; ok = it.Next() {
		var pb pendingBackup
		if err := json.Unmarshal(it.Value(), &pb); err != nil {
			_ = it.Close()
			return fmt.Errorf("read backup registry: %w", err)
		}
		left = append(left, pb)
	}
	err = it.Error()
	_ = it.Close()
	if err != nil {
		return err
	}
	for _, pb := range left {
		if _, err := s.o.Jobs.Submit(jobs.Spec{Type: jobs.TypeBackup, NamespaceID: pb.Namespace, Key: jobKey(pb.Namespace),
			Parameters: map[string]string{"location": pb.Location, "recovery": "interrupted backup"}},
			func(ctx context.Context, _ *jobs.Progress) (any, error) { return s.recoverBackup(ctx, pb) }); err != nil {
			return err
		}
	}
	return nil
}

// Recovery is the result of the job that finishes a backup its process
// did not.
type Recovery struct {
	Namespace string `json:"namespace"`
	Location  string `json:"location"`
	// Recorded: the backup was whole and is now listed; else Removed
	// files of the partial backup were deleted.
	Recorded bool `json:"recorded"`
	Removed  int  `json:"removed"`
}

func (s *Service) recoverBackup(ctx context.Context, pb pendingBackup) (*Recovery, error) {
	release, err := s.reserve(pb.Place, pb.Location)
	if err != nil {
		return nil, err
	}
	defer release()
	out := &Recovery{Namespace: pb.Namespace, Location: pb.Location}
	st, err := s.o.Opener.Open(ctx, pb.Location)
	if apierror.Is(err, apierror.NotFound) {
		return out, s.end(pb.Place) // nothing is left there
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	_, err = st.Stat(ctx, ManifestName)
	switch {
	case err == nil:
		// The backup wrote backup.json: it is whole unless the file is
		// another's (then it is left alone). A read failure is not proof
		// of either, so the entry stays for the next start.
		src, err := openSource(ctx, st, pb.Location)
		if err != nil {
			return nil, fmt.Errorf("check interrupted backup at %s: %w", pb.Location, err)
		}
		if src.man.Namespace == pb.Namespace && !src.man.CreatedAt.Before(pb.StartedAt) {
			if err := s.record(src.man, pb.Location); err != nil {
				return nil, err
			}
			out.Recorded = true
		}
		return out, s.end(pb.Place)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("check interrupted backup at %s: %w", pb.Location, err)
	}
	dirs := map[string]bool{}
	if out.Removed, err = removePartial(ctx, st, ".", dirs); err != nil {
		return nil, fmt.Errorf("remove interrupted backup at %s: %w", pb.Location, err)
	}
	removeDirs(ctx, st, dirs)
	return out, s.end(pb.Place)
}

// ownFile reports whether p is a path a backup writes.
func ownFile(p string) bool {
	if p == catalogName {
		return true
	}
	for _, d := range []string{hotDir, indexDir, filesDir} {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// removePartial removes the files of the backup layout under dir, and the
// unfinished writes in it, collecting the directories it went through.
func removePartial(ctx context.Context, st cold.Storage, dir string, dirs map[string]bool) (int, error) {
	if _, err := st.CleanupTemp(ctx, dir, time.Time{}, nil); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	ents, err := st.List(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		p := path.Join(dir, e.Name)
		if e.IsDir {
			dirs[p] = true
			m, err := removePartial(ctx, st, p, dirs)
			n += m
			if err != nil {
				return n, err
			}
			continue
		}
		if !ownFile(p) {
			continue
		}
		if err := st.Remove(ctx, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		n++
	}
	return n, nil
}
