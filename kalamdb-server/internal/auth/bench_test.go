package auth

import (
	"fmt"
	"testing"
)

// BenchmarkCheckPasswordCached is the steady state of Basic auth: the
// credential is in the cache. "quiet" has no failed sign-ins anywhere;
// "under-attack" has a thousand other clients with failures counted (and
// this user's name among them), so every throttle table is populated.
func BenchmarkCheckPasswordCached(b *testing.B) {
	for _, name := range []string{"quiet", "under-attack"} {
		b.Run(name, func(b *testing.B) {
			f := newFixture(b, throttled(testThrottle()))
			if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
				b.Fatal(err)
			}
			if name == "under-attack" {
				for i := range 1000 {
					_, _ = f.auth.CheckPassword(bg(), "alice", "guess", fmt.Sprintf("192.0.%d.%d:1", i/250, i%250))
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
