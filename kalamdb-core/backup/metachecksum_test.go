package backup_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// manifestChecksums lists the metadata checksums (length and CRC-32C)
// that s's manifests of namespace app record, sorted.
func manifestChecksums(t *testing.T, s *server) []string {
	t.Helper()
	var out []string
	for _, r := range s.must("SELECT files FROM system.manifest WHERE namespace_id = 'app'")[0].Rows {
		var files []systable.ManifestFile
		if err := json.Unmarshal(r[0].(json.RawMessage), &files); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			out = append(out, fmt.Sprintf("%d/%08x", f.MetaBytes, f.MetaCRC32C))
		}
	}
	slices.Sort(out)
	return out
}

// TestRestoreKeepsMetaChecksums: the checksum of every file's metadata
// (its tail: bloom filters, page indexes, footer) that flush writes into
// the manifest travels through a backup and a restore, so restored files
// are verified as the originals were, and read.
func TestRestoreKeepsMetaChecksums(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	fill(src)
	want := dump(src)
	sums := manifestChecksums(t, src)
	if len(sums) == 0 {
		t.Fatal("no cold files")
	}
	for _, s := range sums {
		if s[0] == '0' {
			t.Fatalf("a flushed file without a checksum: %v", sums)
		}
	}
	src.mustJob("BACKUP DATABASE app TO 'app-1'")
	dst := newServer(t, root)
	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if got := manifestChecksums(t, dst); !slices.Equal(got, sums) {
		t.Fatalf("restored checksums %v, backed up %v", got, sums)
	}
	if got := dump(dst); got != want {
		t.Fatalf("restored namespace differs:\n got:\n%s\nwant:\n%s", got, want)
	}
}
