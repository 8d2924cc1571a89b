package kv

import "sync"

// backwardHintEntries bounds the prefixes a family keeps a backward-read
// hint for (about 100 bytes each with a key of 40): past it, an arbitrary
// one is forgotten for each new one. A forgotten hint costs its prefix's
// next read two seeks.
const backwardHintEntries = 1024

// backwardHintMaxPrefix is the longest prefix a hint is kept for. A
// prefix holds the indexed values it starts with, up to a whole TEXT
// value, and a hint keeps a copy of it: without this bound 1,024 reads of
// long prefixes would pin 1,024 long keys. A family's hints hold at most
// backwardHintEntries x (backwardHintMaxPrefix + ~100) bytes, ~230 KiB; a
// longer prefix is read without a hint (two more seeks).
const backwardHintMaxPrefix = 128

// backwardHint is what the last backward read of a prefix saw (see
// Backward): the number of its newest entry (top), the numbers per entry
// below it, the number of its marked-th newest entry (mark; marked is
// what the read aimed at, or fewer if it read fewer), and whether all of
// it fits in one window (whole).
type backwardHint struct {
	top, perEntry, mark uint64
	marked              int
	whole               bool
}

// backwardHints are a family's hints, by prefix. The zero value is
// empty and ready. Nothing reads them but Backward, and nothing depends
// on them being right.
type backwardHints struct {
	mu sync.Mutex
	m  map[string]*backwardHint
}

func (h *backwardHints) get(prefix []byte) (backwardHint, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.m[string(prefix)]; ok {
		return *p, true
	}
	return backwardHint{}, false
}

func (h *backwardHints) put(prefix []byte, v backwardHint) {
	if len(prefix) > backwardHintMaxPrefix {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.m[string(prefix)]; ok {
		*p = v
		return
	}
	if h.m == nil {
		h.m = make(map[string]*backwardHint)
	}
	if len(h.m) >= backwardHintEntries {
		for k := range h.m {
			delete(h.m, k) // map order is random: an arbitrary one
			break
		}
	}
	h.m[string(prefix)] = &v
}

func (h *backwardHints) forget(prefix []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, string(prefix))
}

// backwardScratch returns a recycled window buffer, or a new one sized
// for index entries of about 64 bytes, so that a window's entries are
// usually copied without growing it.
func (d *DB) backwardScratch() *backwardScratch {
	if s, ok := d.backs.Get().(*backwardScratch); ok {
		return s
	}
	return &backwardScratch{buf: make([]byte, 0, 8<<10)}
}

// putBackwardScratch recycles s unless a window grew it past what reads of
// the newest entries need (a scan of a whole large prefix).
func (d *DB) putBackwardScratch(s *backwardScratch) {
	if cap(s.buf) <= 64<<10 && cap(s.ents) <= 2<<10 {
		d.backs.Put(s)
	}
}
