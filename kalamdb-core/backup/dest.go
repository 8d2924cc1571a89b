package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Opener opens the place a backup is written to or read from, named by
// the location in BACKUP ... TO / RESTORE ... FROM. A backup is a set of
// files in a cold.Storage rooted at that place, so any storage (a local
// directory today, an object store prefix later) can hold one: an S3
// opener only has to return its cold.Storage for "s3://bucket/prefix".
type Opener interface {
	// Create opens a new, empty place for a backup. discard removes what
	// Create made (the directory), once the files in it are gone; it is
	// for a backup that failed.
	Create(ctx context.Context, location string) (st cold.Storage, discard func(), err error)
	// Open opens an existing backup for reading.
	Open(ctx context.Context, location string) (cold.Storage, error)
	// Check says whether location is a place backups may use, without
	// touching it.
	Check(location string) error
}

// LocalOpener keeps backups in local directories inside the allowed roots.
type LocalOpener struct {
	Catalog *catalog.Catalog
	// Roots are the directories backups may be in ([backup]
	// allowed_roots); a relative location is resolved against the first.
	// Empty: backups are refused.
	Roots []string
	// Faults inject failures into backup writes (tests of full disks).
	Faults *cold.Faults
}

// errS3 is the answer for an object-store location until an S3 storage
// can hold backups.
func unsupportedScheme(location string) error {
	scheme, _, _ := strings.Cut(location, "://")
	return apierror.New(apierror.Unsupported,
		"backups to %s:// locations are not supported yet: this server writes backups to local directories in its [backup] allowed_roots", scheme)
}

func (o *LocalOpener) path(location string) (string, error) {
	if strings.Contains(location, "://") {
		return "", unsupportedScheme(location)
	}
	return o.Catalog.BackupPath(location, o.Roots)
}

// Check implements Opener.
func (o *LocalOpener) Check(location string) error {
	_, err := o.path(location)
	return err
}

// Create implements Opener: the directory must not exist, or be empty.
func (o *LocalOpener) Create(ctx context.Context, location string) (cold.Storage, func(), error) {
	dir, err := o.path(location)
	if err != nil {
		return nil, nil, err
	}
	created := false
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		created = true
	case err != nil:
		return nil, nil, apierror.Wrap(apierror.InvalidInput, err, fmt.Sprintf("backup location %s cannot be used: %v", location, err))
	case len(entries) > 0:
		return nil, nil, apierror.New(apierror.AlreadyExists, "backup location %s is not empty; a backup goes to a new or empty directory", location)
	}
	fsys, err := cold.NewFS(dir)
	if err != nil {
		return nil, nil, apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("backup location %s cannot be created: %v", location, err))
	}
	fsys.Faults = o.Faults
	discard := func() {
		_ = fsys.Close()
		if created {
			_ = os.Remove(dir) // only if empty
		}
	}
	return fsys, discard, nil
}

// Open implements Opener.
func (o *LocalOpener) Open(_ context.Context, location string) (cold.Storage, error) {
	dir, err := o.path(location)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, apierror.New(apierror.NotFound, "no backup at %s", location)
	}
	fsys, err := cold.NewFS(dir)
	if err != nil {
		return nil, apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("backup location %s cannot be opened: %v", location, err))
	}
	return fsys, nil
}
