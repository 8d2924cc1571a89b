package catalog

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestStoragePlacerRecordsWhoSetTheLocation: a storage records the role
// class of the account that last set its location or credentials, and
// only an s3 storage a non-system account placed refuses system users'
// partitions.
func TestStoragePlacerRecordsWhoSetTheLocation(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	placer := func(id string) string {
		t.Helper()
		st, ok := c.Snapshot().Storage(id)
		if !ok {
			t.Fatalf("no storage %s", id)
		}
		return st.Placer()
	}
	local, _ := c.Snapshot().Storage(LocalStorage)
	if local.PlacedBy != systable.PlacerSystem || !MayHoldSystemPartitions(local) {
		t.Fatalf("the local storage: %+v", local)
	}
	if _, err := c.CreateStorage("bydba", s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("bucket-dba") }), false, nil, systable.RoleDBA); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateStorage("bysys", s3Props(func(p *dialect.StorageProps) { p.Bucket = ptr("bucket-sys") }), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	if placer("bydba") != systable.PlacerNotSystem || placer("bysys") != systable.PlacerSystem {
		t.Fatalf("placers: bydba %s, bysys %s", placer("bydba"), placer("bysys"))
	}
	for _, tc := range []struct {
		what   string
		p      dialect.StorageProps
		places bool
	}{
		{"name", dialect.StorageProps{Name: ptr("n")}, false},
		{"description", dialect.StorageProps{Description: ptr("d")}, false},
		{"request timeout", dialect.StorageProps{Config: ptr(`{"request_timeout_ms":1000}`)}, false},
		{"the same bucket", dialect.StorageProps{Bucket: ptr("bucket-sys")}, false},
		{"another bucket", dialect.StorageProps{Bucket: ptr("bucket-sys2")}, true},
		{"credentials", dialect.StorageProps{Credentials: ptr(`{"access_key_id":"k","secret_access_key":"s"}`)}, true},
		{"an endpoint in CONFIG", dialect.StorageProps{Config: ptr(`{"endpoint":"https://minio.internal:9000"}`),
			Credentials: ptr(`{"access_key_id":"k","secret_access_key":"s"}`)}, true},
		{"addressing", dialect.StorageProps{Config: ptr(`{"endpoint":"https://minio.internal:9000","path_style":false}`)}, true},
	} {
		if err := c.AlterStorage("bysys", dialect.StorageProps{Bucket: ptr("bucket-sys")}, nil, asSystem); err != nil {
			t.Fatal(err)
		}
		if err := c.AlterStorage("bysys", tc.p, nil, systable.RoleDBA); err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		want := systable.PlacerSystem
		if tc.places {
			want = systable.PlacerNotSystem
		}
		if got := placer("bysys"); got != want {
			t.Errorf("a dba's ALTER of %s leaves the placer %s, want %s", tc.what, got, want)
		}
	}
	st, _ := c.Snapshot().Storage("bysys")
	if MayHoldSystemPartitions(st) {
		t.Fatal("an s3 storage a dba placed may hold system users' partitions")
	}
	// A dba's filesystem storage is not_system, but may hold them.
	if _, err := c.CreateStorage("fsdba", dialect.StorageProps{Type: ptr(StorageFilesystem), Path: ptr(filepath.Join(t.TempDir(), "fs"))},
		false, nil, systable.RoleDBA); err != nil {
		t.Fatal(err)
	}
	fs, _ := c.Snapshot().Storage("fsdba")
	if fs.Placer() != systable.PlacerNotSystem || !MayHoldSystemPartitions(fs) {
		t.Fatalf("a dba's filesystem storage: placer %s, may hold %v", fs.Placer(), MayHoldSystemPartitions(fs))
	}
}

// TestAlterStorageMustRestateCredentialsToMoveThem: a new endpoint,
// bucket or region of an s3 storage with stored credentials must come
// with CREDENTIALS, whoever asks; the refusal changes nothing and runs no
// check (which would send the old credentials to the new place).
func TestAlterStorageMustRestateCredentialsToMoveThem(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	const creds = `{"access_key_id":"k","secret_access_key":"s"}`
	if _, err := c.CreateStorage("keyed", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("bucket-k")
		p.Region = ptr("us-east-1")
		p.Credentials = ptr(creds)
		p.Config = ptr(`{"endpoint":"https://minio.internal:9000"}`)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateStorage("anon", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("bucket-a")
		p.Config = ptr(`{"endpoint":"https://minio.internal:9000"}`)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	before, _ := c.Snapshot().Storage("keyed")
	checked := 0
	check := func(*systable.Storage) error { checked++; return nil }
	for _, tc := range []struct {
		what string
		p    dialect.StorageProps
	}{
		{"endpoint", dialect.StorageProps{Endpoint: ptr("https://attacker.example:9000"), Config: ptr(`{}`)}},
		{"endpoint in CONFIG", dialect.StorageProps{Config: ptr(`{"endpoint":"https://attacker.example:9000"}`)}},
		{"no endpoint (AWS)", dialect.StorageProps{Config: ptr(`{}`)}},
		{"bucket", dialect.StorageProps{Bucket: ptr("bucket-other")}},
		{"region", dialect.StorageProps{Region: ptr("eu-west-1")}},
	} {
		for _, by := range []systable.Role{systable.RoleDBA, asSystem} {
			err := c.AlterStorage("keyed", tc.p, check, by)
			ae, ok := apierror.As(err)
			if !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "credentials would go to a different server") {
				t.Errorf("%s by %s without CREDENTIALS: %v, want INVALID_INPUT saying why", tc.what, by, err)
			}
		}
	}
	if after, _ := c.Snapshot().Storage("keyed"); after != before || checked != 0 {
		t.Fatalf("refused ALTERs changed the storage (%v) or ran the check %d times", after != before, checked)
	}
	// With the credentials restated: moved.
	if err := c.AlterStorage("keyed", dialect.StorageProps{Config: ptr(`{"endpoint":"https://other.example:9000"}`), Credentials: ptr(creds)},
		check, systable.RoleDBA); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Snapshot().Storage("keyed"); st.Endpoint != "https://other.example:9000" || st.Placer() != systable.PlacerNotSystem || checked != 1 {
		t.Fatalf("after the ALTER with credentials: %+v, checked %d", st, checked)
	}
	// A storage without credentials has none to send.
	if err := c.AlterStorage("anon", dialect.StorageProps{Config: ptr(`{"endpoint":"https://elsewhere.example:9000"}`)}, nil, systable.RoleDBA); err != nil {
		t.Fatal(err)
	}
}

// TestStorageRowsFromBeforePlacers: rows stored before placers were
// recorded decode, a filesystem one placed by system, an s3 one not.
func TestStorageRowsFromBeforePlacers(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		mayHold   bool
	}{
		{`{"storage_id":"local","storage_name":"Local filesystem","storage_type":"filesystem","base_directory":"/d/storage",` +
			`"shared_tables_template":"{namespace}/{tableName}","user_tables_template":"{namespace}/{tableName}/{userId}",` +
			`"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, systable.PlacerSystem, true},
		{`{"storage_id":"s","storage_name":"s","storage_type":"s3","base_directory":"s3://b/p","bucket":"b",` +
			`"credentials":"{}","shared_tables_template":"{namespace}/{tableName}","user_tables_template":"{namespace}/{tableName}/{userId}",` +
			`"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, systable.PlacerNotSystem, false},
		{`{"storage_id":"s","storage_type":"s3","placed_by":"system"}`, systable.PlacerSystem, true},
		{`{"storage_id":"s","storage_type":"s3","placed_by":"garbage"}`, "garbage", false},
	} {
		var st systable.Storage
		if err := json.Unmarshal([]byte(tc.raw), &st); err != nil {
			t.Fatal(err)
		}
		if st.Placer() != tc.want || MayHoldSystemPartitions(&st) != tc.mayHold {
			t.Errorf("%s: placer %s, may hold %v; want %s, %v", tc.raw, st.Placer(), MayHoldSystemPartitions(&st), tc.want, tc.mayHold)
		}
	}
}

// TestStoragePlacerRestatedValuesPlaceNothing: a dba stating a system
// user's storage's location or credentials again, unchanged, left it
// placed by not_system (restating the bucket needs no credentials), so
// every system user's partition there stayed hot for good. Only a change
// of value places it; a system user stating them still marks it system.
func TestStoragePlacerRestatedValuesPlaceNothing(t *testing.T) {
	key, err := CredentialKey("0123456789abcdef-operator-secret")
	if err != nil {
		t.Fatal(err)
	}
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{CredentialKey: key})
	defer db.Close()
	const creds = `{"access_key_id":"k","secret_access_key":"s"}`
	const cfg = `{"endpoint":"https://minio.internal:9000","path_style":true}`
	if _, err := c.CreateStorage("sys", s3Props(func(p *dialect.StorageProps) {
		p.Bucket, p.Region, p.Credentials, p.Config = ptr("s3://bucket-sys/data"), ptr("us-east-1"), ptr(creds), ptr(cfg)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	fs := filepath.Join(t.TempDir(), "fs")
	if _, err := c.CreateStorage("fs", dialect.StorageProps{Type: ptr(StorageFilesystem), Path: ptr(fs)}, false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, id string
		p        dialect.StorageProps
		moves    bool
	}{
		{"the same bucket", "sys", dialect.StorageProps{Bucket: ptr("s3://bucket-sys/data")}, false},
		{"the same base directory", "sys", dialect.StorageProps{Path: ptr("s3://bucket-sys/data")}, false},
		{"the same prefix", "sys", dialect.StorageProps{Bucket: ptr("bucket-sys"), Path: ptr("data/")}, false},
		{"the same region", "sys", dialect.StorageProps{Region: ptr("us-east-1")}, false},
		{"the same endpoint", "sys", dialect.StorageProps{Endpoint: ptr("minio.internal:9000")}, false},
		{"the same CONFIG", "sys", dialect.StorageProps{Config: ptr(`{"path_style": true, "endpoint": "https://minio.internal:9000"}`)}, false},
		{"the same addressing spelled otherwise", "sys", dialect.StorageProps{Config: ptr(`{"endpoint":"https://minio.internal:9000","force_path_style":true}`)}, false},
		{"the same credentials", "sys", dialect.StorageProps{Credentials: ptr(` {"secret_access_key":"s","access_key_id":"k"}`)}, false},
		{"all of them", "sys", dialect.StorageProps{Bucket: ptr("s3://bucket-sys/data"), Region: ptr("us-east-1"), Config: ptr(cfg),
			Credentials: ptr(creds)}, false},
		{"the same path", "fs", dialect.StorageProps{Path: ptr(fs + "/")}, false},
		{"another prefix", "sys", dialect.StorageProps{Bucket: ptr("s3://bucket-sys/data2")}, true},
		{"a bucket without its prefix", "sys", dialect.StorageProps{Bucket: ptr("bucket-sys")}, true},
		{"another region", "sys", dialect.StorageProps{Region: ptr("eu-west-1"), Credentials: ptr(creds)}, true},
		{"another endpoint", "sys", dialect.StorageProps{Config: ptr(`{"endpoint":"https://other.internal:9000","path_style":true}`),
			Credentials: ptr(creds)}, true},
		{"other addressing", "sys", dialect.StorageProps{Config: ptr(`{"endpoint":"https://minio.internal:9000","path_style":false}`)}, true},
		{"allow_http", "sys", dialect.StorageProps{Config: ptr(`{"endpoint":"https://minio.internal:9000","path_style":true,"allow_http":true}`)}, true},
		{"other credentials", "sys", dialect.StorageProps{Credentials: ptr(`{"access_key_id":"k2","secret_access_key":"s"}`)}, true},
		{"another path", "fs", dialect.StorageProps{Path: ptr(fs + "2")}, true},
	} {
		before, _ := c.Snapshot().Storage(tc.id)
		if err := c.AlterStorage(tc.id, tc.p, nil, systable.RoleDBA); err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		after, _ := c.Snapshot().Storage(tc.id)
		want := systable.PlacerSystem
		if tc.moves {
			want = systable.PlacerNotSystem
		}
		if after.Placer() != want {
			t.Errorf("a dba's ALTER of %s: placed by %s, want %s", tc.what, after.Placer(), want)
		}
		if !tc.moves && tc.id == "sys" && (after.BaseDirectory != before.BaseDirectory || after.Endpoint != before.Endpoint) {
			t.Errorf("%s moved the storage: %+v", tc.what, after)
		}
		// Put back, and placed again, by a system user stating it all.
		if tc.id == "fs" {
			err = c.AlterStorage("fs", dialect.StorageProps{Path: ptr(fs)}, nil, asSystem)
		} else {
			err = c.AlterStorage("sys", dialect.StorageProps{Bucket: ptr("s3://bucket-sys/data"), Region: ptr("us-east-1"),
				Config: ptr(cfg), Credentials: ptr(creds)}, nil, asSystem)
		}
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := c.Snapshot().Storage(tc.id); st.Placer() != systable.PlacerSystem {
			t.Fatalf("after a system user restated %s: placed by %s", tc.id, st.Placer())
		}
	}
}
