package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// StorageRules limit where filesystem storages may live. Together with
// the template rules they make sure no two partitions of any tables share
// a directory and no storage reaches a directory the server owns.
type StorageRules struct {
	// DataDir is the server's data directory. A storage may be inside it
	// (in an allowed root) but may neither be it nor contain it. Empty:
	// only the RocksDB directory is protected.
	DataDir string
	// AllowedRoots are the directories CREATE STORAGE and ALTER STORAGE
	// may put a storage in (a root itself included). A relative PATH is
	// resolved against the first. Empty: anywhere the other rules allow,
	// and a relative PATH is refused. The 'local' storage, placed by the
	// operator, is exempt.
	AllowedRoots []string
}

// resolvePath returns the absolute, clean form of p with the symbolic
// links of its longest existing prefix resolved: the directory a storage
// at p really writes to, as far as it exists. A dangling symbolic link on
// the way is refused: its target could appear later, anywhere.
func resolvePath(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	cur, rest := p, ""
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
		if _, lerr := os.Lstat(cur); lerr == nil {
			return "", fmt.Errorf("%s is a symbolic link to a missing target", cur)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// within reports whether p is dir or inside it; both are clean and
// absolute.
func within(p, dir string) bool {
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

func overlap(a, b string) bool { return within(a, b) || within(b, a) }

// absStoragePath turns a PATH as written into the absolute, clean path
// that is stored: a relative one is resolved against the first allowed
// root.
func (c *Catalog) absStoragePath(p string) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	roots := c.opts.Storage.AllowedRoots
	if len(roots) == 0 {
		return "", apierror.New(apierror.InvalidInput, "storage PATH must be absolute, got %q", p)
	}
	base, err := filepath.Abs(roots[0])
	if err != nil {
		return "", apierror.Wrap(apierror.InternalError, err, "allowed storage root")
	}
	return filepath.Join(base, p), nil
}

// checkStoragePath checks a filesystem storage's path against the server's
// directories and every other storage of s: none may be inside another or
// contain it. withRoots also requires an allowed root (CREATE and ALTER;
// a storage already there keeps working when the roots change).
func (c *Catalog) checkStoragePath(s *Snapshot, st *systable.Storage, withRoots bool) error {
	shown := st.BaseDirectory
	p, err := resolvePath(st.BaseDirectory)
	if err != nil {
		return apierror.New(apierror.InvalidInput, "storage PATH %q cannot be resolved: %v", shown, err)
	}
	if dd := c.opts.Storage.DataDir; dd != "" {
		if d, err := resolvePath(dd); err == nil && within(d, p) {
			return apierror.New(apierror.InvalidInput, "storage PATH %q is or contains the server's data directory", shown)
		}
	}
	if rocks := c.db.Path(); rocks != "" {
		if r, err := resolvePath(rocks); err == nil && overlap(p, r) {
			return apierror.New(apierror.InvalidInput, "storage PATH %q overlaps the server's RocksDB directory", shown)
		}
	}
	for _, o := range s.Storages() { // by id: the same statement always names the same storage
		if o.StorageID == st.StorageID || o.StorageType != StorageFilesystem || o.BaseDirectory == "" {
			continue
		}
		op, err := resolvePath(o.BaseDirectory)
		if err != nil {
			op = filepath.Clean(o.BaseDirectory)
		}
		if overlap(p, op) {
			return apierror.New(apierror.InvalidInput,
				"storage PATH %q overlaps storage %s: a storage may neither be inside another one nor contain one", shown, o.StorageID)
		}
	}
	if withRoots && st.StorageID != LocalStorage && len(c.opts.Storage.AllowedRoots) > 0 {
		if !c.inAllowedRoot(p) {
			return apierror.New(apierror.PermissionDenied,
				"storage PATH %q is outside the directories this server allows storages in (its allowed_roots setting)", shown)
		}
	}
	return nil
}

func (c *Catalog) inAllowedRoot(p string) bool {
	for _, root := range c.opts.Storage.AllowedRoots {
		if r, err := resolvePath(root); err == nil && within(p, r) {
			return true
		}
	}
	return false
}

// StorageSafety reports why the server must not write to or delete from a
// storage, or nil: its path overlaps the server's directories or another
// storage, or its templates could put two partitions in one directory.
// Definitions are checked when created; this catches those that broke a
// rule before the rule existed, or since (a symbolic link changed). Reads
// do not need it: they only open files the manifest lists.
func (c *Catalog) StorageSafety(st *systable.Storage) error {
	if st.StorageType == StorageFilesystem {
		if err := c.checkStoragePath(c.cur.Load(), st, false); err != nil {
			return err
		}
	}
	_, _, err := CheckTemplates(st.UserTablesTemplate, st.SharedTablesTemplate)
	return err
}

// StorageProblem is a storage that breaks a rule, found at start.
type StorageProblem struct {
	StorageID string
	Err       error
	// Unusable: flush, compaction and cleanup refuse the storage
	// (StorageSafety). Otherwise it is only outside the allowed roots,
	// which binds CREATE and ALTER STORAGE, not storages already there.
	Unusable bool
}

// StorageProblems checks every storage, for the server to log at start.
func (c *Catalog) StorageProblems() []StorageProblem {
	snap := c.cur.Load()
	var out []StorageProblem
	for _, st := range snap.Storages() {
		if err := c.StorageSafety(st); err != nil {
			out = append(out, StorageProblem{StorageID: st.StorageID, Err: err, Unusable: true})
			continue
		}
		if st.StorageType == StorageFilesystem {
			if err := c.checkStoragePath(snap, st, true); err != nil {
				out = append(out, StorageProblem{StorageID: st.StorageID, Err: err})
			}
		}
	}
	return out
}

// BackupPath resolves the location of a backup (BACKUP ... TO, RESTORE
// ... FROM) to an absolute directory and checks it: inside one of roots (a
// relative location is resolved against the first), and apart from what
// the server owns, like a storage: neither the data directory nor
// containing it, not overlapping the RocksDB directory or any filesystem
// storage (a backup written into a storage could be taken for, or deleted
// as, its files).
func (c *Catalog) BackupPath(location string, roots []string) (string, error) {
	if len(roots) == 0 {
		return "", apierror.New(apierror.PermissionDenied, "backups are disabled: the server has no [backup] allowed_roots")
	}
	p := location
	if !filepath.IsAbs(p) {
		base, err := filepath.Abs(roots[0])
		if err != nil {
			return "", apierror.Wrap(apierror.InternalError, err, "allowed backup root")
		}
		p = filepath.Join(base, p)
	}
	p, err := resolvePath(filepath.Clean(p))
	if err != nil {
		return "", apierror.New(apierror.InvalidInput, "backup location %q cannot be resolved: %v", location, err)
	}
	inRoot := false
	for _, root := range roots {
		if r, err := resolvePath(root); err == nil && within(p, r) && p != r {
			inRoot = true
		}
	}
	if !inRoot {
		return "", apierror.New(apierror.PermissionDenied,
			"backup location %q is outside the directories this server allows backups in (its [backup] allowed_roots setting; a backup goes into a directory of its own inside one)", location)
	}
	if dd := c.opts.Storage.DataDir; dd != "" {
		if d, err := resolvePath(dd); err == nil && within(d, p) {
			return "", apierror.New(apierror.InvalidInput, "backup location %q is or contains the server's data directory", location)
		}
	}
	if rocks := c.db.Path(); rocks != "" {
		if r, err := resolvePath(rocks); err == nil && overlap(p, r) {
			return "", apierror.New(apierror.InvalidInput, "backup location %q overlaps the server's RocksDB directory", location)
		}
	}
	for _, o := range c.cur.Load().Storages() {
		if o.StorageType != StorageFilesystem || o.BaseDirectory == "" {
			continue
		}
		op, err := resolvePath(o.BaseDirectory)
		if err != nil {
			op = filepath.Clean(o.BaseDirectory)
		}
		if overlap(p, op) {
			return "", apierror.New(apierror.InvalidInput, "backup location %q overlaps storage %s", location, o.StorageID)
		}
	}
	return p, nil
}

// BackupS3Location resolves a backup location s3://bucket/prefix to the
// s3 storage whose endpoint and credentials reach it, and the prefix the
// backup's files go under. The SQL never carries credentials: the bucket
// must be one an s3 storage is defined on. The location must not overlap
// the table data of any storage in that bucket (their files would be
// mixed with, or taken for, the backup's). When several storages use the
// bucket, the one sharing the longest leading prefix with the location is
// used (ties: the smallest storage id); storages of the bucket on
// different endpoints are refused as ambiguous, since the same bucket name
// on two object stores names two places.
func (c *Catalog) BackupS3Location(location string) (*systable.Storage, string, error) {
	bucket, prefix, err := parseS3URL(location)
	if err != nil {
		return nil, "", err
	}
	if prefix == "" {
		return nil, "", apierror.New(apierror.InvalidInput,
			"backup location %q is a whole bucket: a backup goes under a prefix of its own (s3://%s/backups/name)", location, bucket)
	}
	var best *systable.Storage
	bestLen := -1
	for _, o := range c.cur.Load().Storages() {
		if o.StorageType != StorageS3 || o.Bucket != bucket {
			continue
		}
		_, op, _ := parseS3URL(o.BaseDirectory)
		if prefixesOverlap(prefix, op) {
			return nil, "", backupOverlapsStorage(location, o)
		}
		if best != nil && best.Endpoint != o.Endpoint {
			return nil, "", apierror.New(apierror.InvalidInput,
				"backup location %q is ambiguous: storages %s and %s use bucket %s on different endpoints", location, best.StorageID, o.StorageID, bucket)
		}
		n := sharedElements(prefix, op)
		if n > bestLen { // Storages are by id: a tie keeps the smallest.
			best, bestLen = o, n
		}
	}
	if best == nil {
		return nil, "", apierror.New(apierror.NotFound,
			"backup location %q: no s3 storage uses bucket %s; create an s3 storage for bucket %s first (CREATE STORAGE ... TYPE 's3' BUCKET '%s' ...), whose endpoint and credentials the backup uses",
			location, bucket, bucket, bucket)
	}
	// A storage of another bucket name can still reach this bucket (an
	// AWS host carrying the bucket, an access point): the backup's places
	// are checked against every storage's, as storages are among them.
	self := c.machineNames()
	places := s3Places(self, best.Endpoint, bucket, prefix)
	for _, o := range c.cur.Load().Storages() {
		if o.StorageType == StorageS3 && placesOverlap(places, storagePlaces(self, o)) {
			return nil, "", backupOverlapsStorage(location, o)
		}
	}
	return best, prefix, nil
}

func backupOverlapsStorage(location string, o *systable.Storage) error {
	return apierror.New(apierror.InvalidInput,
		"backup location %q overlaps the table data of storage %s (%s): put backups under another prefix of the bucket", location, o.StorageID, o.BaseDirectory)
}

// sharedElements counts the leading path elements a and b have in common.
func sharedElements(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	return n
}
