package tier

import (
	"regexp"
	"strings"
	"testing"
)

// TestBatchNames: every new name of a batch parses back to its number and
// its writer's incarnation, and no two are the same (a writer's name is
// its own); the untagged names of older manifests and backups still
// parse; nothing else is a batch file's name (the server deletes only
// those).
func TestBatchNames(t *testing.T) {
	const inc = "0123456789ab"
	shape := regexp.MustCompile(`^batch-7-0123456789ab[0-9a-f]{4}\.parquet$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		name := newBatchName(7, inc)
		if !shape.MatchString(name) {
			t.Fatalf("new name %q", name)
		}
		if n, tag, ok := parseBatchName(name); !ok || n != 7 || tagIncarnation(tag) != inc {
			t.Fatalf("parseBatchName(%q) = %d, %q, %v", name, n, tag, ok)
		}
		seen[name] = true
	}
	// 100 draws of 16 random bits: a repeat or two is likely, but not
	// many (a writer's name is its own by its incarnation first).
	if len(seen) < 90 {
		t.Fatalf("100 names, %d distinct", len(seen))
	}
	fresh, ok := FreshBatchName("batch-12.parquet", inc)
	if n, tag, parsed := parseBatchName(fresh); !ok || !parsed || n != 12 || tagIncarnation(tag) != inc {
		t.Fatalf("FreshBatchName(batch-12.parquet) = %q, %v", fresh, ok)
	}
	const other = "ba9876543210"
	if fresh2, _ := FreshBatchName(fresh, other); fresh2 == fresh || !strings.HasPrefix(fresh2, "batch-12-"+other) {
		t.Fatalf("FreshBatchName(%q, %s) = %q", fresh, other, fresh2)
	}
	for _, bad := range []string{"", "0123456789a", "0123456789abc", "0123456789AB", "0123456789ag"} {
		if name, ok := FreshBatchName("batch-12.parquet", bad); ok {
			t.Errorf("FreshBatchName for incarnation %q = %q", bad, name)
		}
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
		if _, ok := FreshBatchName(name, inc); ok {
			t.Errorf("FreshBatchName(%q) accepted it", name)
		}
	}
}
