package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/regex"
)

// A pattern that is not constant (a column) is compiled once per
// distinct pattern: looking up one already compiled allocates nothing
// (the key was the pattern and its flags joined: a copy of the pattern
// every row), and the patterns kept are bounded by their programs' size
// as well as by their number.
func TestRegexCacheIsBounded(t *testing.T) {
	c := &regexCache{}
	big := strings.Repeat("[a-z]{20}", 400) // 8,000 instructions
	if _, err := c.get(nil, big, "i"); err != nil {
		t.Fatal(err)
	}
	// In bytes against the 3,600-byte pattern, not as a count: other
	// tests' background goroutines may allocate a little meanwhile.
	const runs = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := c.get(nil, big, "i"); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 512 {
		t.Errorf("a cached pattern's lookup allocated %d bytes", per)
	}
	for i := 0; i < 200; i++ {
		if _, err := c.get(nil, fmt.Sprintf("%s%d", big, i), ""); err != nil {
			t.Fatal(err)
		}
		if len(c.last) > maxCachedRegexps || c.size > maxCachedRegexSize {
			t.Fatalf("after %d patterns the cache holds %d of %d instructions", i+1, len(c.last), c.size)
		}
	}
	if c.size > 4*regex.MaxProgram {
		t.Fatalf("the cache holds %d instructions", c.size)
	}
}
