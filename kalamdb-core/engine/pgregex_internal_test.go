package engine

import (
	"fmt"
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
	if _, err := c.get(big, "i"); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := c.get(big, "i"); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a cached pattern's lookup allocated %v times", n)
	}
	for i := 0; i < 200; i++ {
		if _, err := c.get(fmt.Sprintf("%s%d", big, i), ""); err != nil {
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
