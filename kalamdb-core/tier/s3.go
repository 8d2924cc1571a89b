package tier

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// DefaultS3CacheBytes bounds the cache of byte ranges read from s3
// storages (Options.S3CacheBytes).
const DefaultS3CacheBytes = 64 << 20

// storageFingerprint changes whenever anything a storage's client depends
// on changes, so that an ALTER STORAGE takes effect on the next use.
func storageFingerprint(st *systable.Storage) string {
	if st.StorageType == catalog.StorageFilesystem {
		return st.BaseDirectory
	}
	h := sha256.New()
	for _, v := range []string{st.StorageType, st.BaseDirectory, st.Bucket, st.Region, st.Endpoint, st.Config, st.Credentials} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openS3 builds the client of an s3 storage; it sends no request.
func (m *Manager) openS3(st *systable.Storage) (*cold.S3, error) {
	return m.newS3(st, nil, m.ranges)
}

// OpenS3Under builds a client with the endpoint, region, settings and
// credentials of s3 storage st, rooted at prefix of its bucket instead of
// its base directory (a backup location); it sends no request. Its reads
// bypass the storage's range cache, which is keyed by the storage's own
// paths.
func (m *Manager) OpenS3Under(st *systable.Storage, prefix string) (*cold.S3, error) {
	return m.newS3(st, &prefix, nil)
}

func (m *Manager) newS3(st *systable.Storage, prefix *string, cache *cold.RangeCache) (*cold.S3, error) {
	s, err := m.cat.S3Settings(st)
	if err != nil {
		return nil, err
	}
	if prefix != nil {
		s.Prefix = *prefix
	}
	fsys, err := cold.NewS3(cold.S3Options{Endpoint: s.Endpoint, Insecure: s.Insecure, Region: s.Region, Bucket: s.Bucket,
		Prefix: s.Prefix, AccessKeyID: s.Credentials.AccessKeyID, SecretAccessKey: s.Credentials.SecretAccessKey,
		SessionToken: s.Credentials.SessionToken, PathStyle: s.PathStyle, RequestTimeout: s.RequestTimeout,
		MaxRetries: m.opts.S3MaxRetries, ListPageSize: s.ListPageSize, Cache: cache, CacheID: st.StorageID})
	if err != nil {
		return nil, apierror.Wrap(apierror.InvalidInput, err, fmt.Sprintf("storage %s is not usable: %v", st.StorageID, err))
	}
	return fsys, nil
}

// ObjectStoreError gives an object store failure its API code: refused
// credentials are bad input, a missing bucket is not found, a store that
// does not answer is a run-time failure.
func ObjectStoreError(storageID string, err error) error {
	if _, ok := apierror.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, cold.ErrAccessDenied):
		return apierror.Wrap(apierror.InvalidInput, err, fmt.Sprintf("storage %s: the object store refused the credentials (%v)", storageID, err))
	case errors.Is(err, cold.ErrNoSuchBucket):
		return apierror.Wrap(apierror.NotFound, err, fmt.Sprintf("storage %s: the bucket does not exist (%v)", storageID, err))
	case errors.Is(err, cold.ErrUnreachable):
		return apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("storage %s: the object store did not answer (%v)", storageID, err))
	}
	return apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("storage %s: %v", storageID, err))
}

// ProbeStorage is the check CREATE and ALTER STORAGE make of a
// definition before saving it: for an s3 storage, one request that proves
// the bucket is there and the credentials are accepted (STORAGE CHECK
// goes further). A filesystem storage needs none: its rules are checked
// by the catalog and the directory is made on first write.
func (m *Manager) ProbeStorage(ctx context.Context, st *systable.Storage) error {
	if st.StorageType != catalog.StorageS3 {
		return nil
	}
	s3, err := m.openS3(st)
	if err != nil {
		return err
	}
	defer s3.Close()
	if err := s3.Probe(ctx); err != nil {
		return ObjectStoreError(st.StorageID, err)
	}
	return nil
}

// CheckResult is one step of STORAGE CHECK.
type CheckResult struct {
	Check string
	Err   error // nil: passed
}

// CheckStorage proves a storage usable, a step at a time, each reported:
// it writes a small file under a random name no other file can have,
// reads it back, finds it in a listing and deletes it. extended also
// reads a byte range (as Parquet footers are read) and writes and aborts a
// file larger than one upload part (multipart uploads, on an object
// store, and their cleanup). The steps stop at the first failure.
func (m *Manager) CheckStorage(ctx context.Context, st *systable.Storage, extended bool) []CheckResult {
	var out []CheckResult
	step := func(name string, fn func() error) bool {
		err := fn()
		if err != nil && st.StorageType == catalog.StorageS3 {
			err = ObjectStoreError(st.StorageID, err)
		}
		out = append(out, CheckResult{Check: name, Err: err})
		return err == nil
	}
	var fsys cold.Storage
	if !step("usable", func() (err error) { fsys, err = m.writableStorage(st); return err }) {
		return out
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return append(out, CheckResult{Check: "write", Err: err})
	}
	probe := ".kalamdb-storage-check-" + hex.EncodeToString(rnd[:])
	payload := []byte("kalamdb storage check " + probe)
	if !step("write", func() error { return writeAll(ctx, fsys, probe, payload) }) {
		return out
	}
	removed := false
	defer func() {
		if !removed {
			_ = fsys.Remove(context.WithoutCancel(ctx), probe)
		}
	}()
	if !step("read", func() error {
		got, err := readRange(ctx, fsys, probe, 0, int64(len(payload)))
		if err == nil && string(got) != string(payload) {
			err = errors.New("read back different bytes")
		}
		return err
	}) {
		return out
	}
	if !step("list", func() error {
		ents, err := fsys.List(ctx, ".")
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Name == probe {
				return nil
			}
		}
		return errors.New("the file written is not listed")
	}) {
		return out
	}
	if extended {
		if !step("ranged read", func() error {
			got, err := readRange(ctx, fsys, probe, int64(len(payload)-len(probe)), int64(len(probe)))
			if err == nil && string(got) != probe {
				err = errors.New("read back different bytes")
			}
			return err
		}) {
			return out
		}
		if !step("large write", func() error { return checkLargeWrite(ctx, fsys, probe) }) {
			return out
		}
	}
	step("delete", func() error {
		if err := fsys.Remove(ctx, probe); err != nil {
			return err
		}
		removed = true
		return nil
	})
	return out
}

func writeAll(ctx context.Context, fsys cold.Storage, p string, data []byte) error {
	w, err := fsys.Create(ctx, p)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Commit()
}

// readRange reads n bytes of file p from off, fewer where the file ends
// first; n < 0 reads to the end.
func readRange(ctx context.Context, fsys cold.Storage, p string, off, n int64) ([]byte, error) {
	h, err := fsys.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if rest := max(h.Size()-off, 0); n < 0 || n > rest {
		n = rest
	}
	buf := make([]byte, n)
	if _, err := cold.ReaderAt(ctx, h).ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}

// checkLargeWrite writes more than one upload part, aborts it, and checks
// that nothing of it is left.
func checkLargeWrite(ctx context.Context, fsys cold.Storage, probe string) error {
	name := probe + "-large"
	w, err := fsys.Create(ctx, name)
	if err != nil {
		return err
	}
	chunk := []byte(strings.Repeat("k", 1<<20))
	for written := 0; written <= cold.DefaultS3PartSize; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			_ = w.Abort()
			return err
		}
	}
	if err := w.Abort(); err != nil {
		return err
	}
	if _, err := fsys.Stat(ctx, name); err == nil {
		return fmt.Errorf("an aborted write left %s", path.Base(name))
	}
	return nil
}

// ReadError is the error a user gets when cold files of table (named as
// ns.table; "" when the caller does not know which) cannot be read
// (cold.IsReadFailure): SQL_EXECUTION_ERROR with a message that says why
// in general terms. The storage's own error, which names paths, files
// and buckets, is only the cause, for the server log.
func ReadError(table string, err error) *apierror.Error {
	what := "cold data"
	if table != "" {
		what += " of " + table
	}
	return apierror.Wrap(apierror.SQLExecutionError, err,
		fmt.Sprintf("%s is unreadable (%s); the hot rows are intact", what, unreadableReason(err)))
}

// unreadableReason says why a listed cold file could not be read.
func unreadableReason(err error) string {
	switch {
	case errors.Is(err, cold.ErrUnreachable):
		return "the object store did not answer"
	case errors.Is(err, cold.ErrAccessDenied):
		return "the object store refused the credentials"
	case errors.Is(err, cold.ErrNoSuchBucket):
		return "the bucket does not exist"
	}
	return "a listed file is missing or corrupt"
}

// forgetStorage closes the cached open files of a storage (those in use
// close on release), so that files are opened again through the storage's
// new client after ALTER STORAGE changed its endpoint or credentials: the
// old client may no longer be allowed in. Decoded pages stay cached: the
// files themselves did not change.
func (c *fileCache) forgetStorage(storageID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, cf := range c.files {
		if key.storage == storageID {
			c.dropLocked(cf)
		}
	}
}
