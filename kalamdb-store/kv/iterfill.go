package kv

/*
#cgo LDFLAGS: -lrocksdb
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rocksdb/c.h"

static void kdb_put_u32(char* p, size_t v) {
	p[0] = (char)(v & 0xff);
	p[1] = (char)((v >> 8) & 0xff);
	p[2] = (char)((v >> 16) & 0xff);
	p[3] = (char)((v >> 24) & 0xff);
}

// kdb_no_perf_counts turns RocksDB's per-thread perf counters off for the
// calling thread (they are on by default and nothing here reads them):
// with them on, every key comparison of a memtable search also updates a
// thread-local counter, which in a shared librocksdb is two calls through
// __tls_get_addr, about a tenth of a backward memtable step.
static void kdb_no_perf_counts(void) {
	rocksdb_set_perf_level(1); // rocksdb::PerfLevel::kDisable
}

// kdb_iter_fill copies entries from the iterator's position into buf, each
// as [u32 key length][u32 value length][key][value] (little endian), moving
// the iterator forward (dir > 0) or backward after each one. It stops after
// max entries, at the end, or before an entry that does not fit, whose size
// it stores in *need (0 otherwise). It returns the entries copied and
// stores the bytes used in *used.
static int kdb_iter_fill(rocksdb_iterator_t* it, int dir, char* buf, size_t cap, int max,
                         size_t* used, size_t* need) {
	kdb_no_perf_counts();
	size_t off = 0;
	int n = 0;
	*need = 0;
	while (n < max && rocksdb_iter_valid(it)) {
		size_t klen, vlen;
		const char* k = rocksdb_iter_key(it, &klen);
		const char* v = rocksdb_iter_value(it, &vlen);
		size_t size = 8 + klen + vlen;
		if (size > cap - off) {
			*need = size;
			break;
		}
		kdb_put_u32(buf + off, klen);
		kdb_put_u32(buf + off + 4, vlen);
		memcpy(buf + off + 8, k, klen);
		memcpy(buf + off + 8 + klen, v, vlen);
		off += size;
		n++;
		if (dir > 0) {
			rocksdb_iter_next(it);
		} else {
			rocksdb_iter_prev(it);
		}
	}
	*used = off;
	return n;
}
*/
import "C"

import (
	"encoding/binary"
	"unsafe"

	"github.com/linxGnu/grocksdb"
)

// Scans copy rows out of RocksDB in batches: one cgo call per batch
// instead of four per row (next, valid, key, value, each also allocating
// a Slice in grocksdb), which made a scan cost ~350 ns/row. A batch starts
// small, so a seek that reads one row copies few, and doubles up to
// fillMaxEntries while the scan goes on.
const (
	fillFirstEntries = 8
	fillMaxEntries   = 512
	fillBufBytes     = 4 << 10
	fillMaxBufBytes  = fillBufBytes << (bufClasses - 1) // 256 KiB
)

// span locates one buffered entry in Iterator.buf.
type span struct{ key, klen, val, vlen int }

// rawIterator is grocksdb's iterator handle. grocksdb exposes no accessor,
// so it is read from the struct, whose only field it is (pinned by the
// grocksdb version in go.mod; TestBatchedIteration fails if that changes).
func rawIterator(it *grocksdb.Iterator) *C.rocksdb_iterator_t {
	return *(**C.rocksdb_iterator_t)(unsafe.Pointer(it))
}

// fill reads the next batch from the C iterator in direction dir (+1
// forward, -1 backward) and positions the Iterator at its first entry.
func (i *Iterator) fill(dir int) bool {
	if i.ents == nil {
		if e, ok := i.cf.db.spans.Get().(*[]span); ok {
			i.ents = *e
		}
	}
	i.dir, i.pos, i.ents = dir, 0, i.ents[:0]
	if i.next > len(i.buf) {
		// The old buffer's entries are done with: this is a positioning
		// call, which ends the views of the previous one.
		i.releaseBuf()
		i.buf = i.newBuf(i.next)
	}
	for {
		var used, need C.size_t
		n := int(C.kdb_iter_fill(i.raw, C.int(dir), (*C.char)(unsafe.Pointer(&i.buf[0])), C.size_t(len(i.buf)),
			C.int(i.batch), &used, &need))
		if n == 0 && need > 0 {
			// One entry larger than the buffer: grow it to hold it.
			i.buf = make([]byte, max(int(need), 2*len(i.buf)))
			continue
		}
		// The C iterator is exhausted when the batch ended for no other
		// reason than reaching the end.
		i.drained = n < i.batch && need == 0
		off := 0
		for range n {
			klen := int(binary.LittleEndian.Uint32(i.buf[off:]))
			vlen := int(binary.LittleEndian.Uint32(i.buf[off+4:]))
			i.ents = append(i.ents, span{key: off + 8, klen: klen, val: off + 8 + klen, vlen: vlen})
			off += 8 + klen + vlen
		}
		if need > 0 && len(i.buf) < fillMaxBufBytes {
			// The batch stopped on bytes, not entries: the next one gets
			// a bigger buffer (this one's entries are still in use).
			i.next = min(2*len(i.buf), fillMaxBufBytes)
		}
		break
	}
	if i.batch < fillMaxEntries {
		i.batch *= 2
	}
	i.valid = len(i.ents) > 0
	return i.valid
}

// bufClasses are the sizes of read-ahead buffers: fillBufBytes << k.
const bufClasses = 7 // 4 KiB .. 256 KiB

// bufClass is the pool of buffers of n bytes, or -1 for a size a scan
// does not grow through (one entry larger than the buffer).
func bufClass(n int) int {
	for k := 0; k < bufClasses; k++ {
		if n == fillBufBytes<<k {
			return k
		}
	}
	return -1
}

// newBuf returns a read-ahead buffer of n bytes, recycled when it can be.
func (i *Iterator) newBuf(n int) []byte {
	if k := bufClass(n); k >= 0 {
		if b, ok := i.cf.db.bufs[k].Get().(*[]byte); ok {
			return *b
		}
	}
	return make([]byte, n)
}

// releaseBuf gives the iterator's buffer back for recycling; the views
// Key and Value returned end with it.
func (i *Iterator) releaseBuf() {
	if k := bufClass(len(i.buf)); k >= 0 {
		b := i.buf
		i.cf.db.bufs[k].Put(&b)
	}
	i.buf = nil
}

// step moves one entry in direction dir, refilling or turning the C
// iterator around as needed.
func (i *Iterator) step(dir int) bool {
	if !i.valid {
		return false
	}
	if i.dir == dir {
		i.pos++
		if i.pos < len(i.ents) {
			return true
		}
		if i.drained {
			i.valid = false
			return false
		}
		return i.fill(dir)
	}
	// Turning around: the C iterator is a batch ahead in the old
	// direction. Put it back on the current key, then one step the new way.
	cur := append([]byte(nil), i.Key()...)
	i.it.Seek(cur)
	if dir > 0 {
		i.it.Next()
	} else {
		i.it.Prev()
	}
	i.batch = i.first
	return i.fill(dir)
}
