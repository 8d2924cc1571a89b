package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func records(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newRecordWriter(&buf)
	for i := 0; i < n; i++ {
		if err := w.put([]byte(fmt.Sprintf("k%03d", i)), bytes.Repeat([]byte{byte(i)}, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readRecords(raw []byte) (int, error) {
	r, err := newRecordReader(bytes.NewReader(raw), "t.kv")
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		ok, err := r.next()
		if err != nil {
			return n, err
		}
		if !ok {
			return n, nil
		}
		if want := fmt.Sprintf("k%03d", n); string(r.k) != want || len(r.v) != n {
			return n, fmt.Errorf("pair %d is %q/%d bytes", n, r.k, len(r.v))
		}
		n++
	}
}

func TestRecordFileRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 300} {
		if got, err := readRecords(records(t, n)); err != nil || got != n {
			t.Fatalf("%d pairs: read %d, %v", n, got, err)
		}
	}
}

// Every cut of a record file is refused as damaged, never read as a
// shorter valid one.
func TestRecordFileTruncatedAnywhere(t *testing.T) {
	raw := records(t, 20)
	for cut := 0; cut < len(raw); cut++ {
		_, err := readRecords(raw[:cut])
		ae, ok := apierror.As(err)
		if !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "backup is damaged") {
			t.Fatalf("cut at %d of %d: %v", cut, len(raw), err)
		}
	}
	if _, err := readRecords(append(append([]byte(nil), raw...), 'x')); err == nil {
		t.Fatal("bytes after the end accepted")
	}
}

func TestVerifiedReaderChecksSizeAndHash(t *testing.T) {
	data := []byte("some backup bytes")
	good := fileOf("f", data)
	for _, c := range []struct {
		name string
		f    File
		body []byte
		err  string
	}{
		{"intact", good, data, ""},
		{"changed", good, []byte("some backup bytez"), "does not match its SHA-256"},
		{"short", good, data[:5], "has 5 bytes, the manifest says 17"},
	} {
		v := &verifiedReader{f: c.f, r: bytes.NewReader(c.body), sum: sha256.New()}
		_, err := io.ReadAll(v)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Fatalf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}

// fileOf describes data as a backup file named p.
func fileOf(p string, data []byte) File {
	sum := sha256.Sum256(data)
	return File{Path: p, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}
