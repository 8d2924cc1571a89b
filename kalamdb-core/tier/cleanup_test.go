package tier

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestCleanupJudgesFilesByIncarnation: in a dropped table's partition
// directory, the cleanup removes what the dropped table's writers wrote,
// whatever its time, and keeps what another incarnation of the table (one
// created again under its name, or restored) wrote, whatever its time;
// names that tell no writer go by their time, as before incarnations.
func TestCleanupJudgesFilesByIncarnation(t *testing.T) {
	const (
		dropped = "0123456789ab"
		other   = "ba9876543210"
		tmpRand = "0123456789abcdef" // a temporary file's random part (cold.TempTarget)
	)
	droppedAt := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	before, after := droppedAt.Add(-time.Millisecond), droppedAt.Add(time.Hour)
	mirror := func(inc string) string {
		raw, err := json.Marshal(mirrorFile{Incarnation: inc, Manifest: &systable.Manifest{ManifestID: "n:t"}})
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	type file struct {
		name    string
		content string
		mtime   time.Time
		listed  bool
		removed bool // by a job that knows the dropped table's incarnation
		// removedByOldJob: by a job recorded before incarnations.
		removedByOldJob bool
	}
	files := []file{
		{name: "batch-1-" + dropped + "0001.parquet", mtime: before, listed: true, removed: true, removedByOldJob: true},
		// An orphan of the dropped table, written after the drop (a
		// flush that failed at the drop gate and could not remove it),
		// numbered past the manifests' next batch.
		{name: "batch-9-" + dropped + "0002.parquet", mtime: after, removed: true},
		// The table created again under the name: its file's time lags
		// the drop's clock.
		{name: "batch-1-" + other + "0003.parquet", mtime: before, removedByOldJob: true},
		{name: "batch-2-" + other + "0004.parquet", mtime: after},
		// Written before tags carried the incarnation (a random tag):
		// listed, it is the dropped table's; not, an orphan left alone.
		{name: "batch-2-fedcba9876543210.parquet", mtime: before, listed: true, removed: true, removedByOldJob: true},
		{name: "batch-3-fedcba9876543211.parquet", mtime: before, removedByOldJob: true},
		// Untagged names go by their time, up to MaxBatch.
		{name: "batch-3.parquet", mtime: before, removed: true, removedByOldJob: true},
		{name: "batch-4.parquet", mtime: after},
		{name: "batch-6.parquet", mtime: before},
		// Not the server's.
		{name: "notes.txt", mtime: before},
		{name: "batch-1-" + dropped + "0001.parquet.bak", mtime: before},
		// Temporary files, by the name they were for.
		{name: ".tmp-" + tmpRand + "-batch-10-" + dropped + "0005.parquet", mtime: after, removed: true},
		{name: ".tmp-" + tmpRand + "-batch-5-" + other + "0006.parquet", mtime: before, removedByOldJob: true},
		{name: ".tmp-" + tmpRand + "-batch-4.parquet", mtime: before, removed: true, removedByOldJob: true},
		{name: ".tmp-" + tmpRand + "-manifest.json", mtime: before, removed: true, removedByOldJob: true},
	}
	ctx := context.Background()
	run := func(t *testing.T, incarnation, mirrorContent string, mirrorTime time.Time, wantMirror bool, oldJob bool) {
		base := t.TempDir()
		dir := filepath.Join(base, "n", "t")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := &cleanupParams{DroppedAt: droppedAt, MaxBatch: 5, Incarnation: incarnation}
		listed := map[string]bool{}
		var want []string
		all := append(slices.Clone(files), file{name: manifestMirror, content: mirrorContent, mtime: mirrorTime})
		for _, f := range all {
			content := f.content
			if content == "" {
				content = "x"
			}
			full := filepath.Join(dir, f.name)
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(full, f.mtime, f.mtime); err != nil {
				t.Fatal(err)
			}
			if f.listed {
				listed["n/t/"+f.name] = true
				p.Files = append(p.Files, "n/t/"+f.name)
			}
			gone := f.removed
			if oldJob {
				gone = f.removedByOldJob
			}
			if f.name == manifestMirror {
				gone = !wantMirror
			}
			if !gone {
				want = append(want, f.name)
			}
		}
		fsys, err := cold.NewFS(base)
		if err != nil {
			t.Fatal(err)
		}
		defer fsys.Close()
		m := &Manager{files: newFileCache(16, nil)}
		res := &cleanupResult{}
		c := &dirCleaner{m: m, fsys: fsys, storageID: "local", segments: []string{"n", "t"}, table: p, listed: listed,
			minDepth: 1, res: res, prog: &jobs.Progress{}}
		if err := c.walk(ctx, 0, "."); err != nil {
			t.Fatal(err)
		}
		got := dirNames(t, dir)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("left %v\nwant %v", got, want)
		}
	}
	t.Run("DroppedTablesMirror", func(t *testing.T) { run(t, dropped, mirror(dropped), after, false, false) })
	t.Run("AnotherIncarnationsMirror", func(t *testing.T) { run(t, dropped, mirror(other), before, true, false) })
	t.Run("MirrorWithoutIncarnationOld", func(t *testing.T) { run(t, dropped, `{"manifest_id":"n:t"}`, before, false, false) })
	t.Run("MirrorWithoutIncarnationNew", func(t *testing.T) { run(t, dropped, `{"manifest_id":"n:t"}`, after, true, false) })
	t.Run("UnreadableMirror", func(t *testing.T) { run(t, dropped, `{`, before, false, false) })
	// Only the head is read: a large mirror whose tail is not JSON is
	// judged by the incarnation it starts with, and one that names it
	// after other fields goes by its time.
	t.Run("LargeMirrorOfAnotherIncarnation", func(t *testing.T) {
		run(t, dropped, mirror(other)+strings.Repeat(" ", 2*mirrorHeadBytes)+"not json", before, true, false)
	})
	t.Run("IncarnationNotFirst", func(t *testing.T) {
		run(t, dropped, `{"manifest_id":"n:t","incarnation":"`+other+`"}`, before, false, false)
	})
	// A job recorded before incarnations judges every file by its time.
	t.Run("JobWithoutIncarnation", func(t *testing.T) { run(t, "", mirror(other), before, false, true) })
}

// TestCleanupOfListedFiles: without a layout (a job of an s3 storage
// recorded before they were walked, or one whose endpoint changed), the job
// removes the files the dropped table's manifests listed: tagged ones
// whatever their times (a tagged name is its writer's own), untagged ones
// only if older than the drop (a table created again may have written
// the same name since).
func TestCleanupOfListedFiles(t *testing.T) {
	p := &cleanupParams{DroppedAt: time.Now(), MaxBatch: 3, Incarnation: "0123456789ab"}
	for name, want := range map[string]verdict{
		"batch-1-0123456789ab0000.parquet": removeFile,
		"batch-1-fedcba9876543210.parquet": removeFile,
		"batch-1.parquet":                  removeIfOlder,
		"batch-7.parquet":                  removeIfOlder, // listed: MaxBatch does not apply
		"notes.txt":                        skipFile,
	} {
		if got := p.judgeBatch(name, true); got != want {
			t.Errorf("listed %s: %d, want %d", name, got, want)
		}
	}
	old := &cleanupParams{DroppedAt: time.Now(), MaxBatch: 3}
	if got := old.judgeBatch("batch-1-0123456789ab0000.parquet", true); got != removeIfOlder {
		t.Errorf("a job without incarnation: %d, want removeIfOlder", got)
	}
}

// TestCleanupListOnlyPathKeepsWhatIsNotTheDroppedTables: where the job
// does not walk, a listed path is removed only if it is a file of a
// partition directory of the dropped table's layout and its tag names
// no table the catalog has; what is kept is counted as kept. Without a
// layout (a job recorded before them) the names alone decide.
func TestCleanupListOnlyPathKeepsWhatIsNotTheDroppedTables(t *testing.T) {
	const dropped, liveInc = "0123456789ab", "aaaaaaaaaaaa"
	layout := &catalog.TableLayout{Segments: []string{"app", "msgs", catalog.PlaceholderUser}, TableDepth: 1}
	p := &cleanupParams{DroppedAt: time.Now(), MaxBatch: 3, Incarnation: dropped, Layout: layout}
	live := map[string]bool{liveInc: true}
	for f, want := range map[string]verdict{
		"app/msgs/u1/batch-1-0123456789ab0000.parquet":       removeFile,
		"app/msgs/u1/batch-1.parquet":                        removeIfOlder,
		"./app/msgs/u1/batch-2-fedcba9876543210.parquet":     removeFile, // an old tag: listed, the table's
		"app/msgs/u1/batch-1-aaaaaaaaaaaa0000.parquet":       keepFile,   // a live table's tag
		"app/keep/batch-1-0123456789ab0000.parquet":          keepFile,   // another table's directory
		"app/msgs/batch-1-0123456789ab0000.parquet":          keepFile,   // above the partitions
		"app/msgs/u1/x/batch-1-0123456789ab0000.parquet":     keepFile,   // below them
		"app/msgs/u1/../../keep/batch-1.parquet":             keepFile,
		"/app/msgs/u1/batch-1-0123456789ab0000.parquet":      keepFile,
		"app/msgs/bad user/batch-1-0123456789ab0000.parquet": keepFile,
		"app/msgs/u1/notes.txt":                              skipFile,
	} {
		if got := p.listedVerdict(f, live); got != want {
			t.Errorf("listed %s: %d, want %d", f, got, want)
		}
	}
	legacy := &cleanupParams{DroppedAt: time.Now(), MaxBatch: 3, Incarnation: dropped}
	if got := legacy.listedVerdict("anywhere/batch-1-0123456789ab0000.parquet", live); got != removeFile {
		t.Errorf("a job without a layout: %d, want removeFile", got)
	}
	if got := legacy.listedVerdict("anywhere/batch-1-aaaaaaaaaaaa0000.parquet", live); got != keepFile {
		t.Errorf("a job without a layout, a live table's tag: %d, want keepFile", got)
	}
}

// TestUnclaimedCleanupKeepsLiveIncarnations: once no table of the dropped
// id can own them, other incarnations' files go too, but never a file
// tagged with, or a mirror naming, the incarnation of a table the catalog
// has (another table whose partition the directory is, through storages
// whose overlap the checks could not see).
func TestUnclaimedCleanupKeepsLiveIncarnations(t *testing.T) {
	const (
		dropped = "0123456789ab"
		gone    = "ba9876543210" // of a table no longer there
		live    = "aaaaaaaaaaaa" // of a table the catalog has
	)
	base := t.TempDir()
	dir := filepath.Join(base, "n", "t")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mirror, err := json.Marshal(mirrorFile{Incarnation: live, Manifest: &systable.Manifest{ManifestID: "m:u"}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"batch-1-" + dropped + "0001.parquet": "x",
		"batch-1-" + gone + "0002.parquet":    "x",
		"batch-2-" + live + "0003.parquet":    "x",
		manifestMirror:                        string(mirror),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := cold.NewFS(base)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	c := &dirCleaner{m: &Manager{files: newFileCache(16, nil)}, fsys: fsys, storageID: "local", segments: []string{"n", "t"},
		table:     &cleanupParams{DroppedAt: time.Now(), MaxBatch: 5, Incarnation: dropped},
		listed:    map[string]bool{},
		unclaimed: func() bool { return true },
		live:      func() map[string]bool { return map[string]bool{live: true} },
		minDepth:  1, res: &cleanupResult{}, prog: &jobs.Progress{}}
	if err := c.walk(context.Background(), 0, "."); err != nil {
		t.Fatal(err)
	}
	got := dirNames(t, dir)
	want := []string{"batch-2-" + live + "0003.parquet", manifestMirror}
	if !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v (the live table's file and mirror)", got, want)
	}
}

// TestFlushRemovesOnlyItsOwnOrphans: a flush removes the unlisted batch
// files of its partition directory numbered up to its next batch, but
// never one tagged with the incarnation of another table the catalog has
// (a table of another id whose partition the directory is); a tag of no
// live table (a dropped table's, or one written before tags carried the
// incarnation) goes as before.
func TestFlushRemovesOnlyItsOwnOrphans(t *testing.T) {
	const own, other, dead = "0123456789ab", "ba9876543210", "fedcba987654"
	base := t.TempDir()
	dir := filepath.Join(base, "n", "t")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{
		"batch-1-" + own + "0001.parquet",   // listed
		"batch-2-" + own + "0002.parquet",   // an orphan: removed
		"batch-2-" + other + "0003.parquet", // a live table's: kept
		"batch-3-" + dead + "0005.parquet",  // no live table's: removed
		"batch-3.parquet",                   // untagged orphan: removed
		"batch-9-" + own + "0004.parquet",   // past the next batch: kept
		"notes.txt",
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := cold.NewFS(base)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	m := &Manager{files: newFileCache(16, nil), obsolete: &obsoleteFiles{}}
	mf := &systable.Manifest{NextBatch: 4, Files: []systable.ManifestFile{{Path: "n/t/batch-1-" + own + "0001.parquet"}}}
	live := func() map[string]bool { return map[string]bool{own: true, other: true} }
	if err := m.removeOrphans(context.Background(), "local", fsys, "n/t", mf, own, live, false); err != nil {
		t.Fatal(err)
	}
	got := dirNames(t, dir)
	want := []string{"batch-1-" + own + "0001.parquet", "batch-2-" + other + "0003.parquet", "batch-9-" + own + "0004.parquet", "notes.txt"}
	if !slices.Equal(got, want) {
		t.Fatalf("left %v, want %v", got, want)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
