package catalog

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Attacks on the storages' overlap check of branch s3spell14: spellings
// of one object store that the check still takes for two. A pair of
// storages that reach the same objects lets one's dropped-table cleanup or
// orphan removal delete the other's files, so each such pair is the
// dangerous direction (a refused CREATE is only an inconvenience).

// TestAttackS3OverlapLeadingZeroPort: a port written with leading zeros
// is the same port to every client: Go's dialer (parsePort) reads
// "09000" as 9000, and minio-go keeps the endpoint's host:port as written
// (it validates only the host), so a storage at http://127.0.0.1:09000
// reaches the store of http://127.0.0.1:9000, and the request's Host
// header and signature agree with each other (both "127.0.0.1:09000"),
// so an S3 server that does not route by Host (MinIO, path style)
// answers it. endpointPlace compares u.Port() as a string: "09000" !=
// "9000", and "0443" is not the default 443.
func TestAttackS3OverlapLeadingZeroPort(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	for _, base := range []struct{ id, endpoint string }{
		{"loop", "http://127.0.0.1:9000"},
		{"lan", "http://10.0.0.1:9000"},
		{"name", "https://minio.example.com"},
	} {
		if err := createS3At(c, base.id, base.endpoint, "s3://bucket-"+base.id+"/data"); err != nil {
			t.Fatalf("%s: %v", base.id, err)
		}
	}
	for i, alias := range []struct{ endpoint, of string }{
		{"http://127.0.0.1:09000", "loop"},
		{"http://localhost:0009000", "loop"},
		{"http://10.0.0.1:09000", "lan"},
		{"https://minio.example.com:0443", "name"},
		{"https://minio.example.com:443", "name"}, // held: the default port written out
	} {
		err := createS3At(c, fmt.Sprintf("alias%d", i), alias.endpoint, "s3://bucket-"+alias.of+"/data/inner")
		wantOverlap(t, err, alias.endpoint, alias.of)
	}
}

// TestAttackS3OverlapThisMachinesOwnNames: the check equates every
// loopback name and address, and the unspecified address, because "a
// store on this machine answers at all of them". The machine's own host
// name reaches it too: Debian's /etc/hosts maps it to 127.0.1.1 (here, to
// 127.0.0.1), and Go's resolver reads that file. So do the addresses of
// its own interfaces, for a store listening on all addresses (the
// unspecified address the check already equates). A storage at
// http://HOSTNAME:9000 and one at http://127.0.0.1:9000 over one bucket
// and prefix are allowed side by side.
func TestAttackS3OverlapThisMachinesOwnNames(t *testing.T) {
	// The machine's own names for itself, injected: its host name (which
	// /etc/hosts maps to a loopback address) and its interfaces'
	// addresses (a server listening on [::] answers at 192.0.2.2 and
	// 2001:db8::2; a link-local one whatever its zone).
	names := MachineNames{HostName: "VM.", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.2"),
		netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("fe80::2").WithZone("eth0")}}
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{MachineNames: func() MachineNames { return names }})
	defer db.Close()
	if err := createS3At(c, "loop", "http://0.0.0.0:9000", "s3://shared/data"); err != nil {
		t.Fatal(err)
	}
	for i, alias := range []string{"vm", "VM.", "192.0.2.2", "3221225986", "[2001:db8::2]", "[::ffff:192.0.2.2]", "[fe80::2]"} {
		err := createS3At(c, fmt.Sprintf("alias%d", i), "http://"+alias+":9000", "s3://shared/data")
		wantOverlap(t, err, "the machine's own name "+alias, "loop")
	}
	// Another machine's name and address are other stores.
	for i, other := range []string{"vm2", "192.0.2.3"} {
		if err := createS3At(c, fmt.Sprintf("other%d", i), "http://"+other+":9000", "s3://shared/data"); err != nil {
			t.Errorf("%s: %v", other, err)
		}
	}
}

// TestSystemMachineNamesAreThisMachines: without an injected source, the
// check asks the system: its host name and interface addresses.
func TestSystemMachineNamesAreThisMachines(t *testing.T) {
	m := SystemMachineNames()
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no host name here:", err)
	}
	if m.HostName != host {
		t.Errorf("host name %q, want %q", m.HostName, host)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil || len(addrs) == 0 {
		t.Skip("no interface addresses here")
	}
	if len(m.Addrs) != len(addrs) {
		t.Errorf("addresses %v, want those of %v", m.Addrs, addrs)
	}
	if !m.isSelf(strings.ToLower(host)) {
		t.Errorf("the host name %q is not this machine's own", host)
	}
}

// TestAttackS3OverlapOtherVirtualHostedProviders: the check follows
// AWS's virtual hosts (BUCKET.s3...), but minio-go itself addresses
// Alibaba OSS (any *aliyuncs.com host) by virtual host as it does AWS: a
// storage at https://oss-cn-hangzhou.aliyuncs.com, bucket data, prefix tables,
// path_style false, sends its requests to data.oss-cn-hangzhou..., key
// tables/...; a storage at https://data.oss-cn-hangzhou.aliyuncs.com,
// bucket tables (a custom endpoint: path style by default) sends them to
// the same host, path /tables/..., which OSS reads as bucket data, key
// tables/...: the same
// objects. The check takes the two hosts for two stores ("other names are
// taken as written"), unlike the same pair at AWS. Not run against OSS.
func TestAttackS3OverlapOtherVirtualHostedProviders(t *testing.T) {
	t.Skip("KNOWN LIMIT (docs/storage.md, \"What the overlap check cannot see\"): virtual-hosted S3 providers other " +
		"than AWS (Alibaba OSS, which minio-go itself addresses by virtual host; MinIO with MINIO_DOMAIN; Spaces; Wasabi) " +
		"are not followed: oss-cn-hangzhou.aliyuncs.com bucket data prefix tables and data.oss-cn-hangzhou.aliyuncs.com " +
		"bucket tables both exist; the s3 delete paths judge files by incarnation tag, not by this check")
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	if _, err := c.CreateStorage("oss", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("s3://data/tables")
		p.Config = ptr(`{"endpoint":"https://oss-cn-hangzhou.aliyuncs.com","path_style":false}`)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	err := createS3At(c, "vhost", "https://data.oss-cn-hangzhou.aliyuncs.com", "s3://tables")
	wantOverlap(t, err, "OSS virtual host data.oss-cn-hangzhou.aliyuncs.com", "oss")
}

// TestAttackS3EndpointSpellingCostIsBounded: an endpoint's host is not
// bounded in length (a DNS name is at most 253 characters; minio-go
// refuses a host over 255), and awsHostBuckets joins the labels after
// every split (quadratic in the labels), listing a bucket for each split
// that leaves an S3 host: "s3.s3.s3....amazonaws.com" of n labels gives
// 2n places, and placesOverlap compares every place of one storage with
// every place of the other (4n² comparisons of strings n labels long).
// The check runs under the catalog's lock (CreateStorage, AlterStorage)
// before the store is probed, and for every storage already defined at
// each later CREATE/ALTER STORAGE and BACKUP to s3: measured on this
// shared (noisy, 2-core) machine, a 48 KB endpoint took 6 s to list its
// places and 18 s to compare with one like it. Through SQL (the backup
// package's harness), a CREATE STORAGE whose endpoint is "s3." 340000
// times (1 MB; max_sql_bytes is 10 MiB by default) was still validating
// after 30 s, and a CREATE NAMESPACE issued then stayed blocked behind it
// for the 10 s it was watched (quadratic: about 45 minutes expected); the
// probe that would refuse the host (minio-go takes at most 255
// characters) runs only after. A host longer than a DNS name can be
// should be refused as invalid input before its places are listed.
func TestAttackS3EndpointSpellingCostIsBounded(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	self := MachineNames{}
	host := strings.Repeat("s3.", 300) + "amazonaws.com" // 913 characters
	if n := len(s3Places(self, "https://"+host, "bucket", "p")); n > 2*127 {
		t.Errorf("a %d-character host gives %d places; no DNS name (253 characters, 127 labels) gives more than %d", len(host), n, 2*127)
	}
	err := createS3At(c, "long", "https://"+host, "s3://bucket/p")
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "253") {
		t.Errorf("CREATE STORAGE with a %d-character endpoint host: %v, want it refused as invalid input naming the limit 253", len(host), err)
	}
	label := "https://" + strings.Repeat("a", 64) + ".example.com"
	err = createS3At(c, "label", label, "s3://bucket/p")
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "63") {
		t.Errorf("CREATE STORAGE with a 64-character label: %v, want it refused as invalid input naming the limit 63", err)
	}
	// The longest host DNS allows, every split an S3 host: its places
	// are bounded by its labels, and it is accepted.
	longest := strings.Repeat("s3.", 80) + "amazonaws.com" // 253 characters, 82 labels
	if len(longest) != 253 {
		t.Fatalf("the test's host has %d characters", len(longest))
	}
	if n := len(s3Places(self, "https://"+longest, "bucket", "p")); n > 2*82 {
		t.Errorf("a host of 82 labels gives %d places, want at most %d", n, 2*82)
	}
	if err := createS3At(c, "longest", "https://"+longest, "s3://bucket/p"); err != nil {
		t.Errorf("CREATE STORAGE at a 253-character host: %v", err)
	}
	// Through ALTER STORAGE too, before any place is listed.
	err = c.AlterStorage("longest", dialect.StorageProps{Config: ptr(`{"endpoint":"https://` + host + `"}`)}, nil, asSystem)
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput {
		t.Errorf("ALTER STORAGE to a %d-character endpoint host: %v, want it refused as invalid input", len(host), err)
	}
}

// TestAttackS3OverlapIDNASpellings: Go's HTTP client dials a host that is
// not ASCII by its IDNA lookup form (net/http canonicalAddr: UTS #46
// mapping), which drops invisible characters (U+200B, U+00AD), folds
// full-width letters and digits and reads the ideographic full stop
// U+3002 as a dot: http://\u200blocalhost:9000, http://ｌｏｃａｌｈｏｓｔ:9000
// and http://127。0。0。1:9000 connect to localhost:9000 (checked with an
// httptest server). minio-go accepts such hosts (IsValidDomain refuses
// only some ASCII punctuation). The Host header is sent in punycode
// without that mapping, so a signed request fails its signature check;
// a storage without credentials (anonymous requests, which the server
// supports) reaches the bucket. endpointPlace lower-cases and compares the
// host as written.
func TestAttackS3OverlapIDNASpellings(t *testing.T) {
	t.Skip("KNOWN LIMIT (docs/storage.md, \"What the overlap check cannot see\"): hosts that Go's HTTP client maps " +
		"to localhost by IDNA (invisible U+200B/U+00AD, full-width letters, U+3002 dots) are other stores to the overlap " +
		"check; reachable only by storages without credentials (the Host header is sent unmapped, so signatures fail)")
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	if err := createS3At(c, "loop", "http://127.0.0.1:9000", "s3://shared/data"); err != nil {
		t.Fatal(err)
	}
	for i, alias := range []string{"http://\u200blocalhost:9000", "http://local\u00adhost:9000",
		"http://ｌｏｃａｌｈｏｓｔ:9000", "http://127。0。0。1:9000", "http://１２７.０.０.１:9000"} {
		err := createS3At(c, fmt.Sprintf("alias%d", i), alias, "s3://shared/data")
		wantOverlap(t, err, fmt.Sprintf("%q", alias), "loop")
	}
}

// TestAttackS3OverlapThroughOtherAWSPartitionsVirtualHosts: the check
// follows virtual hosts of AWS's amazonaws.com and amazonaws.com.cn
// partitions only. The other partitions (aws-sdk-go-v2's partitions.json:
// aws-eusc amazonaws.eu, aws-iso c2s.ic.gov, aws-iso-b sc2s.sgov.gov,
// aws-iso-e cloud.adc-e.uk, aws-iso-f csp.hci.ic.gov) serve S3 the same
// way: BUCKET.s3.REGION.SUFFIX is bucket BUCKET, and the server sends a
// custom endpoint's requests path style, so a storage at
// https://mybucket.s3.eusc-de-east-1.amazonaws.eu, bucket tables, keeps
// its objects in mybucket under tables/, where a storage at
// https://s3.eusc-de-east-1.amazonaws.eu, bucket mybucket, prefix tables,
// keeps its own. The check takes the two hosts for two stores.
func TestAttackS3OverlapThroughOtherAWSPartitionsVirtualHosts(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	for i, pair := range []struct{ regional, region, suffix string }{
		{"https://s3.eusc-de-east-1.amazonaws.eu", "eusc-de-east-1", "amazonaws.eu"},
		{"https://s3.us-iso-east-1.c2s.ic.gov", "us-iso-east-1", "c2s.ic.gov"},
		{"https://s3.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1", "sc2s.sgov.gov"},
		{"https://s3.eu-isoe-west-1.cloud.adc-e.uk", "eu-isoe-west-1", "cloud.adc-e.uk"},
		{"https://s3.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1", "csp.hci.ic.gov"},
	} {
		base := fmt.Sprintf("base%d", i)
		if err := createS3At(c, base, pair.regional, fmt.Sprintf("s3://mybucket%d/tables", i)); err != nil {
			t.Fatal(err)
		}
		vhost := fmt.Sprintf("https://mybucket%d.s3.%s.%s", i, pair.region, pair.suffix)
		err := createS3At(c, fmt.Sprintf("vhost%d", i), vhost, "s3://tables")
		wantOverlap(t, err, vhost, base)
	}
}
