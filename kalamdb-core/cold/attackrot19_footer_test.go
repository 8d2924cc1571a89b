package cold

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
)

// TestAttackrot19RottedFooterIsNotParsedUnbounded (attackrot19): a
// checked open parses the footer to find the regions it records CRCs of,
// and it did so before the tail's CRC was compared. Parquet's footer is
// Thrift, whose decoder sizes a list from the count its bytes claim
// (make([]*RowGroup, 0, count), up to 100 million elements): five rotted
// bytes in a footer of a few KB made the open allocate 8 bytes per
// claimed row group before the checksum said the footer is damaged (and
// again at every open, as nothing is cached for a file that fails). The
// open must fail with the checksum mismatch having allocated about what a
// good open does.
func TestAttackrot19RottedFooterIsNotParsedUnbounded(t *testing.T) {
	st := newFS(t)
	info, full, good := writeChatFile(t, st, 300, 100)
	// Where the footer's row_groups list (field 4) starts: replace its
	// header with a long-form header claiming claimed structs.
	const claimed = 8 << 20 // 64 MiB of pointers
	footLen := int(binary.LittleEndian.Uint32(good[len(good)-8:]))
	footStart := len(good) - 8 - footLen
	at := footStart + rowGroupsListAt(t, good[footStart:len(good)-8])
	damage := bytes.Clone(good)
	hdr := binary.AppendUvarint([]byte{0xfc}, claimed) // size 15 (long form), element type struct
	copy(damage[at:], hdr)
	rewriteInPlace(t, full, damage)

	// An older file (no checksum in its manifest entry) cannot be
	// verified, but its rotted footer must not be parsed unbounded either.
	for _, checked := range []bool{true, false} {
		sum := MetaChecksum{}
		if checked {
			sum = info.Meta
		}
		got, err := openAllocs(t, st, sum)
		if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrChecksum) != checked {
			t.Fatalf("checked %v: open of a file whose footer rotted: %v, want ErrCorrupt (and a checksum mismatch when checked)", checked, err)
		}
		if got > 16<<20 {
			t.Fatalf("checked %v: the open of a %d-byte file with a rotted footer allocated %d MiB before failing", checked, len(good), got>>20)
		}
	}
}

// openAllocs opens f.parquet of st with a cache of its own and checksum
// sum, and returns the bytes the open allocated and its error.
func openAllocs(t *testing.T, st *FS, sum MetaChecksum) (uint64, error) {
	t.Helper()
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := OpenFileWith(context.Background(), st, "f.parquet", OpenOptions{Cache: cache, Checksum: sum})
	runtime.ReadMemStats(&after)
	if err == nil {
		_ = f.Close()
	}
	return after.TotalAlloc - before.TotalAlloc, err
}

// rowGroupsListAt is the offset in the Thrift FileMetaData foot of the
// header of its row_groups list (field 4).
func rowGroupsListAt(t *testing.T, foot []byte) int {
	t.Helper()
	ctx := context.Background()
	buf := &thrift.TMemoryBuffer{Buffer: bytes.NewBuffer(foot)}
	p := thrift.NewTCompactProtocolConf(buf, nil)
	if _, err := p.ReadStructBegin(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		_, typ, id, err := p.ReadFieldBegin(ctx)
		if err != nil || typ == thrift.STOP {
			t.Fatalf("no row_groups in the footer: %v", err)
		}
		if id == 4 {
			return len(foot) - buf.Len()
		}
		if err := thrift.SkipDefaultDepth(ctx, p, typ); err != nil {
			t.Fatal(err)
		}
	}
}
