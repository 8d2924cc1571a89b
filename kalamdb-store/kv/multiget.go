package kv

/*
#cgo LDFLAGS: -lrocksdb
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rocksdb/c.h"

// kdb_multi_get looks up n keys of one column family (keys concatenated in
// kbuf, their lengths in klens) with RocksDB's batched MultiGet and copies
// the values found, one after the other, into one malloc()ed buffer
// returned in *vbuf (NULL when no key has a value). vlens[i] is the length
// of key i's value, or -1 when the key has none. The first error, if any,
// is returned in *err (malloc()ed).
static void kdb_multi_get(rocksdb_t* db, const rocksdb_readoptions_t* ro, rocksdb_column_family_handle_t* cf,
                          size_t n, const char* kbuf, const size_t* klens, char** vbuf, int64_t* vlens, char** err) {
	rocksdb_set_perf_level(1); // see kdb_no_perf_counts in iterfill.go
	const char** keys = malloc(n * sizeof(char*));
	rocksdb_pinnableslice_t** vals = malloc(n * sizeof(rocksdb_pinnableslice_t*));
	char** errs = malloc(n * sizeof(char*));
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		keys[i] = kbuf + off;
		off += klens[i];
		vals[i] = NULL;
		errs[i] = NULL;
	}
	rocksdb_batched_multi_get_cf(db, ro, cf, n, keys, klens, vals, errs, false);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (vals[i] != NULL) {
			size_t vlen;
			rocksdb_pinnableslice_value(vals[i], &vlen);
			total += vlen;
		}
	}
	*vbuf = total > 0 ? malloc(total) : NULL;
	*err = NULL;
	off = 0;
	for (size_t i = 0; i < n; i++) {
		vlens[i] = -1;
		if (errs[i] != NULL) {
			if (*err == NULL) {
				*err = errs[i];
			} else {
				free(errs[i]);
			}
		}
		if (vals[i] != NULL) {
			size_t vlen;
			const char* v = rocksdb_pinnableslice_value(vals[i], &vlen);
			memcpy(*vbuf + off, v, vlen);
			off += vlen;
			vlens[i] = (int64_t)vlen;
			rocksdb_pinnableslice_destroy(vals[i]);
		}
	}
	free(errs);
	free(vals);
	free(keys);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/linxGnu/grocksdb"
)

// The C handles of grocksdb's types, read from their structs, whose first
// field they are (as for the iterator in iterfill.go; TestMultiGet fails
// if that changes).
func rawDB(db *grocksdb.DB) *C.rocksdb_t { return *(**C.rocksdb_t)(unsafe.Pointer(db)) }
func rawReadOptions(ro *grocksdb.ReadOptions) *C.rocksdb_readoptions_t {
	return *(**C.rocksdb_readoptions_t)(unsafe.Pointer(ro))
}
func rawFamily(h *grocksdb.ColumnFamilyHandle) *C.rocksdb_column_family_handle_t {
	return *(**C.rocksdb_column_family_handle_t)(unsafe.Pointer(h))
}

// MultiGet reads keys of cf as of the snapshot in one call into RocksDB
// (a point read per key costs four cgo calls and two allocations):
// values[i] is a copy of keys[i]'s value, or nil when it has none. The
// values share one backing array, which belongs to the caller: nothing
// here keeps or reuses it (a decoded row may alias it).
func (s *Snapshot) MultiGet(cf *ColumnFamily, keys [][]byte) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if err := s.hold(cf); err != nil {
		return nil, err
	}
	defer s.unhold(cf)
	return multiGet(s.db.db, s.ro, cf, keys)
}

// MultiGet is Snapshot.MultiGet of the latest committed values: what Get
// returns for each key, in one call (a commit validates all the keys it
// writes with one).
func (cf *ColumnFamily) MultiGet(keys [][]byte) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if err := cf.acquire(); err != nil {
		return nil, err
	}
	defer cf.release()
	return multiGet(cf.db.db, cf.db.ro, cf, keys)
}

func multiGet(db *grocksdb.DB, ro *grocksdb.ReadOptions, cf *ColumnFamily, keys [][]byte) ([][]byte, error) {
	size := 0
	for _, k := range keys {
		size += len(k)
	}
	kbuf := make([]byte, 0, max(size, 1))
	klens := make([]C.size_t, len(keys))
	for i, k := range keys {
		kbuf = append(kbuf, k...)
		klens[i] = C.size_t(len(k))
	}
	kbuf = kbuf[:max(len(kbuf), 1)]
	vlens := make([]C.int64_t, len(keys))
	var vbuf, cerr *C.char
	C.kdb_multi_get(rawDB(db), rawReadOptions(ro), rawFamily(cf.h), C.size_t(len(keys)),
		(*C.char)(unsafe.Pointer(&kbuf[0])), &klens[0], &vbuf, &vlens[0], &cerr)
	defer C.free(unsafe.Pointer(vbuf))
	if cerr != nil {
		msg := C.GoString(cerr)
		C.free(unsafe.Pointer(cerr))
		return nil, fmt.Errorf("kv: multi get %s: %s", cf.name, msg)
	}
	total := 0
	for _, n := range vlens {
		total += max(int(n), 0)
	}
	all := []byte{} // not nil: an empty value is a value
	if total > 0 {
		all = C.GoBytes(unsafe.Pointer(vbuf), C.int(total))
	}
	out := make([][]byte, len(keys))
	off := 0
	for i, n := range vlens {
		if n >= 0 {
			out[i] = all[off : off+int(n) : off+int(n)]
			off += int(n)
		}
	}
	return out, nil
}
