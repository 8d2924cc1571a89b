package cold

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// Storage is where cold files live: a local directory today (FS), an
// object store later. It is everything the tiers need of a storage: flush
// and compaction create files, reads open them, cleanup lists, stats and
// removes them. Paths are relative and slash-separated,
// such as "app/messages/u_alice/batch-3.parquet"; an implementation
// rejects a path that is absolute, unclean or climbs out with "..".
//
// Writing goes through Create, whose Commit publishes the whole file under
// its name at once: a reader (or a restart after a crash) sees either no
// file or the complete one, never a prefix. That is the contract a flush
// depends on, so it belongs to the storage, which knows how to keep it
// (temporary file and rename here, a completed upload on an object store).
type Storage interface {
	// Create starts writing the file at p. Nothing is visible at p until
	// Commit returns nil; Abort discards what was written. An existing
	// file at p is replaced by Commit.
	Create(ctx context.Context, p string) (PendingFile, error)
	// Open opens the file at p for reading.
	Open(ctx context.Context, p string) (ReadHandle, error)
	// Rename moves a committed file; the move is atomic and durable when
	// it returns.
	Rename(ctx context.Context, from, to string) error
	// Remove deletes the file at p; it refuses a directory. Removing a
	// missing file is an error matching fs.ErrNotExist.
	Remove(ctx context.Context, p string) error
	// RemoveDir deletes the directory at p if it is empty; a directory
	// with anything in it is left alone (ErrDirNotEmpty). It never removes
	// the root.
	RemoveDir(ctx context.Context, p string) error
	// List lists the directory dir ("" or "." is the root), sorted by
	// name. Files still being written are not listed. A missing directory
	// is an error matching fs.ErrNotExist.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Stat describes the file or directory at p.
	Stat(ctx context.Context, p string) (Entry, error)
	// CleanupTemp removes the leftovers of writes that never committed
	// (a crash between Create and Commit) from directory dir (not from
	// its subdirectories: recovery walks the partitions it knows): the
	// files named the way Create names them (TempTarget), for a final
	// name that match accepts (nil: any), last modified before the time
	// before (zero: all of them, which is right when no writer can be
	// writing in dir). It returns how many it removed.
	CleanupTemp(ctx context.Context, dir string, before time.Time, match func(final string) bool) (int, error)
	// Base names where the storage is (a directory, a bucket and prefix),
	// for messages and to tell whether a storage definition still points
	// at the same place.
	Base() string
	// Close releases the storage. Files opened from it must be closed
	// first.
	Close() error
}

// PendingFile is a file being written. Exactly one of Commit and Abort
// must be called; either releases the handle.
type PendingFile interface {
	io.Writer
	// Commit makes the file durable and visible under its final name.
	// When it fails, nothing is visible under that name and the partial
	// data is discarded.
	Commit() error
	// Abort discards the file. It is safe to call after a failed Commit
	// and more than once.
	Abort() error
}

// ReadHandle is an open file: random access reads plus its size, which is
// what a Parquet reader needs (the footer is at the end).
type ReadHandle interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// ContextReaderAt is implemented by read handles whose reads are
// requests that can be abandoned (an object store's ranged GETs): a read
// made for a statement carries its context, so a cancelled or timed-out
// statement does not leave a request running. Reads of a handle without
// it check the context before reading.
type ContextReaderAt interface {
	ReadAtContext(ctx context.Context, p []byte, off int64) (int, error)
}

// Entry describes a file or directory.
type Entry struct {
	Name    string // base name for List, the path as given for Stat
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// Lister is a Storage that lists a directory a piece at a time (an
// object store: ListEach).
type Lister interface {
	// ListEach calls fn with the entries of dir whose ListKey sorts
	// after after ("": all of them), in that order, and stops at fn's
	// first error, which it returns. Files still being written are not
	// listed; a missing directory has no entries.
	ListEach(ctx context.Context, dir, after string, fn func(Entry) error) error
}

// ListKey is where e sorts in a ListEach: its name, with a trailing "/"
// for a directory (the order of an object store's keys). A listing
// resumes after the ListKey of the last entry it handled.
func ListKey(e Entry) string {
	if e.IsDir {
		return e.Name + "/"
	}
	return e.Name
}

// ListEach lists dir of st as Lister.ListEach does: page by page when st
// is a Lister, else from one List sorted by ListKey.
func ListEach(ctx context.Context, st Storage, dir, after string, fn func(Entry) error) error {
	if l, ok := st.(Lister); ok {
		return l.ListEach(ctx, dir, after, fn)
	}
	entries, err := st.List(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(ListKey(a), ListKey(b)) })
	for _, e := range entries {
		if after != "" && ListKey(e) <= after {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
