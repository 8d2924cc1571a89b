package backup

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSignatureCoversTheManifest: a signed manifest, written as backup.json
// and read back, verifies under its key; any field changed, a file's
// checksum included, or a signature of another key, algorithm or value,
// does not, and says why.
func TestSignatureCoversTheManifest(t *testing.T) {
	key, other := SigningKey("a storage secret key of 32 bytes"), SigningKey("another storage secret key here")
	if SigningKey("") != nil {
		t.Fatal("an empty secret gives a key")
	}
	fresh := func() *Manifest {
		return &Manifest{Format: FormatVersion, Product: product, Namespace: "app", CreatedAt: time.Now().UTC(), MaxSeq: 1 << 60,
			Tables: []TableSummary{{Name: "t", Type: "USER", HotVersions: 3}}, Users: 2, Rows: 3, Bytes: 10,
			Files: []File{{Path: "catalog.json", Size: 10, SHA256: strings.Repeat("ab", 32)}}}
	}
	// As written and read back (MarshalIndent, as writeJSON writes it).
	roundTrip := func(m *Manifest) *Manifest {
		raw, err := json.MarshalIndent(m, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		var out Manifest
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		return &out
	}
	signed := func() *Manifest {
		m := fresh()
		if err := sign(m, key); err != nil {
			t.Fatal(err)
		}
		return roundTrip(m)
	}
	if tr := verify(signed(), key); !tr.ok || tr.reason != "" {
		t.Fatalf("a signed manifest does not verify: %+v", tr)
	}
	unsigned := fresh()
	if err := sign(unsigned, nil); err != nil || unsigned.Signature != nil {
		t.Fatalf("signed without a key: %+v %v", unsigned.Signature, err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Manifest)
		key    []byte
		reason string
	}{
		{"a file's checksum", func(m *Manifest) { m.Files[0].SHA256 = strings.Repeat("cd", 32) }, key, "does not match"},
		{"a file added", func(m *Manifest) { m.Files = append(m.Files, File{Path: "hot/x.kv"}) }, key, "does not match"},
		{"passwords omitted", func(m *Manifest) { m.PasswordsOmitted = true }, key, "does not match"},
		{"the namespace", func(m *Manifest) { m.Namespace = "other" }, key, "does not match"},
		{"the mac", func(m *Manifest) { m.Signature.MAC = "zz" }, key, "does not match"},
		{"the algorithm", func(m *Manifest) { m.Signature.Algorithm = "none" }, key, "unknown algorithm"},
		{"the key id", func(m *Manifest) { m.Signature.KeyID = keyID(other) }, key, "signed with another key"},
		{"unsigned", func(m *Manifest) { m.Signature = nil }, key, "not signed"},
		{"another key", func(*Manifest) {}, other, "signed with another key"},
		{"no key here", func(*Manifest) {}, nil, "no storage secret key"},
	} {
		m := signed()
		tc.change(m)
		if tr := verify(roundTrip(m), tc.key); tr.ok || !strings.Contains(tr.reason, tc.reason) {
			t.Errorf("%s: %+v, want untrusted: %q", tc.name, tr, tc.reason)
		}
	}
}
