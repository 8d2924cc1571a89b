package cold

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
)

// Read counters: every File counts what it read from storage and what its
// reads pruned, decoded or found cached, so that callers and tests can see
// pruning and caching at work.

// Stats are a file's read counters since it was opened. They let callers
// and tests see pruning at work: a point lookup of an absent key should
// show a bloom negative or a pruned row group and no row group read.
type Stats struct {
	// RowGroupsRead counts row groups whose data pages were read.
	RowGroupsRead int64
	// RowGroupsPruned counts row groups skipped because their _key
	// min/max excluded the key or key range, or (for range reads with
	// filters) a filtered column's statistics or bloom filter excluded
	// every row.
	RowGroupsPruned int64
	// BloomChecks counts bloom filter probes: of _key by lookups, of a
	// filtered column (the primary key's) by range reads.
	BloomChecks int64
	// BloomNegatives counts probes that proved a key (or every value of
	// a filter) absent, so its row group was not read.
	BloomNegatives int64
	// PagesPruned counts key searches inside a row group (a lookup, or
	// the start or end of a range read) that the _key page index answered
	// without reading a _key page.
	PagesPruned int64
	// PagesFiltered counts pages a range read skipped because a filtered
	// column's page statistics excluded every row of them.
	PagesFiltered int64
	// PagesDecoded counts data pages decoded (cache misses), PagesCached
	// pages found decoded in the cache.
	PagesDecoded, PagesCached int64
	// RowsDecoded counts rows turned into Row values or batch rows.
	RowsDecoded int64
	// ScansPruned counts range reads (cursors) that pruned every row group
	// of the file, by its key range or a filter: they read none of its
	// pages (a file a statement did not have to read).
	ScansPruned int64
	// BytesRead and ReadCalls count what was read from storage,
	// footer and indexes included.
	BytesRead int64
	ReadCalls int64
}

type counters struct {
	rowGroupsRead, rowGroupsPruned, bloomChecks, bloomNegatives, pagesPruned, rowsDecoded atomic.Int64
	pagesFiltered, pagesDecoded, pagesCached, bytesRead, readCalls                        atomic.Int64
	scansPruned                                                                           atomic.Int64
}

// ctxReaderAt reads a file's handle for one read of the File: with that
// read's context (the handle's own reads through ContextReaderAt, else a
// check before each read), counting what it reads in c (when not nil).
type ctxReaderAt struct {
	h      ReadHandle
	hc     ContextReaderAt // h, when its reads take a context
	ctx    context.Context
	c      *counters
	failed bool // a read failed (not at the end of the file)
}

func newCtxReaderAt(ctx context.Context, h ReadHandle, c *counters) *ctxReaderAt {
	hc, _ := h.(ContextReaderAt)
	return &ctxReaderAt{h: h, hc: hc, ctx: ctx, c: c}
}

func (r *ctxReaderAt) ReadAt(p []byte, off int64) (n int, err error) {
	if r.hc != nil {
		n, err = r.hc.ReadAtContext(r.ctx, p, off)
	} else if err = r.ctx.Err(); err == nil {
		n, err = r.h.ReadAt(p, off)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		r.failed = true
	}
	if r.c != nil {
		r.c.bytesRead.Add(int64(n))
		r.c.readCalls.Add(1)
	}
	return n, err
}

// ReaderAt is h read with ctx: each read of an object store's handle is
// a request ctx ends (ContextReaderAt), any other handle's read checks
// ctx first. It is for reads outside a File (copies, checks); it is not
// safe for concurrent use.
func ReaderAt(ctx context.Context, h ReadHandle) io.ReaderAt { return newCtxReaderAt(ctx, h, nil) }

// Stats returns the read counters.
func (f *File) Stats() Stats {
	return Stats{
		RowGroupsRead:   f.c.rowGroupsRead.Load(),
		RowGroupsPruned: f.c.rowGroupsPruned.Load(),
		BloomChecks:     f.c.bloomChecks.Load(),
		BloomNegatives:  f.c.bloomNegatives.Load(),
		PagesPruned:     f.c.pagesPruned.Load(),
		PagesFiltered:   f.c.pagesFiltered.Load(),
		PagesDecoded:    f.c.pagesDecoded.Load(),
		PagesCached:     f.c.pagesCached.Load(),
		RowsDecoded:     f.c.rowsDecoded.Load(),
		ScansPruned:     f.c.scansPruned.Load(),
		BytesRead:       f.c.bytesRead.Load(),
		ReadCalls:       f.c.readCalls.Load(),
	}
}
