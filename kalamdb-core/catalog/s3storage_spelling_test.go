package catalog

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// createS3At creates an s3 storage of bucket (a name or s3://bucket/prefix)
// at endpoint ("" is AWS).
func createS3At(c *Catalog, id, endpoint, bucket string) error {
	_, err := c.CreateStorage(id, s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr(bucket)
		if endpoint != "" {
			p.Config = ptr(`{"endpoint":"` + endpoint + `","allow_http":true}`)
		}
	}), false, nil, asSystem)
	return err
}

func wantOverlap(t *testing.T, err error, what, of string) {
	t.Helper()
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "overlaps storage "+of) {
		t.Errorf("%s: got %v, want it refused as overlapping %s", what, err, of)
	}
}

// TestS3StorageOverlapAcrossNumericIPv4Spellings: a numeric host that is
// not dotted-quad (127.1, 2130706433, 0x7f000001, 0177.0.0.1) is an IPv4
// address to the C library's resolver (inet_aton), which Go uses with
// cgo (this server links RocksDB through cgo; nsswitch settings or
// GODEBUG=netdns=cgo select it) and curl uses always: so it can reach the
// same store as its dotted-quad spelling, and is compared as that
// address. An IPv4-mapped IPv6 address is its IPv4 address, and IPv6
// addresses compare in their canonical form. A leading 0 is octal:
// 0127.0.0.1 is 87.0.0.1, not a loopback address.
func TestS3StorageOverlapAcrossNumericIPv4Spellings(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	for _, base := range []struct{ id, endpoint string }{
		{"loop", "http://127.0.0.1:9000"},
		{"lan", "http://10.0.0.1:9000"},
		{"v6", "http://[2001:db8::1]:9000"},
	} {
		if err := createS3At(c, base.id, base.endpoint, "s3://bucket-"+base.id+"/data"); err != nil {
			t.Fatalf("%s: %v", base.id, err)
		}
	}
	for i, alias := range []struct{ endpoint, of string }{
		{"http://127.1:9000", "loop"},
		{"http://127.0.1:9000", "loop"},
		{"http://2130706433:9000", "loop"},
		{"http://0x7f000001:9000", "loop"},
		{"http://0X7F000001:9000", "loop"},
		{"http://0x7f.0.0.1:9000", "loop"},
		{"http://0177.0.0.1:9000", "loop"},
		{"http://127.000.000.001:9000", "loop"},
		{"http://[::ffff:127.0.0.1]:9000", "loop"},
		{"http://[::ffff:7f00:1]:9000", "loop"},
		{"http://10.1:9000", "lan"},
		{"http://10.0.1:9000", "lan"},
		{"http://167772161:9000", "lan"},
		{"http://0xa.0.0.1:9000", "lan"},
		{"http://012.0.0.01:9000", "lan"},
		{"http://[::ffff:10.0.0.1]:9000", "lan"},
		{"http://[2001:DB8:0:0::1]:9000", "v6"},
		{"http://[2001:db8:0000::0001]:9000", "v6"},
	} {
		err := createS3At(c, fmt.Sprintf("alias%d", i), alias.endpoint, "s3://bucket-"+alias.of+"/data/inner")
		wantOverlap(t, err, alias.endpoint, alias.of)
	}
	// Other addresses, and names that are no address to any resolver,
	// are other stores.
	for i, other := range []struct{ endpoint, bucket string }{
		{"http://0127.0.0.1:9000", "bucket-loop"}, // octal: 87.0.0.1
		{"http://10.0.0.2:9000", "bucket-lan"},
		{"http://10.256:9000", "bucket-lan"},      // 10.0.1.0
		{"http://0x7g.0.0.1:9000", "bucket-loop"}, // not a number: a name
		{"http://1.2.3.4.5:9000", "bucket-loop"},  // five parts: a name
		{"http://[2001:db8::2]:9000", "bucket-v6"},
	} {
		if err := createS3At(c, fmt.Sprintf("other%d", i), other.endpoint, "s3://"+other.bucket+"/data"); err != nil {
			t.Errorf("%s: %v", other.endpoint, err)
		}
	}
}

// TestS3StorageOverlapThroughAWSVirtualHosts: an AWS endpoint can carry
// the bucket in its host (BUCKET.s3.REGION.amazonaws.com and the
// dual-stack, legacy and FIPS forms): the client sends the storage's own
// bucket and prefix as the key's path, so the storage's objects are in
// the host's bucket under BUCKET/PREFIX. An access point (its host or its
// alias as the bucket) can name any bucket, so it overlaps every AWS
// storage whose prefix overlaps.
func TestS3StorageOverlapThroughAWSVirtualHosts(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	for _, base := range []struct{ id, endpoint, bucket string }{
		{"plain", "", "s3://mybucket/data"},
		{"dotted", "", "s3://my.dotted/xyz"},
		{"vhost", "https://vbucket.s3.eu-west-1.amazonaws.com", "s3://tables/t1"},
		{"hyphen", "", "s3://s3-hyphen/hdata"},
	} {
		if err := createS3At(c, base.id, base.endpoint, base.bucket); err != nil {
			t.Fatalf("%s: %v", base.id, err)
		}
	}
	for i, alias := range []struct{ endpoint, bucket, of string }{
		{"https://mybucket.s3.us-east-1.amazonaws.com", "s3://data", "plain"},
		{"https://mybucket.s3.amazonaws.com", "s3://data/inner", "plain"},
		{"https://MyBucket.S3.us-east-1.amazonaws.com.", "s3://data", "plain"},
		{"https://mybucket.s3.dualstack.us-east-1.amazonaws.com", "s3://data", "plain"},
		{"https://mybucket.s3-us-west-2.amazonaws.com", "s3://data", "plain"},
		{"https://mybucket.s3-fips.us-east-1.amazonaws.com", "s3://data", "plain"},
		{"https://mybucket.s3-fips.dualstack.us-gov-west-1.amazonaws.com", "s3://data", "plain"},
		{"https://s3-fips.dualstack.us-east-1.amazonaws.com", "s3://mybucket", "plain"},
		{"https://s3-external-1.amazonaws.com", "s3://mybucket/data", "plain"},
		{"https://my.dotted.s3.us-east-2.amazonaws.com", "s3://xyz", "dotted"},
		{"https://mybucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", "s3://data", "plain"},
		{"https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", "s3://mybucket/data", "plain"},
		{"https://s3xfoo.amazonaws.com", "s3://mybucket/data", "plain"}, // minio-go takes it for AWS
		{"", "s3://vbucket/tables", "vhost"},
		// A bucket whose name starts like an S3 host: minio-go takes the
		// host for AWS's own and sends the storage's bucket to the
		// regional endpoint; a client that sends it as written reaches
		// the host's bucket.
		{"https://s3-hyphen.s3.us-east-1.amazonaws.com", "s3://hdata", "hyphen"},
		{"https://s3-hyphen.s3.us-east-1.amazonaws.com", "s3://mybucket/data", "plain"},
		{"https://vbucket.s3.amazonaws.com", "s3://tables/t1/inner", "vhost"},
		{"", "s3://myap-abcdefgh12345678901234567890-s3alias/data", "plain"},
		{"https://myap-123456789012.s3-accesspoint.us-east-1.amazonaws.com", "s3://data", "plain"},
		{"https://myap-abcdefgh12345678901234567890-s3alias.s3.us-east-1.amazonaws.com", "s3://data", "plain"},
	} {
		err := createS3At(c, fmt.Sprintf("alias%d", i), alias.endpoint, alias.bucket)
		wantOverlap(t, err, alias.endpoint+" "+alias.bucket, alias.of)
	}
	for i, other := range []struct{ endpoint, bucket string }{
		{"https://otherbucket.s3.us-east-1.amazonaws.com", "s3://data"},
		{"https://mybucket.s3.us-east-1.amazonaws.com", "s3://logs"},
		{"https://vbucket.s3.eu-west-1.amazonaws.com", "s3://tables/t2"},
		{"https://mybucket.s3.example.com", "s3://data"}, // not AWS: its own store
	} {
		if err := createS3At(c, fmt.Sprintf("other%d", i), other.endpoint, other.bucket); err != nil {
			t.Errorf("%s %s: %v", other.endpoint, other.bucket, err)
		}
	}
	// A backup location is checked against the same places.
	if _, _, err := c.BackupS3Location("s3://mybucket/logs/b1"); err == nil || !strings.Contains(err.Error(), "overlaps the table data of storage other1") {
		t.Errorf("backup into another storage's objects through a virtual host: %v, want it refused", err)
	}
}

// TestS3StorageOverlapThroughConventionalLoopbackNames: the loopback
// names that Debian's and Red Hat's /etc/hosts give (ip6-localhost,
// localhost6, localhost.localdomain, ...) reach this machine as localhost
// does, through any resolver that reads that file (Go's own does).
func TestS3StorageOverlapThroughConventionalLoopbackNames(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	if err := createS3At(c, "loop", "http://127.0.0.1:9000", "s3://shared/data"); err != nil {
		t.Fatal(err)
	}
	for i, alias := range []string{"localhost.localdomain", "localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback"} {
		err := createS3At(c, fmt.Sprintf("alias%d", i), "http://"+alias+":9000", "s3://shared/data")
		wantOverlap(t, err, alias, "loop")
	}
}

// TestParseInetAton: the forms glibc's getaddrinfo (inet_aton) reads, and
// the ones it refuses, as it answered on Linux (GODEBUG=netdns=cgo).
func TestParseInetAton(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"255.255.255.255", "255.255.255.255"},
		{"1.16777215", "1.255.255.255"},
		{"1.16777216", ""},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"256.1", ""},
		{"1.2.65535", "1.2.255.255"},
		{"1.2.65536", ""},
		{"0x", ""},
		{"0x.1", ""},
		{"00", "0.0.0.0"},
		{"09", ""},
		{"08.1", ""},
		{"0xFFFFFFFF", "255.255.255.255"},
		{"1.2.3.4.5", ""},
		{"0", "0.0.0.0"},
		{"010", "0.0.0.8"},
		{"1.0x10", "1.0.0.16"},
		{"00000000000000000001.1", "1.0.0.1"},
		{"0127.0.0.1", "87.0.0.1"},
		{"1..1", ""},
		{"", ""},
		{"+1", ""},
		{"example.com", ""},
	} {
		got := ""
		if a, ok := parseInetAton(c.in); ok {
			got = a.String()
		}
		if got != c.want {
			t.Errorf("parseInetAton(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
