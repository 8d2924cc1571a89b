package catalog

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func s3Props(mutate func(*dialect.StorageProps)) dialect.StorageProps {
	p := dialect.StorageProps{Type: ptr(StorageS3), Bucket: ptr("bucket-a")}
	mutate(&p)
	return p
}

func TestS3StorageDefinitions(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, filepath.Join(dir, "rocksdb"), Options{})
	defer db.Close()
	create := func(id string, p dialect.StorageProps) error {
		_, err := c.CreateStorage(id, p, false, nil, asSystem)
		return err
	}
	for _, tc := range []struct {
		id                string
		props             dialect.StorageProps
		bucket, base, end string
	}{
		{"url", s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("s3://bucket-b/some/prefix/") }), "bucket-b", "s3://bucket-b/some/prefix", ""},
		{"basedir", s3Props(func(p *dialect.StorageProps) { p.Bucket = nil; p.Path = ptr("s3://bucket-c/p") }), "bucket-c", "s3://bucket-c/p", ""},
		{"prefix", s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("bucket-d"); p.Path = ptr("/data/") }), "bucket-d", "s3://bucket-d/data", ""},
		{"endpoint", s3Props(func(p *dialect.StorageProps) {
			p.Bucket = ptr("bucket-e")
			p.Config = ptr(`{"endpoint":"http://127.0.0.1:9000","allow_http":true,"force_path_style":true,"list_page_size":2}`)
		}), "bucket-e", "s3://bucket-e", "http://127.0.0.1:9000"},
	} {
		if err := create(tc.id, tc.props); err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		st, _ := c.Snapshot().Storage(tc.id)
		if st.Bucket != tc.bucket || st.BaseDirectory != tc.base || st.Endpoint != tc.end {
			t.Fatalf("%s stored as %+v", tc.id, st)
		}
	}
	s, err := c.S3Settings(func() *systable.Storage { st, _ := c.Snapshot().Storage("endpoint"); return st }())
	if err != nil || s.Endpoint != "127.0.0.1:9000" || !s.Insecure || !s.PathStyle || s.Bucket != "bucket-e" || s.Prefix != "" || s.ListPageSize != 2 {
		t.Fatalf("settings %+v, %v", s, err)
	}
	for _, bad := range []struct {
		props dialect.StorageProps
		code  apierror.Code
		msg   string
	}{
		{s3Props(func(p *dialect.StorageProps) { p.Bucket = nil }), apierror.InvalidInput, "needs a BUCKET"},
		{s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("Bad_Name") }), apierror.InvalidInput, "invalid bucket name"},
		{s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("s3://bucket-x/a/../b") }), apierror.InvalidInput, "clean relative path"},
		{s3Props(func(p *dialect.StorageProps) { p.Path = ptr("s3://other-bucket/x") }), apierror.InvalidInput, "different places"},
		{s3Props(func(p *dialect.StorageProps) { p.Config = ptr(`{"endpoint":"http://h:9000"}`) }), apierror.InvalidInput, "allow_http"},
		{s3Props(func(p *dialect.StorageProps) { p.Config = ptr(`{"colour":"red"}`) }), apierror.InvalidInput, "known keys"},
		{s3Props(func(p *dialect.StorageProps) { p.Config = ptr(`{"list_page_size":1001}`) }), apierror.InvalidInput, "list_page_size"},
		{s3Props(func(p *dialect.StorageProps) { p.Config = ptr(`{"endpoint":"ftp://h"}`) }), apierror.InvalidInput, "invalid endpoint"},
		{s3Props(func(p *dialect.StorageProps) { p.Credentials = ptr(`{"access_key_id":"k"}`) }), apierror.InvalidInput, "both access_key_id and secret_access_key"},
		{s3Props(func(p *dialect.StorageProps) { p.Credentials = ptr(`{"password":"hunter2"}`) }), apierror.InvalidInput, "CREDENTIALS must be"},
		// Inside, or around, another s3 storage's place.
		{s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("s3://bucket-b/some/prefix/deeper") }), apierror.InvalidInput, "overlaps storage url"},
		{s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("bucket-b") }), apierror.InvalidInput, "overlaps storage url"},
		{dialect.StorageProps{Type: ptr(StorageFilesystem), Path: ptr(filepath.Join(dir, "fs")), Config: ptr(`{}`)}, apierror.InvalidInput, "CONFIG applies to s3"},
	} {
		err := create("bad", bad.props)
		ae, ok := apierror.As(err)
		if !ok || ae.Code != bad.code || !strings.Contains(ae.Message, bad.msg) {
			t.Errorf("%+v: got %v, want %s %q", bad.props, err, bad.code, bad.msg)
		}
		if strings.Contains(ae.Error(), "hunter2") {
			t.Errorf("the error repeats the credentials: %v", err)
		}
	}
	if _, ok := c.Snapshot().Storage("bad"); ok {
		t.Fatal("a refused definition was saved")
	}
	// The same bucket elsewhere (another endpoint) is another place.
	if err := create("other", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("bucket-b")
		p.Endpoint = ptr("https://minio.internal:9000")
	})); err != nil {
		t.Fatal(err)
	}
	// ALTER changes CONFIG and credentials; a CONFIG spelled differently is
	// no change.
	if err := c.AlterStorage("endpoint", dialect.StorageProps{Config: ptr(`{ "endpoint" : "http://127.0.0.1:9000", "allow_http":true, "force_path_style":true }`)}, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	if err := c.AlterStorage("endpoint", dialect.StorageProps{Config: ptr(`{"endpoint":"http://127.0.0.1:9001","allow_http":true}`),
		Credentials: ptr(`{"access_key_id":"AK","secret_access_key":"SK"}`)}, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	st, _ := c.Snapshot().Storage("endpoint")
	if s, err := c.S3Settings(st); err != nil || s.Endpoint != "127.0.0.1:9001" || s.Credentials.SecretAccessKey != "SK" {
		t.Fatalf("after ALTER: %+v, %v", s, err)
	}
	// A check that refuses keeps the old definition.
	refuse := func(*systable.Storage) error { return apierror.New(apierror.InvalidInput, "refused") }
	if err := c.AlterStorage("endpoint", dialect.StorageProps{Region: ptr("eu-west-1")}, refuse, asSystem); err == nil {
		t.Fatal("ALTER went through a refusing check")
	}
	if _, err := c.CreateStorage("checked", s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("bucket-z") }), false, refuse, asSystem); err == nil {
		t.Fatal("CREATE went through a refusing check")
	}
	if st, _ := c.Snapshot().Storage("endpoint"); st.Region != "" {
		t.Fatalf("refused ALTER saved: %+v", st)
	}
	if _, ok := c.Snapshot().Storage("checked"); ok {
		t.Fatal("refused CREATE saved")
	}
}

func TestS3CredentialsAreSealedAtRest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rocksdb")
	key, err := CredentialKey("0123456789abcdef-operator-secret")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "wJalrXUtnFEMI-very-secret"
	creds := `{"access_key_id":"AKIDEXAMPLE","secret_access_key":"` + secret + `","session_token":"tok"}`
	// Stored after the key was configured: never written in clear.
	const secret2 = "second-secret-never-in-clear"
	creds2 := `{"access_key_id":"AKIDEXAMPLE","secret_access_key":"` + secret2 + `","session_token":"tok"}`

	// Without a key: stored as given, and reported.
	db, c := open(t, dir, Options{})
	if _, err := c.CreateStorage("plain", s3Props(func(p *dialect.StorageProps) { p.Credentials = ptr(creds) }), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	if ids := c.PlaintextCredentials(); len(ids) != 1 || ids[0] != "plain" {
		t.Fatalf("plaintext credentials: %v", ids)
	}
	db.Close()

	// With a key: new credentials are sealed, old ones sealed at start.
	db, c = open(t, dir, Options{CredentialKey: key})
	if n, err := c.SealStoredCredentials(); err != nil || n != 1 {
		t.Fatalf("SealStoredCredentials = %d, %v", n, err)
	}
	if _, err := c.CreateStorage("sealed", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("bucket-s")
		p.Credentials = ptr(creds2)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	for id, sk := range map[string]string{"plain": secret, "sealed": secret2} {
		st, _ := c.Snapshot().Storage(id)
		if !strings.HasPrefix(st.Credentials, sealedPrefix) || strings.Contains(st.Credentials, sk) || strings.Contains(st.Credentials, "AKID") {
			t.Fatalf("%s: credentials stored as %q", id, st.Credentials)
		}
		s, err := c.S3Settings(st)
		if err != nil || s.Credentials != (S3Credentials{"AKIDEXAMPLE", sk, "tok"}) {
			t.Fatalf("%s: opened %+v, %v", id, s.Credentials, err)
		}
		// Sealed for this storage only.
		moved := *st
		moved.StorageID = "elsewhere"
		if _, err := c.S3Settings(&moved); err == nil {
			t.Fatalf("%s: credentials opened under another storage id", id)
		}
	}
	if ids := c.PlaintextCredentials(); len(ids) != 0 {
		t.Fatalf("plaintext credentials after sealing: %v", ids)
	}
	// Nothing in RocksDB's files spells the secret stored under the key.
	db.Close()
	if found := grepDir(t, dir, secret2); found != "" {
		t.Fatalf("the secret is in %s", found)
	}

	// Without the key, or with another one, they do not open: a clear error.
	for _, o := range []Options{{}, {CredentialKey: mustKey(t, "another-secret-of-enough-bytes")}} {
		db, c = open(t, dir, o)
		st, _ := c.Snapshot().Storage("sealed")
		_, err := c.S3Settings(st)
		if ae, ok := apierror.As(err); !ok || ae.Code != apierror.SQLExecutionError || !strings.Contains(ae.Message, "secret key") {
			t.Fatalf("opening with %v: %v", o.CredentialKey != nil, err)
		}
		db.Close()
	}
	if _, err := CredentialKey("short"); err == nil {
		t.Fatal("a short secret was accepted")
	}
}

func mustKey(t *testing.T, s string) []byte {
	k, err := CredentialKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// grepDir returns a file under dir that contains s, or "".
func grepDir(t *testing.T, dir, s string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			found = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestBackupS3Location(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	for id, loc := range map[string]string{"z-wide": "s3://bkt/tenants/a/data", "a-near": "s3://bkt/tenants/b/data", "b-near": "s3://bkt/tenants/c/data", "other": "s3://obk/data"} {
		if _, err := c.CreateStorage(id, s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr(loc) }), false, nil, asSystem); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ loc, storage, prefix string }{
		// The storage sharing the longest leading prefix; a tie goes to
		// the smallest id.
		{"s3://bkt/tenants/b/backups/x", "a-near", "tenants/b/backups/x"},
		{"s3://bkt/tenants/c/backups/", "b-near", "tenants/c/backups"},
		{"s3://bkt/tenants/backups", "a-near", "tenants/backups"},
		{"s3://bkt/backups/x", "a-near", "backups/x"},
		{"s3://obk/backups", "other", "backups"},
	} {
		st, prefix, err := c.BackupS3Location(tc.loc)
		if err != nil || st.StorageID != tc.storage || prefix != tc.prefix {
			t.Fatalf("%s: %v %q %v, want %s %q", tc.loc, st, prefix, err, tc.storage, tc.prefix)
		}
	}
	for _, bad := range []struct {
		loc  string
		code apierror.Code
		msg  string
	}{
		{"s3://nob/backups", apierror.NotFound, "create an s3 storage for bucket nob first"},
		{"s3://bkt", apierror.InvalidInput, "is a whole bucket"},
		{"s3://bkt/tenants/a/data/bk", apierror.InvalidInput, "overlaps the table data of storage z-wide"},
		{"s3://bkt/tenants/a", apierror.InvalidInput, "overlaps the table data of storage z-wide"},
		{"s3://bkt/a/../b", apierror.InvalidInput, "clean relative path"},
		{"/srv/backups", apierror.InvalidInput, "not an s3://bucket/prefix URL"},
	} {
		_, _, err := c.BackupS3Location(bad.loc)
		if ae, ok := apierror.As(err); !ok || ae.Code != bad.code || !strings.Contains(ae.Message, bad.msg) {
			t.Fatalf("%s: %v, want %s %q", bad.loc, err, bad.code, bad.msg)
		}
	}
	// The same bucket name on another object store: refused as ambiguous.
	if _, err := c.CreateStorage("elsewhere", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("s3://bkt/far")
		p.Config = ptr(`{"endpoint":"http://127.0.0.1:9000","allow_http":true}`)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.BackupS3Location("s3://bkt/backups"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("bucket on two endpoints: %v", err)
	}
}

// TestS3StorageOverlapAcrossEndpointSpellings: an endpoint can be spelled
// many ways (host case, a default port, a trailing slash, a loopback name
// or address, AWS's global and regional names); two storages naming one
// bucket and prefix through two spellings are one place, and the second
// is refused as overlapping. Another host or port is taken for another
// store: names cannot be resolved reliably (the drop's cleanup does not
// rely on this check for that).
func TestS3StorageOverlapAcrossEndpointSpellings(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	create := func(id, endpoint, bucket string) error { return createS3At(c, id, endpoint, bucket) }
	for _, base := range []struct{ id, endpoint string }{
		{"loop", "http://127.0.0.1:9000"},
		{"named", "https://minio.internal"},
		{"aws", ""},
	} {
		if err := create(base.id, base.endpoint, "s3://bucket-"+base.id+"/data"); err != nil {
			t.Fatalf("%s: %v", base.id, err)
		}
	}
	for i, alias := range []struct{ endpoint, bucket, of string }{
		{"http://localhost:9000", "s3://bucket-loop/data", "loop"},
		{"http://LocalHost:9000/", "s3://bucket-loop/data/inner", "loop"},
		{"http://127.0.0.2:9000", "s3://bucket-loop", "loop"},
		{"http://[::1]:9000", "s3://bucket-loop/data", "loop"},
		{"HTTP://127.0.0.1:9000", "s3://bucket-loop/data", "loop"},
		{"https://MINIO.internal", "s3://bucket-named/data", "named"},
		{"https://minio.internal:443/", "s3://bucket-named/data", "named"},
		{"https://minio.internal.", "s3://bucket-named/data", "named"},
		{"https://s3.amazonaws.com", "s3://bucket-aws/data", "aws"},
		{"https://s3.eu-west-1.amazonaws.com", "s3://bucket-aws/data", "aws"},
		{"s3.dualstack.us-east-1.amazonaws.com", "s3://bucket-aws", "aws"},
	} {
		err := create(fmt.Sprintf("alias%d", i), alias.endpoint, alias.bucket)
		wantOverlap(t, err, alias.endpoint+" "+alias.bucket, alias.of)
	}
	// Another port or host is another store.
	for i, other := range []string{"http://127.0.0.1:9001", "https://minio-b.internal"} {
		if err := create(fmt.Sprintf("other%d", i), other, "s3://bucket-loop/data"); err != nil {
			t.Errorf("%s: %v", other, err)
		}
	}
}

// asSystem places the storages of these tests as a system user would.
const asSystem = systable.RoleSystem
