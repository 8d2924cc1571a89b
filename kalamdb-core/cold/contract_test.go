package cold

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"
	"time"
)

// The Storage contract, run against every implementation: what the tiers
// rely on, whatever the storage is.

func TestStorageContractFS(t *testing.T) {
	storageContract(t, func(t *testing.T) Storage { return newFS(t) })
}

func TestStorageContractS3(t *testing.T) {
	storageContract(t, func(t *testing.T) Storage { return newS3(t) })
}

// bigPayload is larger than an S3 part, so that writing it starts a
// multipart upload.
func bigPayload() []byte {
	b := make([]byte, minS3PartSize+minS3PartSize/2)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func put(t *testing.T, st Storage, p string, data []byte) {
	t.Helper()
	w, err := st.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, st Storage, p string) []byte {
	t.Helper()
	h, err := st.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	buf := make([]byte, h.Size())
	if n, err := h.ReadAt(buf, 0); n != len(buf) || err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	return buf
}

func storageContract(t *testing.T, newStorage func(t *testing.T) Storage) {
	ctx := context.Background()
	for _, size := range []struct {
		name string
		data []byte
	}{{"small", []byte("hello")}, {"multipart", bigPayload()}} {
		t.Run("CommitPublishesWholeFile/"+size.name, func(t *testing.T) {
			st := newStorage(t)
			w, err := st.Create(ctx, "a/b/c.bin")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(size.data); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Stat(ctx, "a/b/c.bin"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("visible before commit: %v", err)
			}
			if ents, _ := st.List(ctx, "a/b"); len(ents) != 0 {
				t.Fatalf("List shows a file being written: %v", ents)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); err == nil {
				t.Fatal("second Commit succeeded")
			}
			if _, err := w.Write([]byte("x")); err == nil {
				t.Fatal("Write after Commit succeeded")
			}
			e, err := st.Stat(ctx, "a/b/c.bin")
			if err != nil || e.Size != int64(len(size.data)) || e.IsDir {
				t.Fatalf("Stat = %+v, %v", e, err)
			}
			if got := readAll(t, st, "a/b/c.bin"); !bytes.Equal(got, size.data) {
				t.Fatal("read back different bytes")
			}
			// Ranged reads, including one that runs past the end.
			h, err := st.Open(ctx, "a/b/c.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			buf := make([]byte, 3)
			if n, err := h.ReadAt(buf, 2); n != 3 || err != nil || !bytes.Equal(buf, size.data[2:5]) {
				t.Fatalf("ReadAt = %d %v", n, err)
			}
			end := h.Size() - 2
			if n, err := h.ReadAt(buf, end); n != 2 || !errors.Is(err, io.EOF) || !bytes.Equal(buf[:2], size.data[end:]) {
				t.Fatalf("ReadAt past the end = %d %v", n, err)
			}
			// Commit replaces an existing file.
			put(t, st, "a/b/c.bin", []byte("new"))
			if got := readAll(t, st, "a/b/c.bin"); string(got) != "new" {
				t.Fatalf("after replace: %q", got)
			}
		})
		t.Run("AbortLeavesNothing/"+size.name, func(t *testing.T) {
			st := newStorage(t)
			w, err := st.Create(ctx, "a/d.bin")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(size.data); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal("second Abort:", err)
			}
			if _, err := st.Stat(ctx, "a/d.bin"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("aborted file: %v", err)
			}
			if n, err := st.CleanupTemp(ctx, "a", time.Time{}, nil); err != nil || n != 0 {
				t.Fatalf("CleanupTemp after Abort = %d, %v", n, err)
			}
		})
	}
	t.Run("ListStatAndDirectories", func(t *testing.T) {
		st := newStorage(t)
		if ents, err := st.List(ctx, ""); err != nil || len(ents) != 0 {
			t.Fatalf("List of an empty root = %v, %v", ents, err)
		}
		put(t, st, "ns/t/u1/batch-2.parquet", []byte("22"))
		put(t, st, "ns/t/u1/batch-1.parquet", []byte("1"))
		put(t, st, "ns/t/u2/batch-1.parquet", []byte("1"))
		ents, err := st.List(ctx, "ns/t/u1")
		if err != nil || len(ents) != 2 || ents[0].Name != "batch-1.parquet" || ents[1].Name != "batch-2.parquet" ||
			ents[1].Size != 2 || ents[0].IsDir || ents[0].ModTime.IsZero() {
			t.Fatalf("List = %+v, %v", ents, err)
		}
		ents, err = st.List(ctx, "ns/t")
		if err != nil || len(ents) != 2 || ents[0].Name != "u1" || !ents[0].IsDir || ents[1].Name != "u2" {
			t.Fatalf("List of directories = %+v, %v", ents, err)
		}
		if ents, err := st.List(ctx, "."); err != nil || len(ents) != 1 || ents[0].Name != "ns" || !ents[0].IsDir {
			t.Fatalf("List root = %+v, %v", ents, err)
		}
		if _, err := st.List(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("List missing: %v", err)
		}
		if e, err := st.Stat(ctx, "ns/t"); err != nil || !e.IsDir {
			t.Fatalf("Stat directory = %+v, %v", e, err)
		}
		if _, err := st.Stat(ctx, "ns/x"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat missing: %v", err)
		}
		if _, err := st.Open(ctx, "ns/t"); err == nil {
			t.Fatal("opened a directory")
		}
		if _, err := st.Open(ctx, "ns/t/u1/batch-9.parquet"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open missing: %v", err)
		}
	})
	t.Run("RemoveAndRemoveDir", func(t *testing.T) {
		st := newStorage(t)
		put(t, st, "a/b/f", []byte("x"))
		put(t, st, "a/g", []byte("y"))
		if err := st.Remove(ctx, "a/b"); err == nil {
			t.Fatal("Remove removed a directory")
		}
		if err := st.RemoveDir(ctx, "a"); !errors.Is(err, ErrDirNotEmpty) {
			t.Fatalf("RemoveDir of a non-empty directory: %v", err)
		}
		if err := st.RemoveDir(ctx, "a/g"); err == nil {
			t.Fatal("RemoveDir removed a file")
		}
		for _, p := range []string{"", ".", "..", "../x"} {
			if err := st.RemoveDir(ctx, p); !errors.Is(err, ErrBadPath) {
				t.Errorf("RemoveDir(%q) = %v", p, err)
			}
		}
		if err := st.Remove(ctx, "a/b/f"); err != nil {
			t.Fatal(err)
		}
		if err := st.Remove(ctx, "a/b/f"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("second Remove: %v", err)
		}
		// An emptied directory goes (or, in an object store, is gone).
		if err := st.RemoveDir(ctx, "a/b"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, "a/b"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("removed directory: %v", err)
		}
		if e, err := st.Stat(ctx, "a/g"); err != nil || e.Size != 1 {
			t.Fatalf("sibling file: %+v, %v", e, err)
		}
	})
	t.Run("Rename", func(t *testing.T) {
		st := newStorage(t)
		put(t, st, "a/b/c.bin", []byte("hello"))
		if err := st.Rename(ctx, "a/b/c.bin", "z/moved.bin"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, "a/b/c.bin"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("source after rename: %v", err)
		}
		if got := readAll(t, st, "z/moved.bin"); string(got) != "hello" {
			t.Fatalf("renamed file: %q", got)
		}
	})
	t.Run("RejectsBadPaths", func(t *testing.T) {
		st := newStorage(t)
		for _, p := range []string{"/abs", "../x", "a/../../x", "a//b", "a\\b", ".tmp-0123456789abcdef-x"} {
			if _, err := st.Create(ctx, p); !errors.Is(err, ErrBadPath) {
				t.Errorf("Create(%q) = %v", p, err)
			}
			if _, err := st.Open(ctx, p); !errors.Is(err, ErrBadPath) {
				t.Errorf("Open(%q) = %v", p, err)
			}
			if err := st.Remove(ctx, p); !errors.Is(err, ErrBadPath) {
				t.Errorf("Remove(%q) = %v", p, err)
			}
		}
		if _, err := st.List(ctx, "../x"); !errors.Is(err, ErrBadPath) {
			t.Errorf("List(../x) = %v", err)
		}
	})
	t.Run("CancelledContextIsRefused", func(t *testing.T) {
		st := newStorage(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := st.Create(cctx, "a/e.bin"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Create: %v", err)
		}
		if _, err := st.List(cctx, "."); !errors.Is(err, context.Canceled) {
			t.Fatalf("List: %v", err)
		}
	})
	t.Run("CleanupTempRemovesUncommittedWrites", func(t *testing.T) {
		st := newStorage(t)
		// A write the process died in: neither committed nor aborted.
		w, err := st.Create(ctx, "p/batch-3.parquet")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(bigPayload()); err != nil {
			t.Fatal(err)
		}
		put(t, st, "p/batch-1.parquet", []byte("kept"))
		if n, err := st.CleanupTemp(ctx, "p", time.Now().Add(-time.Hour), nil); err != nil || n != 0 {
			t.Fatalf("CleanupTemp of writes older than an hour = %d, %v", n, err)
		}
		if n, err := st.CleanupTemp(ctx, "p", time.Time{}, func(final string) bool { return final == "other" }); err != nil || n != 0 {
			t.Fatalf("CleanupTemp matching another name = %d, %v", n, err)
		}
		if n, err := st.CleanupTemp(ctx, "p", time.Time{}, func(final string) bool { return final == "batch-3.parquet" }); err != nil || n != 1 {
			t.Fatalf("CleanupTemp = %d, %v", n, err)
		}
		if n, err := st.CleanupTemp(ctx, "missing", time.Time{}, nil); err != nil || n != 0 {
			t.Fatalf("CleanupTemp of a missing directory = %d, %v", n, err)
		}
		if ents, err := st.List(ctx, "p"); err != nil || len(ents) != 1 || ents[0].Name != "batch-1.parquet" {
			t.Fatalf("after cleanup: %+v, %v", ents, err)
		}
		if _, err := st.Stat(ctx, "p/batch-3.parquet"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("uncommitted file: %v", err)
		}
	})
	t.Run("ParquetRoundTrip", func(t *testing.T) {
		st := newStorage(t)
		sch := workloadSchema()
		rows := workloadRowsOf(t, 3000)
		writeRows(t, st, "app/chat/u1/batch-1.parquet", sch, rows, WriteOptions{RowGroupRows: 1000})
		f := openFile(t, st, "app/chat/u1/batch-1.parquet")
		for _, i := range []int{0, 1234, 2999} {
			r, found, err := f.Lookup(ctx, sch, nil, rows[i].Key)
			if err != nil || !found || r.Values[wContent] != rows[i].Values[wContent] {
				t.Fatalf("Lookup %d: %v %v", i, found, err)
			}
		}
		if got := scanAll(t, f, sch, nil); len(got) != len(rows) {
			t.Fatalf("scan: %d rows", len(got))
		}
	})
}
