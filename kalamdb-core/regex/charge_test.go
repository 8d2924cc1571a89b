package regex_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/regex"
)

// What CompileWithin charges must cover what the compiled pattern keeps.
// Unicode's \w and [:alpha:] are classes of some 1,500 ranges each, kept
// once per place they are written: a 4 kB pattern of 2,000 \w kept 27 MB
// and was charged 132 kB as 2,002 instructions of 64 bytes, so a
// statement's 256 MiB budget admitted 50 GB of such patterns. A class
// repeated by a count ({n}) is kept once and must not be charged n times.
func TestChargeCoversCharacterClasses(t *testing.T) {
	for _, p := range []string{
		strings.Repeat(`\w`, 600),
		strings.Repeat(`[[:alpha:]]`, 100),
		strings.Repeat(`\W`, 300) + strings.Repeat(`\s`, 300),
		`(\w|x)\w*$` + strings.Repeat(`[[:upper:]]`, 300),
		`\w{1000}`,
		`(a|b){1000}(c|d){1000}`,
	} {
		for _, f := range []regex.Flags{{DotAll: true}, {DotAll: true, CaseInsensitive: true}} {
			const n = 3
			var charged int64
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			keep := make([]*regex.Regexp, n)
			for i := range keep {
				re, err := regex.CompileWithin("", p, f, func(b int64) error { charged = b; return nil })
				if err != nil {
					t.Fatalf("%.20s…: %v", p, err)
				}
				keep[i] = re
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
			runtime.KeepAlive(keep)
			if charged < held {
				t.Errorf("%.20s… (%+v): charged %d bytes, keeps %d", p, f, charged, held)
			}
			if charged > 8*held+1<<20 {
				t.Errorf("%.20s… (%+v): charged %d bytes, keeps only %d", p, f, charged, held)
			}
		}
	}
}
