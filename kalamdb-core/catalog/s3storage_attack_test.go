package catalog

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// TestAlterOfStoragesAliasedBeforeTheSpellingCheck: two s3 storages
// naming one bucket and prefix through two spellings of one endpoint
// (127.0.0.1 and localhost) were accepted before the overlap check
// compared endpoints by the store they name. Such a pair can hold tables
// and cannot be dropped; an ALTER that does not touch its location (a
// new name, description or credentials: rotating leaked keys) must still
// work, as it does for a filesystem storage defined before a rule
// existed (validateStorage). The overlap is refused only when the ALTER
// sets the location or the endpoint.
func TestAlterOfStoragesAliasedBeforeTheSpellingCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rocksdb")
	db, c := open(t, dir, Options{})
	for id, port := range map[string]string{"a": "9000", "b": "9001"} {
		if _, err := c.CreateStorage(id, s3Props(func(p *dialect.StorageProps) {
			p.Bucket = ptr("s3://shared/data")
			p.Config = ptr(`{"endpoint":"http://127.0.0.1:` + port + `","allow_http":true}`)
		}), false, nil, asSystem); err != nil {
			t.Fatal(err)
		}
	}
	// As an earlier version stored b: localhost, the same store as a.
	b, _ := c.Snapshot().Storage("b")
	old := *b
	old.Config = `{"endpoint":"http://localhost:9000","allow_http":true}`
	old.Endpoint = "http://localhost:9000"
	if err := c.storages.Put(&old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, c = open(t, dir, Options{})
	defer db.Close()
	for _, alter := range []struct {
		what string
		p    dialect.StorageProps
	}{
		{"name", dialect.StorageProps{Name: ptr("renamed")}},
		{"description", dialect.StorageProps{Description: ptr("the old one")}},
		{"credentials", dialect.StorageProps{Credentials: ptr(`{"access_key_id":"k2","secret_access_key":"s2"}`)}},
	} {
		for _, id := range []string{"a", "b"} {
			if err := c.AlterStorage(id, alter.p, nil, asSystem); err != nil {
				t.Errorf("ALTER STORAGE %s SET %s: %v", id, alter.what, err)
			}
		}
	}
	// Moving a third storage to that place is still refused.
	if _, err := c.CreateStorage("c", s3Props(func(p *dialect.StorageProps) {
		p.Bucket = ptr("s3://shared/data")
		p.Config = ptr(`{"endpoint":"http://127.0.0.1:9002","allow_http":true}`)
	}), false, nil, asSystem); err != nil {
		t.Fatal(err)
	}
	err := c.AlterStorage("c", dialect.StorageProps{Config: ptr(`{"endpoint":"http://LOCALHOST:9000","allow_http":true}`)}, nil, asSystem)
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "overlaps storage") {
		t.Fatalf("ALTER STORAGE c to an aliased endpoint: %v, want it refused as overlapping", err)
	}
}

// TestS3StorageOverlapThroughTheUnspecifiedAddress: a client connecting
// to 0.0.0.0 or [::] reaches this machine (Linux and macOS route the
// unspecified address to the local host), so those spellings name the
// same store as 127.0.0.1 and localhost, and the overlap check, which
// treats every loopback name as one place, must treat them so too.
func TestS3StorageOverlapThroughTheUnspecifiedAddress(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	create := func(id, endpoint string) error { return createS3At(c, id, endpoint, "s3://shared/data") }
	if err := create("loop", "http://127.0.0.1:9000"); err != nil {
		t.Fatal(err)
	}
	for i, alias := range []string{"http://0.0.0.0:9000", "http://[::]:9000"} {
		wantOverlap(t, create("alias"+string(rune('a'+i)), alias), alias, "loop")
	}
}
