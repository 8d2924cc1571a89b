package tier

import (
	"regexp"
	"testing"
)

// TestBatchNames: every new name of a batch parses back to its number, and
// no two are the same (a writer's name is its own); the untagged names of
// older manifests and backups still parse; nothing else is a batch file's
// name (the server deletes only those).
func TestBatchNames(t *testing.T) {
	shape := regexp.MustCompile(`^batch-7-[0-9a-f]{16}\.parquet$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		name := newBatchName(7)
		if !shape.MatchString(name) {
			t.Fatalf("new name %q", name)
		}
		if n, ok := batchNumber(name); !ok || n != 7 {
			t.Fatalf("batchNumber(%q) = %d, %v", name, n, ok)
		}
		if seen[name] {
			t.Fatalf("%q chosen twice", name)
		}
		seen[name] = true
	}
	fresh, ok := FreshBatchName("batch-12.parquet")
	if n, parsed := batchNumber(fresh); !ok || !parsed || n != 12 || fresh == "batch-12.parquet" {
		t.Fatalf("FreshBatchName(batch-12.parquet) = %q, %v", fresh, ok)
	}
	if fresh2, _ := FreshBatchName(fresh); fresh2 == fresh {
		t.Fatalf("FreshBatchName kept %q", fresh)
	}
	if n, ok := batchNumber("batch-3.parquet"); !ok || n != 3 {
		t.Fatalf("untagged name: %d, %v", n, ok)
	}
	for _, name := range []string{"batch-0.parquet", "batch-01.parquet", "batch-.parquet", "batch-1.parquet.bak",
		"batch-1-notes.parquet", "batch-1-0123456789ABCDEF.parquet", "batch-1-0123456789abcdef0.parquet",
		"batch-1-0123456789abcde.parquet", "batch-1--0123456789abcdef.parquet", "batch-1-0123456789abcdef-0123456789abcdef.parquet",
		"batch--0123456789abcdef.parquet", "batch-1-.parquet", "batch-x-0123456789abcdef.parquet", "manifest.json",
		"batch-1234567890123456789.parquet"} {
		if n, ok := batchNumber(name); ok {
			t.Errorf("batchNumber(%q) = %d: not a name the server writes", name, n)
		}
		if _, ok := FreshBatchName(name); ok {
			t.Errorf("FreshBatchName(%q) accepted it", name)
		}
	}
}
