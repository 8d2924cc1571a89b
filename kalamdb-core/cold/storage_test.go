package cold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCleanPath(t *testing.T) {
	for _, p := range []string{"a", "a/b.parquet", "ns/tbl/user_1/batch-1.parquet", "a..b", "..a"} {
		if got, err := CleanPath(p, false); err != nil || got != p {
			t.Errorf("CleanPath(%q) = %q, %v", p, got, err)
		}
	}
	for _, p := range []string{"", ".", "..", "../x", "a/../../x", "a/..", "/etc/passwd", "a//b", "a/./b", "a/", "./a",
		"a\\..\\b", "a\x00b"} {
		if _, err := CleanPath(p, false); !errors.Is(err, ErrBadPath) {
			t.Errorf("CleanPath(%q) = %v, want ErrBadPath", p, err)
		}
	}
	if got, err := CleanPath("", true); err != nil || got != "." {
		t.Errorf(`CleanPath("", dir) = %q, %v`, got, err)
	}
}

func TestFSRejectsEscapes(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	base := filepath.Join(parent, "data")
	st, err := NewFS(base)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret := filepath.Join(parent, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{"../secret", "/" + secret, "a/../../secret", ".tmp-0123-x.parquet"} {
		if _, err := st.Open(ctx, p); !errors.Is(err, ErrBadPath) {
			t.Errorf("Open(%q) = %v", p, err)
		}
		if _, err := st.Create(ctx, p); !errors.Is(err, ErrBadPath) {
			t.Errorf("Create(%q) = %v", p, err)
		}
		if err := st.Remove(ctx, p); !errors.Is(err, ErrBadPath) {
			t.Errorf("Remove(%q) = %v", p, err)
		}
		if err := st.Rename(ctx, "x", p); !errors.Is(err, ErrBadPath) {
			t.Errorf("Rename(x, %q) = %v", p, err)
		}
		if _, err := st.Stat(ctx, p); err == nil {
			t.Errorf("Stat(%q) succeeded", p)
		}
	}
	if _, err := st.List(ctx, ".."); !errors.Is(err, ErrBadPath) {
		t.Errorf("List(..) = %v", err)
	}
	if _, err := WriteFile(ctx, st, "../out.parquet", chatSchema(), chatSource(t, 10), WriteOptions{}); !errors.Is(err, ErrBadPath) {
		t.Errorf("WriteFile outside = %v", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "out.parquet")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a file was written outside the base")
	}

	// A symbolic link inside the base that points outside is not
	// followed out.
	if err := os.Symlink(parent, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Open(ctx, "link/secret"); err == nil {
		t.Error("Open followed a symlink out of the base")
	}
	if _, err := st.Create(ctx, "link/new.parquet"); err == nil {
		t.Error("Create followed a symlink out of the base")
	}
}

func TestFSOperations(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	pf, err := st.Create(ctx, "a/b/c.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(pf, "hello"); err != nil {
		t.Fatal(err)
	}
	// Not visible before Commit, but its temporary file is there.
	if _, err := st.Stat(ctx, "a/b/c.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("visible before commit: %v", err)
	}
	if ents, _ := st.List(ctx, "a/b"); len(ents) != 0 {
		t.Fatalf("List shows a file being written: %v", ents)
	}
	raw, _ := os.ReadDir(filepath.Join(st.Base(), "a", "b"))
	if len(raw) != 1 || !IsTempName(raw[0].Name()) || !strings.HasSuffix(raw[0].Name(), "c.bin") {
		t.Fatalf("temporary file: %v", raw)
	}
	if err := pf.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := pf.Commit(); err == nil {
		t.Fatal("second Commit succeeded")
	}
	if _, err := pf.Write([]byte("x")); err == nil {
		t.Fatal("Write after Commit succeeded")
	}
	ents, err := st.List(ctx, "a/b")
	if err != nil || len(ents) != 1 || ents[0].Name != "c.bin" || ents[0].Size != 5 || ents[0].IsDir {
		t.Fatalf("List = %+v, %v", ents, err)
	}
	root, err := st.List(ctx, "")
	if err != nil || len(root) != 1 || root[0].Name != "a" || !root[0].IsDir {
		t.Fatalf("List root = %+v, %v", root, err)
	}
	h, err := st.Open(ctx, "a/b/c.bin")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if n, err := h.ReadAt(buf, 2); err != nil || n != 3 || string(buf) != "llo" || h.Size() != 5 {
		t.Fatalf("ReadAt = %d %q %v, size %d", n, buf, err, h.Size())
	}
	h.Close()

	if err := st.Rename(ctx, "a/b/c.bin", "z/moved.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "a/b/c.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if e, err := st.Stat(ctx, "z/moved.bin"); err != nil || e.Size != 5 {
		t.Fatal(e, err)
	}
	if err := st.Remove(ctx, "z/moved.bin"); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(ctx, "z/moved.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := st.Open(ctx, "z/moved.bin"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "z/moved.bin") {
		t.Fatalf("Open missing: %v", err)
	}
	if _, err := st.List(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("List missing: %v", err)
	}
	if _, err := st.Open(ctx, "a"); err == nil {
		t.Fatal("opened a directory")
	}

	// Abort removes the temporary file.
	pf, err = st.Create(ctx, "a/b/d.bin")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(pf, "partial")
	if err := pf.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := pf.Abort(); err != nil {
		t.Fatal("second Abort:", err)
	}
	if raw, _ := os.ReadDir(filepath.Join(st.Base(), "a", "b")); len(raw) != 0 {
		t.Fatalf("Abort left %v", raw)
	}

	// A cancelled context is refused up front.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.Create(cctx, "a/e.bin"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create with a cancelled context: %v", err)
	}
}

// failAfter is a Write fault: the disk fills up after limit bytes.
func failAfter(limit int, err error) func(string, int) error {
	written := 0
	return func(_ string, n int) error {
		if written += n; written > limit {
			return err
		}
		return nil
	}
}

// failWrite is a parquet write (of about 3 MB) that fails at a crash
// point.
func failWrite(t *testing.T, flt *Faults) (*FS, error) {
	t.Helper()
	st := newFS(t)
	st.Faults = flt
	_, err := WriteFile(context.Background(), st, "ns/t/u/batch-1.parquet", chatSchema(), chatSource(t, 60000), WriteOptions{RowGroupRows: 10000})
	return st, err
}

func dirNames(t *testing.T, st *FS, dir string) []string {
	t.Helper()
	raw, err := os.ReadDir(filepath.Join(st.Base(), filepath.FromSlash(dir)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range raw {
		names = append(names, e.Name())
	}
	return names
}

func TestFaultsLeaveNoPartialFile(t *testing.T) {
	diskFull := errors.New("no space left on device")
	cases := map[string]*Faults{
		"write":         {Write: func(string, int) error { return diskFull }},
		"later write":   {Write: failAfter(1<<20, diskFull)},
		"before sync":   {BeforeSync: func(string) error { return diskFull }},
		"before rename": {BeforeRename: func(string, string) error { return diskFull }},
		"after rename":  {AfterRename: func(string) error { return diskFull }},
	}
	for name, flt := range cases {
		st, err := failWrite(t, flt)
		if !errors.Is(err, diskFull) || !strings.Contains(err.Error(), "ns/t/u/batch-1.parquet") {
			t.Errorf("%s: err = %v", name, err)
		}
		// The failed write cleaned up after itself: no file, final or
		// temporary.
		if names := dirNames(t, st, "ns/t/u"); len(names) != 0 {
			t.Errorf("%s: left %v", name, names)
		}
	}
}

func TestCrashLeavesOnlyTempFilesForCleanup(t *testing.T) {
	ctx := context.Background()
	crash := fmt.Errorf("power cut: %w", ErrSimulatedCrash)
	for name, flt := range map[string]*Faults{
		"mid write":     {Write: failAfter(1<<20, crash)},
		"before sync":   {BeforeSync: func(string) error { return crash }},
		"before rename": {BeforeRename: func(string, string) error { return crash }},
	} {
		st, err := failWrite(t, flt)
		if !errors.Is(err, ErrSimulatedCrash) {
			t.Fatalf("%s: err = %v", name, err)
		}
		// The "dead process" left its temporary file and nothing under
		// the final name; readers and List do not see it.
		names := dirNames(t, st, "ns/t/u")
		if len(names) != 1 || !IsTempName(names[0]) {
			t.Fatalf("%s: directory holds %v", name, names)
		}
		if _, err := OpenFile(ctx, st, "ns/t/u/batch-1.parquet"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: final file opens: %v", name, err)
		}
		if ents, _ := st.List(ctx, "ns/t/u"); len(ents) != 0 {
			t.Fatalf("%s: List shows %v", name, ents)
		}
		// A recent temporary file may belong to a live writer: a cleanup
		// with an age limit keeps it, the startup cleanup (zero) removes it.
		if n, err := st.CleanupTemp(ctx, "ns/t/u", time.Now().Add(-time.Hour), nil); err != nil || n != 0 {
			t.Fatalf("%s: aged cleanup removed %d (%v)", name, n, err)
		}
		if n, err := st.CleanupTemp(ctx, "ns/t/u", time.Time{}, nil); err != nil || n != 1 {
			t.Fatalf("%s: cleanup removed %d (%v)", name, n, err)
		}
		if names := dirNames(t, st, "ns/t/u"); len(names) != 0 {
			t.Fatalf("%s: after cleanup %v", name, names)
		}
		// After "restart" the same write succeeds.
		st.Faults = nil
		if _, err := WriteFile(ctx, st, "ns/t/u/batch-1.parquet", chatSchema(), chatSource(t, 10), WriteOptions{}); err != nil {
			t.Fatalf("%s: retry: %v", name, err)
		}
	}
	st := newFS(t)
	if n, err := st.CleanupTemp(ctx, "missing/dir", time.Time{}, nil); err != nil || n != 0 {
		t.Fatalf("cleanup of a missing directory: %d, %v", n, err)
	}
	// Old temporary files are removed by an aged cleanup.
	const dead = ".tmp-0123456789abcdef-x.parquet"
	if err := os.WriteFile(filepath.Join(st.Base(), dead), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(filepath.Join(st.Base(), dead), old, old)
	if n, err := st.CleanupTemp(ctx, "", time.Now().Add(-time.Hour), nil); err != nil || n != 1 {
		t.Fatalf("aged cleanup of an old temp file: %d, %v", n, err)
	}
}

// TestCleanupTempRemovesOnlyItsOwnNames: names that merely start like a
// temporary file, directories, and temporary files for final names the
// caller does not claim are someone else's and stay.
func TestCleanupTempRemovesOnlyItsOwnNames(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	dir := filepath.Join(st.Base(), "p")
	if err := os.MkdirAll(filepath.Join(dir, ".tmp-0123456789abcdef-sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	foreign := []string{".tmp-notes.txt", ".tmp-0123456789ABCDEF-batch-1.parquet", ".tmp-0123456789abcdef", ".tmp-0123456789abcdef-",
		".tmp-0123456789abcde-batch-1.parquet", ".tmp-0123456789abcdef-.tmp-x", ".tmp-0123456789abcdef-notes.txt", "CURRENT"}
	ours := ".tmp-0123456789abcdef-batch-1.parquet"
	for _, n := range append(foreign, ours) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	onlyBatches := func(final string) bool { return strings.HasPrefix(final, "batch-") }
	if n, err := st.CleanupTemp(ctx, "p", time.Time{}, onlyBatches); err != nil || n != 1 {
		t.Fatalf("cleanup removed %d (%v), want only %s", n, err, ours)
	}
	for _, n := range foreign {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("foreign %s: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-0123456789abcdef-sub")); err != nil {
		t.Errorf("directory with a temporary-looking name: %v", err)
	}
	// List hides temporary files, not directories.
	ents, err := st.List(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != ".tmp-0123456789abcdef-sub,CURRENT" {
		t.Fatalf("List: %v", names)
	}
}

func TestTempTargetParsesOnlyCreateNames(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	w, err := st.Create(ctx, "d/batch-7.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	raw, err := os.ReadDir(filepath.Join(st.Base(), "d"))
	if err != nil || len(raw) != 1 {
		t.Fatalf("pending write: %v %v", raw, err)
	}
	if final, ok := TempTarget(raw[0].Name()); !ok || final != "batch-7.parquet" {
		t.Fatalf("TempTarget(%q) = %q, %v", raw[0].Name(), final, ok)
	}
	for _, n := range []string{"batch-7.parquet", ".tmp-", ".tmp-x-batch-1.parquet", ".tmp-0123456789abcdefXbatch"} {
		if _, ok := TempTarget(n); ok {
			t.Errorf("TempTarget(%q) accepted", n)
		}
	}
}

func TestRemoveIsForFilesAndRemoveDirForEmptyDirectories(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	if err := os.MkdirAll(filepath.Join(st.Base(), "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(st.Base(), "a", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(ctx, "a/b"); err == nil {
		t.Fatal("Remove removed a directory")
	}
	if err := st.RemoveDir(ctx, "a"); !errors.Is(err, ErrDirNotEmpty) {
		t.Fatalf("RemoveDir of a non-empty directory: %v", err)
	}
	if err := st.RemoveDir(ctx, "a/f"); err == nil {
		t.Fatal("RemoveDir removed a file")
	}
	for _, p := range []string{"", ".", "..", "../x"} {
		if err := st.RemoveDir(ctx, p); !errors.Is(err, ErrBadPath) {
			t.Errorf("RemoveDir(%q) = %v", p, err)
		}
	}
	if err := st.RemoveDir(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(ctx, "a/f"); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveDir(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.Base()); err != nil {
		t.Fatalf("base gone: %v", err)
	}
}

func TestCancelMidWriteLeavesNoFile(t *testing.T) {
	st := newFS(t)
	ctx, cancel := context.WithCancel(context.Background())
	src := chatSource(t, 100000)
	n := 0
	// The source cancels the flush after 25,000 rows, as a KILL JOB or a
	// shutdown would.
	cancelling := SourceFunc(func() (Row, bool, error) {
		n++
		if n == 25000 {
			cancel()
		}
		return src.Next()
	})
	_, err := WriteFile(ctx, st, "ns/t/u/batch-9.parquet", chatSchema(), cancelling, WriteOptions{RowGroupRows: 10000, BatchRows: 1000})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n > 26000 {
		t.Fatalf("the writer went on for %d rows after the cancel", n-25000)
	}
	if names := dirNames(t, st, "ns/t/u"); len(names) != 0 {
		t.Fatalf("cancelled write left %v", names)
	}

	// A source error aborts the same way.
	boom := errors.New("iterator failed")
	k := 0
	_, err = WriteFile(context.Background(), st, "ns/t/u/batch-10.parquet", chatSchema(), SourceFunc(func() (Row, bool, error) {
		k++
		if k == 5000 {
			return Row{}, false, boom
		}
		return src.Next()
	}), WriteOptions{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if names := dirNames(t, st, "ns/t/u"); len(names) != 0 {
		t.Fatalf("failed write left %v", names)
	}
}
