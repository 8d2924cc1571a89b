package cold

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// TestAttackrot19RottedFooterLengthReadsNoMore (attackrot19): an open
// reads the footer (for the file's identity, and for a checked open to
// parse) as long as the 4 bytes before the magic say, up to the whole
// file. For a file whose manifest entry records its metadata's length
// (meta_bytes), a footer longer than that is damage: a rotted length must
// not make every open of the file read (a GET of it on S3) and hold all
// of it before the checksum fails the open.
func TestAttackrot19RottedFooterLengthReadsNoMore(t *testing.T) {
	st := newFS(t)
	info, full, good := writeChatFile(t, st, 12000, 4000)
	damage := bytes.Clone(good)
	binary.LittleEndian.PutUint32(damage[len(damage)-8:], uint32(len(damage)-8-4)) // the footer "starts" after PAR1
	rewriteInPlace(t, full, damage)
	got, err := openAllocs(t, st, info.Meta)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("open of a file whose footer length rotted: %v, want a checksum mismatch", err)
	}
	t.Logf("file %d bytes, metadata %d bytes: the open allocated %d bytes", len(good), info.Meta.Bytes, got)
	if limit := uint64(info.Meta.Bytes) + verifyChunk + footerTail + 64<<10; got > limit {
		t.Fatalf("the open of a %d-byte file whose metadata is %d bytes allocated %d bytes (more than %d)", len(good), info.Meta.Bytes, got, limit)
	}
}
