package cold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttackcold18DamagedDataRegion: the checksum covers the file's tail
// only; the data region (page headers, dictionary pages, pages) relies on
// the Zstd frame checksums and on the decoders. A flip of every third byte of
// the data region must fail the scan, never answer other rows or values.
func TestAttackcold18DamagedDataRegion(t *testing.T) {
	st := newFS(t)
	info, err := WriteFile(context.Background(), st, "good.parquet", chatSchema(), chatSource(t, 120), WriteOptions{RowGroupRows: 60})
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := scanText(st, "good.parquet", info.Meta)
	if err != nil {
		t.Fatal(err)
	}
	end := int64(len(good)) - info.Meta.Bytes
	silent, failed := 0, 0
	for pos := int64(4); pos < end && silent < 5; pos += 3 {
		b := bytes.Clone(good)
		b[pos] ^= 0x01
		name := fmt.Sprintf("data%d.parquet", pos)
		if err := os.WriteFile(filepath.Join(st.Base(), name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := scanText(st, name, info.Meta)
		_ = os.Remove(filepath.Join(st.Base(), name))
		if err != nil {
			failed++
			if !errors.Is(err, ErrCorrupt) && !IsReadFailure(err) {
				t.Errorf("data byte %d damaged: %v, not a read failure", pos, err)
			}
			continue
		}
		if got != want {
			silent++
			t.Errorf("bit 0 of data byte %d (of %d) flipped: the scan answers %d rows (want %d), other values, and no error",
				pos, end, strings.Count(got, "\n"), strings.Count(want, "\n"))
		}
	}
	t.Logf("data region %d bytes; %d flips failed the scan", end, failed)
}
