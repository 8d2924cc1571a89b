package cold

import (
	"context"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// A File is shared by every statement reading it, but each read has its
// own context, which must reach the storage: a cancelled statement must
// not leave an object store request running. The Parquet library reads
// through the io.ReaderAt it was made with, which has no context, so a
// read that has to go to storage (a cache miss) borrows a library reader
// of its own (a boundReader) and points its ctxReaderAt at its context for
// as long as it holds it. Borrowed readers go back to the File when the
// read ends, keeping the offset indexes their row group readers parsed, so
// steady reads make no reader; a read served by the cache borrows nothing.

// maxIdleReaders bounds the readers a File keeps for reuse: about the
// number of reads of one file that miss the cache at the same time.
const maxIdleReaders = 4

// boundReader is a Parquet reader over the file's handle whose reads carry
// the context of the read holding it.
type boundReader struct {
	src  *ctxReaderAt
	rdr  *file.Reader
	rgrs []*file.RowGroupReader // by row group, made on first use
}

// readerPool is a File's idle boundReaders.
type readerPool struct {
	mu   sync.Mutex
	idle []*boundReader
}

func (f *File) borrowReader(ctx context.Context) (*boundReader, error) {
	f.readers.mu.Lock()
	if n := len(f.readers.idle); n > 0 {
		br := f.readers.idle[n-1]
		f.readers.idle = f.readers.idle[:n-1]
		f.readers.mu.Unlock()
		br.src.ctx, br.src.failed = ctx, false
		return br, nil
	}
	f.readers.mu.Unlock()
	src := newCtxReaderAt(ctx, f.h, &f.c)
	var in io.ReaderAt = src
	if f.meta.regions != nil {
		// The tail was verified: what the library reads of it (bloom
		// filters, page indexes) is checked against its regions' CRCs.
		in = &checkedTail{src: src, start: f.meta.tail, regions: f.meta.regions, mismatch: f.forgetCached}
	}
	rdr, err := file.NewParquetReader(io.NewSectionReader(in, 0, f.h.Size()), file.WithReadProps(f.props), file.WithMetadata(f.meta.md))
	if err != nil {
		return nil, corruptf("%v", err)
	}
	return &boundReader{src: src, rdr: rdr, rgrs: make([]*file.RowGroupReader, len(f.meta.rgs))}, nil
}

// forgetCached drops the file's parsed footer from the cache when its
// metadata no longer matches what was verified: the next open reads and
// verifies the tail again, so that a damaged file fails to open and a
// repaired one opens (Cache.forgetFooter).
func (f *File) forgetCached() { f.cache.forgetFooter(f.rec) }

// giveBack returns br for reuse. A reader whose read failed is dropped:
// the library keeps some failures (an offset index it could not read), and
// a later read must not inherit them.
func (f *File) giveBack(br *boundReader, failed bool) {
	failed = failed || br.src.failed
	br.src.ctx = context.Background() // not to keep the statement's context alive
	if failed {
		return
	}
	f.readers.mu.Lock()
	if len(f.readers.idle) < maxIdleReaders {
		f.readers.idle = append(f.readers.idle, br)
	}
	f.readers.mu.Unlock()
}

// readScope is one read's access to its file's storage: a lookup, or a
// cursor (which is not safe for concurrent use, so neither is its scope).
// release ends it.
type readScope struct {
	f   *File
	ctx context.Context
	br  *boundReader // borrowed on the read's first storage access
}

func newScope(ctx context.Context, f *File) readScope { return readScope{f: f, ctx: ctx} }

// reader is the read's Parquet reader, over the file's handle with the
// read's context.
func (s *readScope) reader() (*file.Reader, error) {
	if s.br == nil {
		br, err := s.f.borrowReader(s.ctx)
		if err != nil {
			return nil, err
		}
		s.br = br
	}
	return s.br.rdr, nil
}

// column is a reader of the pages of column leaf of row group i.
func (s *readScope) column(i, leaf int) (file.ColumnChunkReader, error) {
	rdr, err := s.reader()
	if err != nil {
		return nil, err
	}
	rgr := s.br.rgrs[i]
	if rgr == nil {
		rgr = rdr.RowGroup(i)
		s.br.rgrs[i] = rgr
	}
	return rgr.Column(leaf)
}

// release ends the scope, giving its reader back unless the read failed.
// The column readers made from it must be closed first. It may be called
// more than once.
func (s *readScope) release(failed bool) {
	if s.br != nil {
		s.f.giveBack(s.br, failed)
		s.br = nil
	}
}
