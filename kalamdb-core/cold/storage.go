package cold

// This file is longer than most on purpose: it is FS, the local Storage,
// whose every operation keeps the same path and atomic-publish rules.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrBadPath is matched by the error for a path that is not a clean
// relative slash-separated path inside the storage.
var ErrBadPath = errors.New("cold: invalid storage path")

// ErrDirNotEmpty is matched by the error of RemoveDir for a directory
// that still holds something.
var ErrDirNotEmpty = errors.New("cold: directory not empty")

// ErrSimulatedCrash is for fault injection: a Faults hook that returns an
// error matching it makes the FS stop where it is, without the cleanup a
// failed write normally does, the way the process would leave things if
// it died at that point.
var ErrSimulatedCrash = errors.New("cold: simulated crash")

// Faults are failure-injection hooks for tests of crash points and bad
// disks. A nil hook does nothing. Each receives the storage path
// concerned; returning an error makes the operation fail with it (wrapped
// with context), as a failing disk call would.
type Faults struct {
	// Write runs before each write to a pending file.
	Write func(p string, n int) error
	// BeforeSync runs before a pending file is fsynced.
	BeforeSync func(p string) error
	// BeforeRename runs after the fsync and before the rename that
	// publishes a pending file (or before Rename).
	BeforeRename func(tmp, final string) error
	// AfterRename runs after the rename and before the directory is
	// fsynced: the file is visible but its name not yet durable.
	AfterRename func(final string) error
	// Read runs before each read of a file opened for reading (n bytes at
	// off); its error fails the read.
	Read func(p string, off int64, n int) error
	// BeforeRemove runs before a file is removed, once it is known to be
	// a file; its error fails the removal.
	BeforeRemove func(p string) error
}

// FS is a Storage in a local directory tree. All access goes through an
// os.Root, so neither ".." nor a symbolic link can reach outside the base
// directory, on top of the lexical check of every path.
//
// An FS is safe for concurrent use. Faults, when set, must be set before
// the FS is used.
type FS struct {
	root *os.Root
	base string
	// Faults injects failures; nil in production.
	Faults *Faults
}

var _ Storage = (*FS)(nil)

// tempPrefix starts the name of every file being written. Readers and
// List never look at such names, and CleanupTemp removes them, so a crash
// mid-write leaves nothing a reader could mistake for data. The full name
// is tempPrefix, tempRandLen lower-case hex digits, '-' and the final
// name (TempTarget).
const tempPrefix = ".tmp-"

const tempRandLen = 16

// IsTempName reports whether a base name is reserved for files being
// written; no final file may have such a name.
func IsTempName(name string) bool { return strings.HasPrefix(name, tempPrefix) }

// TempTarget parses a base name as Create names a file being written and
// returns the final name it was for. ok is false for any other name, so
// that a cleanup never takes someone else's file for one of its own.
func TempTarget(name string) (final string, ok bool) {
	rest, found := strings.CutPrefix(name, tempPrefix)
	if !found || len(rest) < tempRandLen+2 || rest[tempRandLen] != '-' {
		return "", false
	}
	for i := 0; i < tempRandLen; i++ {
		if c := rest[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	final = rest[tempRandLen+1:]
	if IsTempName(final) {
		return "", false
	}
	return final, true
}

// NewFS returns the Storage rooted at directory base, creating it if
// needed. Close it when done.
func NewFS(base string) (*FS, error) {
	if base == "" {
		return nil, fmt.Errorf("cold: NewFS: empty base directory")
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("cold: NewFS %s: %w", base, err)
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("cold: NewFS %s: %w", base, err)
	}
	return &FS{root: root, base: base}, nil
}

// Base is the directory the FS is rooted at.
func (f *FS) Base() string { return f.base }

// Close releases the FS's handle on its base directory.
func (f *FS) Close() error { return f.root.Close() }

// CleanPath checks that p is a storage path: relative, slash-separated,
// already clean (no "." or ".." elements, no doubled or trailing
// slashes), without backslashes or NUL bytes. The root itself is not a
// file path; dirOK allows "" and "." for it.
func CleanPath(p string, dirOK bool) (string, error) {
	if p == "" || p == "." {
		if dirOK {
			return ".", nil
		}
		return "", fmt.Errorf("%w: empty path", ErrBadPath)
	}
	switch {
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("%w: %q is absolute", ErrBadPath, p)
	case strings.ContainsAny(p, "\\\x00"):
		return "", fmt.Errorf("%w: %q contains a backslash or NUL", ErrBadPath, p)
	case path.Clean(p) != p:
		return "", fmt.Errorf("%w: %q is not clean", ErrBadPath, p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: %q leaves the storage", ErrBadPath, p)
		}
	}
	return p, nil
}

// filePath validates a path that names a file and returns it with its
// directory.
func filePath(p string) (name, dir string, err error) {
	if _, err := CleanPath(p, false); err != nil {
		return "", "", err
	}
	if IsTempName(path.Base(p)) {
		return "", "", fmt.Errorf("%w: %q uses the reserved prefix %q", ErrBadPath, p, tempPrefix)
	}
	return p, path.Dir(p), nil
}

func checkCtx(ctx context.Context, op, p string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cold: %s %s: %w", op, p, err)
	}
	return nil
}

// Create implements Storage: the data goes to a temporary file in the
// destination directory (so the final rename stays within one file
// system), which Commit fsyncs, renames and makes durable by fsyncing the
// directory.
func (f *FS) Create(ctx context.Context, p string) (PendingFile, error) {
	final, dir, err := filePath(p)
	if err != nil {
		return nil, fmt.Errorf("cold: create: %w", err)
	}
	if err := checkCtx(ctx, "create", p); err != nil {
		return nil, err
	}
	var rnd [tempRandLen / 2]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("cold: create %s: %w", p, err)
	}
	tmp := path.Join(dir, tempPrefix+hex.EncodeToString(rnd[:])+"-"+path.Base(final))
	// The cleanup of a dropped table or namespace removes directories
	// that are empty, which a new directory is until the temporary file is
	// in it: if one vanishes in between, make it again. Each cleanup
	// removes a directory at most once, so a few attempts suffice.
	var fh *os.File
	for attempt := 1; ; attempt++ {
		err = f.mkdirAll(dir)
		if err == nil {
			fh, err = f.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 4 {
			return nil, fmt.Errorf("cold: create %s: %w", p, err)
		}
	}
	return &pendingFile{fs: f, f: fh, tmp: tmp, final: final, dir: dir}, nil
}

// mkdirAll creates dir and its missing parents, fsyncing the parent of
// each directory it creates so the new names survive a crash along with
// the file that will be put in them.
func (f *FS) mkdirAll(dir string) error {
	if dir == "." {
		return nil
	}
	if st, err := f.root.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := f.mkdirAll(path.Dir(dir)); err != nil {
		return err
	}
	if err := f.root.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return f.syncDir(path.Dir(dir))
}

func (f *FS) syncDir(dir string) error {
	d, err := f.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

type pendingFile struct {
	fs         *FS
	f          *os.File
	tmp, final string
	dir        string
	done       bool
	crashed    bool // a fault simulated a crash: leave everything as it is
}

func (w *pendingFile) Write(b []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("cold: write %s: file already committed or aborted", w.final)
	}
	if flt := w.fs.Faults; flt != nil && flt.Write != nil {
		if err := flt.Write(w.final, len(b)); err != nil {
			w.crashed = errors.Is(err, ErrSimulatedCrash)
			return 0, fmt.Errorf("cold: write %s: %w", w.final, err)
		}
	}
	n, err := w.f.Write(b)
	if err != nil {
		return n, fmt.Errorf("cold: write %s: %w", w.final, err)
	}
	return n, nil
}

func (w *pendingFile) Commit() error {
	if w.done {
		return fmt.Errorf("cold: commit %s: file already committed or aborted", w.final)
	}
	if err := w.commit(); err != nil {
		if !w.crashed {
			_ = w.Abort()
		}
		w.done = true
		return fmt.Errorf("cold: commit %s: %w", w.final, err)
	}
	w.done = true
	return nil
}

func (w *pendingFile) fault(hook func() error) error {
	if err := hook(); err != nil {
		w.crashed = errors.Is(err, ErrSimulatedCrash)
		return err
	}
	return nil
}

func (w *pendingFile) commit() error {
	flt := w.fs.Faults
	if flt != nil && flt.BeforeSync != nil {
		if err := w.fault(func() error { return flt.BeforeSync(w.final) }); err != nil {
			return err
		}
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	w.f = nil
	if flt != nil && flt.BeforeRename != nil {
		if err := w.fault(func() error { return flt.BeforeRename(w.tmp, w.final) }); err != nil {
			return err
		}
	}
	if err := w.fs.root.Rename(w.tmp, w.final); err != nil {
		return err
	}
	if flt != nil && flt.AfterRename != nil {
		if err := w.fault(func() error { return flt.AfterRename(w.final) }); err != nil {
			// The file is already visible under its final name; a real
			// crash here may or may not keep it, and the caller's manifest
			// has not named it yet, so it is an orphan either way.
			if !w.crashed {
				_ = w.fs.root.Remove(w.final)
			}
			return err
		}
	}
	if err := w.fs.syncDir(w.dir); err != nil {
		// The rename may not be durable; leaving the file would let a
		// caller that saw this error trust nothing but find something.
		_ = w.fs.root.Remove(w.final)
		return err
	}
	return nil
}

func (w *pendingFile) Abort() error {
	if w.crashed {
		// A dead process leaves the temporary file behind (its descriptor
		// is closed by the kernel); CleanupTemp is what removes it.
		if w.f != nil {
			_ = w.f.Close()
			w.f = nil
		}
		w.done = true
		return nil
	}
	var err error
	if w.f != nil {
		err = w.f.Close()
		w.f = nil
	}
	if rerr := w.fs.root.Remove(w.tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	w.done = true
	if err != nil {
		return fmt.Errorf("cold: abort %s: %w", w.final, err)
	}
	return nil
}

type fsHandle struct {
	*os.File
	size    int64
	modTime time.Time
}

// faultyHandle is a read handle whose reads run Faults.Read first.
type faultyHandle struct {
	fsHandle
	path string
	read func(p string, off int64, n int) error
}

func (h faultyHandle) ReadAt(b []byte, off int64) (int, error) {
	if err := h.read(h.path, off, len(b)); err != nil {
		return 0, err
	}
	return h.File.ReadAt(b, off)
}

func (h fsHandle) Size() int64 { return h.size }

// ModTime is the file's modification time when it was opened; with the
// size it tells a file written again at the same path from the old one
// (see Cache).
func (h fsHandle) ModTime() time.Time { return h.modTime }

// Open implements Storage.
func (f *FS) Open(ctx context.Context, p string) (ReadHandle, error) {
	if _, _, err := filePath(p); err != nil {
		return nil, fmt.Errorf("cold: open: %w", err)
	}
	if err := checkCtx(ctx, "open", p); err != nil {
		return nil, err
	}
	fh, err := f.root.Open(p)
	if err != nil {
		return nil, fmt.Errorf("cold: open %s: %w", p, err)
	}
	st, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, fmt.Errorf("cold: open %s: %w", p, err)
	}
	if st.IsDir() {
		_ = fh.Close()
		return nil, fmt.Errorf("cold: open %s: is a directory", p)
	}
	h := fsHandle{File: fh, size: st.Size(), modTime: st.ModTime()}
	if f.Faults != nil && f.Faults.Read != nil {
		return faultyHandle{fsHandle: h, path: p, read: f.Faults.Read}, nil
	}
	return h, nil
}

// Rename implements Storage. The destination directory is created if
// needed; both directories are fsynced.
func (f *FS) Rename(ctx context.Context, from, to string) error {
	if _, _, err := filePath(from); err != nil {
		return fmt.Errorf("cold: rename: %w", err)
	}
	_, toDir, err := filePath(to)
	if err != nil {
		return fmt.Errorf("cold: rename: %w", err)
	}
	if err := checkCtx(ctx, "rename", from); err != nil {
		return err
	}
	if err := f.mkdirAll(toDir); err != nil {
		return fmt.Errorf("cold: rename %s to %s: %w", from, to, err)
	}
	if flt := f.Faults; flt != nil && flt.BeforeRename != nil {
		if err := flt.BeforeRename(from, to); err != nil {
			return fmt.Errorf("cold: rename %s to %s: %w", from, to, err)
		}
	}
	if err := f.root.Rename(from, to); err != nil {
		return fmt.Errorf("cold: rename %s to %s: %w", from, to, err)
	}
	if err := f.syncDir(toDir); err != nil {
		return fmt.Errorf("cold: rename %s to %s: %w", from, to, err)
	}
	if fromDir := path.Dir(from); fromDir != toDir {
		if err := f.syncDir(fromDir); err != nil {
			return fmt.Errorf("cold: rename %s to %s: %w", from, to, err)
		}
	}
	return nil
}

// Remove implements Storage. The directory is fsynced so the removal is
// durable.
func (f *FS) Remove(ctx context.Context, p string) error {
	_, dir, err := filePath(p)
	if err != nil {
		return fmt.Errorf("cold: remove: %w", err)
	}
	if err := checkCtx(ctx, "remove", p); err != nil {
		return err
	}
	if st, err := f.root.Lstat(p); err != nil {
		return fmt.Errorf("cold: remove %s: %w", p, err)
	} else if st.IsDir() {
		return fmt.Errorf("cold: remove %s: is a directory", p)
	}
	if flt := f.Faults; flt != nil && flt.BeforeRemove != nil {
		if err := flt.BeforeRemove(p); err != nil {
			return fmt.Errorf("cold: remove %s: %w", p, err)
		}
	}
	if err := f.root.Remove(p); err != nil {
		return fmt.Errorf("cold: remove %s: %w", p, err)
	}
	if err := f.syncDir(dir); err != nil {
		return fmt.Errorf("cold: remove %s: %w", p, err)
	}
	return nil
}

// RemoveDir implements Storage: rmdir, which the kernel refuses for a
// directory that is not empty, so nothing inside can be lost.
func (f *FS) RemoveDir(ctx context.Context, p string) error {
	if _, err := CleanPath(p, false); err != nil {
		return fmt.Errorf("cold: remove directory: %w", err)
	}
	if err := checkCtx(ctx, "remove directory", p); err != nil {
		return err
	}
	st, err := f.root.Lstat(p)
	if err != nil {
		return fmt.Errorf("cold: remove directory %s: %w", p, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("cold: remove directory %s: not a directory", p)
	}
	if err := f.root.Remove(p); err != nil {
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("cold: remove directory %s: %w", p, ErrDirNotEmpty)
		}
		return fmt.Errorf("cold: remove directory %s: %w", p, err)
	}
	if err := f.syncDir(path.Dir(p)); err != nil {
		return fmt.Errorf("cold: remove directory %s: %w", p, err)
	}
	return nil
}

// readDir lists dir without filtering.
func (f *FS) readDir(dir string) ([]fs.DirEntry, error) {
	d, err := f.root.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

// List implements Storage.
func (f *FS) List(ctx context.Context, dir string) ([]Entry, error) {
	dir, err := CleanPath(dir, true)
	if err != nil {
		return nil, fmt.Errorf("cold: list: %w", err)
	}
	if err := checkCtx(ctx, "list", dir); err != nil {
		return nil, err
	}
	ents, err := f.readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cold: list %s: %w", dir, err)
	}
	out := make([]Entry, 0, len(ents))
	for _, e := range ents {
		if IsTempName(e.Name()) && !e.IsDir() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, fmt.Errorf("cold: list %s: %w", dir, err)
		}
		out = append(out, Entry{Name: e.Name(), Size: info.Size(), ModTime: info.ModTime(), IsDir: info.IsDir()})
	}
	return out, nil
}

// Stat implements Storage.
func (f *FS) Stat(ctx context.Context, p string) (Entry, error) {
	cp, err := CleanPath(p, true)
	if err != nil {
		return Entry{}, fmt.Errorf("cold: stat: %w", err)
	}
	if err := checkCtx(ctx, "stat", p); err != nil {
		return Entry{}, err
	}
	info, err := f.root.Stat(cp)
	if err != nil {
		return Entry{}, fmt.Errorf("cold: stat %s: %w", p, err)
	}
	return Entry{Name: p, Size: info.Size(), ModTime: info.ModTime(), IsDir: info.IsDir()}, nil
}

// CleanupTemp implements Storage. A missing directory has nothing to
// clean up.
func (f *FS) CleanupTemp(ctx context.Context, dir string, before time.Time, match func(final string) bool) (int, error) {
	dir, err := CleanPath(dir, true)
	if err != nil {
		return 0, fmt.Errorf("cold: cleanup: %w", err)
	}
	if err := checkCtx(ctx, "cleanup", dir); err != nil {
		return 0, err
	}
	ents, err := f.readDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cold: cleanup %s: %w", dir, err)
	}
	removed := 0
	for _, e := range ents {
		final, ok := TempTarget(e.Name())
		if !ok || !e.Type().IsRegular() || match != nil && !match(final) {
			continue
		}
		if !before.IsZero() {
			info, err := e.Info()
			if err != nil || !info.ModTime().Before(before) {
				continue // gone already, or possibly still being written
			}
		}
		p := path.Join(dir, e.Name())
		if err := f.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("cold: cleanup %s: %w", p, err)
		}
		removed++
	}
	if removed > 0 {
		if err := f.syncDir(dir); err != nil {
			return removed, fmt.Errorf("cold: cleanup %s: %w", dir, err)
		}
	}
	return removed, nil
}
