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
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Opener opens the place a backup is written to or read from, named by
// the location in BACKUP ... TO / RESTORE ... FROM. A backup is a set of
// files in a cold.Storage rooted at that place, so any storage (a local
// directory, a prefix of an S3 bucket) can hold one.
type Opener interface {
	// Create opens a new, empty place for a backup. discard removes what
	// Create made (the directory), once the files in it are gone; it is
	// for a backup that failed.
	Create(ctx context.Context, location string) (st cold.Storage, discard func(), err error)
	// Open opens an existing backup for reading.
	Open(ctx context.Context, location string) (cold.Storage, error)
	// Check says whether location is a place backups may use, without
	// touching it, and returns the place it names in a canonical form
	// (paths separated by "/"), so that overlapping locations can be
	// told.
	Check(location string) (place string, err error)
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

// Locations opens each location with the Opener of its kind: s3:// ones
// with S3, every other one with Local. A kind without an Opener is
// refused as unsupported.
type Locations struct {
	Local, S3 Opener
}

func (l *Locations) pick(location string) (Opener, error) {
	o := l.Local
	if strings.Contains(location, "://") {
		o = nil
		if strings.HasPrefix(location, "s3://") {
			o = l.S3
		}
	}
	if o == nil {
		return nil, unsupportedScheme(location)
	}
	return o, nil
}

// Check implements Opener.
func (l *Locations) Check(location string) (string, error) {
	o, err := l.pick(location)
	if err != nil {
		return "", err
	}
	return o.Check(location)
}

// Create implements Opener.
func (l *Locations) Create(ctx context.Context, location string) (cold.Storage, func(), error) {
	o, err := l.pick(location)
	if err != nil {
		return nil, nil, err
	}
	return o.Create(ctx, location)
}

// Open implements Opener.
func (l *Locations) Open(ctx context.Context, location string) (cold.Storage, error) {
	o, err := l.pick(location)
	if err != nil {
		return nil, err
	}
	return o.Open(ctx, location)
}

// unsupportedScheme is the answer for a location of a kind this server
// cannot hold backups in.
func unsupportedScheme(location string) error {
	scheme, _, _ := strings.Cut(location, "://")
	return apierror.New(apierror.Unsupported,
		"backups to %s:// locations are not supported: this server writes backups to local directories in its [backup] allowed_roots, or to s3://bucket/prefix in the bucket of an s3 storage", scheme)
}

func (o *LocalOpener) path(location string) (string, error) {
	if strings.Contains(location, "://") {
		return "", unsupportedScheme(location)
	}
	return o.Catalog.BackupPath(location, o.Roots)
}

// Check implements Opener: the place is the resolved directory.
func (o *LocalOpener) Check(location string) (string, error) {
	return o.path(location)
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

// S3Opener keeps backups under prefixes of the buckets of s3 storages
// (catalog.BackupS3Location): the backup reaches the bucket with the
// storage's endpoint, settings and credentials, through the cold tier's
// S3 storage.
type S3Opener struct {
	Catalog *catalog.Catalog
	Tier    *tier.Manager
}

// Check implements Opener: the place is s3://bucket/prefix.
func (o *S3Opener) Check(location string) (string, error) {
	st, prefix, err := o.Catalog.BackupS3Location(location)
	if err != nil {
		return "", err
	}
	return "s3://" + st.Bucket + "/" + prefix, nil
}

func (o *S3Opener) open(location string) (*cold.S3, *systable.Storage, error) {
	st, prefix, err := o.Catalog.BackupS3Location(location)
	if err != nil {
		return nil, nil, err
	}
	s3, err := o.Tier.OpenS3Under(st, prefix)
	if err != nil {
		return nil, nil, err
	}
	return s3, st, nil
}

// Create implements Opener: nothing may be under the prefix yet. An
// object store has no directories, so discard has nothing to remove.
func (o *S3Opener) Create(ctx context.Context, location string) (cold.Storage, func(), error) {
	s3, st, err := o.open(location)
	if err != nil {
		return nil, nil, err
	}
	entries, err := s3.List(ctx, ".")
	if err != nil {
		_ = s3.Close()
		return nil, nil, tier.ObjectStoreError(st.StorageID, fmt.Errorf("backup location %s: %w", location, err))
	}
	if len(entries) > 0 {
		_ = s3.Close()
		return nil, nil, apierror.New(apierror.AlreadyExists, "backup location %s is not empty; a backup goes to a new or empty prefix", location)
	}
	return s3, func() { _ = s3.Close() }, nil
}

// Open implements Opener.
func (o *S3Opener) Open(_ context.Context, location string) (cold.Storage, error) {
	s3, _, err := o.open(location)
	if err != nil {
		return nil, err
	}
	return s3, nil
}
