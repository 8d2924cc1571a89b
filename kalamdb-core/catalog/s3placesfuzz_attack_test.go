package catalog

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzAttackS3Places feeds the overlap check's normaliser (normalizeEndpoint,
// endpointPlace, s3Places, placesOverlap) arbitrary endpoints, buckets and
// prefixes: it must never panic, and what it answers must be a relation
// the check can rely on: a storage always overlaps itself, and overlap is
// symmetric (validateS3 compares a new storage with each old one, and
// BackupS3Location a backup with each storage, in one direction only).
func FuzzAttackS3Places(f *testing.F) {
	for _, s := range []struct{ endpoint, bucket, prefix string }{
		{"", "bucket", ""},
		{"http://127.0.0.1:9000", "bucket", "data"},
		{"http://127.1:09000", "b.u.c", "a/b"},
		{"http://0x7f000001", "bucket", "x"},
		{"http://[::ffff:127.0.0.1]:9000", "bucket", ""},
		{"http://[fe80::1%25eth0]:9000", "bucket", ""},
		{"http://[::1%25lo]", "bucket", ""},
		{"http://[0:0::1]", "bucket", ""},
		{"HTTP://LOCALHOST.:80", "bucket", ""},
		{"https://mybucket.s3.us-east-1.amazonaws.com", "data", "p"},
		{"https://s3-hyphen.s3.us-east-1.amazonaws.com", "data", "p"},
		{"https://a.b.bucket.vpce-1a.s3.us-east-1.vpce.amazonaws.com", "data", ""},
		{"https://accesspoint.vpce-1a.s3.us-east-1.vpce.amazonaws.com", "data", ""},
		{"https://myap-1.s3-accesspoint.us-east-1.amazonaws.com", "x-s3alias", ""},
		{"https://s3.s3.s3.s3.amazonaws.com.cn", "s3.s3", ""},
		{"https://.s3.amazonaws.com", "bucket", ""},
		{"https://s3.amazonaws.com..", "bucket", ""},
		{"http://%e2%80%8blocalhost:9000", "bucket", ""},
		{"http://user:pass@host:9000/bucket", "bucket", ""},
		{"http://host:9000/bucket", "bucket", ""},
		{"http://[::1]:", "bucket", ""},
		{"http://:9000", "bucket", ""},
		{"0177.0.0.1:9000", "bucket", ""},
		{"http://4294967295", "bucket", ""},
		{"http://0x" + strings.Repeat("0", 100) + "7f.1", "bucket", ""},
	} {
		f.Add(s.endpoint, s.bucket, s.prefix)
	}
	f.Fuzz(func(t *testing.T, endpoint, bucket, prefix string) {
		if len(endpoint) > 1024 {
			return // the cost of long hosts is TestAttackS3EndpointSpellingCostIsBounded's
		}
		ep, err := normalizeEndpoint(endpoint, true)
		if err != nil {
			return
		}
		self := MachineNames{HostName: "vm", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.2")}}
		a := s3Places(self, ep, bucket, prefix)
		if len(a) == 0 {
			t.Fatalf("%q %q %q: no place at all", ep, bucket, prefix)
		}
		if !placesOverlap(a, a) {
			t.Fatalf("%q %q %q: does not overlap itself: %v", ep, bucket, prefix, a)
		}
		// Against a neighbour of the same bucket on the loopback store and
		// on AWS: symmetric answers.
		for _, o := range [][]s3Place{
			s3Places(self, "http://127.0.0.1:9000", bucket, ""),
			s3Places(self, "", bucket, prefix),
			s3Places(self, "https://"+bucket+".s3.amazonaws.com", "data", ""),
		} {
			if placesOverlap(a, o) != placesOverlap(o, a) {
				t.Fatalf("%q %q %q: overlap is not symmetric with %v", ep, bucket, prefix, o)
			}
		}
	})
}
