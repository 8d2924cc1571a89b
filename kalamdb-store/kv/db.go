package kv

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/linxGnu/grocksdb"
)

// defaultFamily is RocksDB's mandatory column family. KalamDB stores nothing
// in it; it is opened because RocksDB requires it and never handed out.
const defaultFamily = "default"

// Options configure a DB. The zero value is usable.
type Options struct {
	// Sync makes every write fsync the WAL before returning. Without it a
	// write is in the WAL (in the OS page cache) when it returns: it survives
	// a process crash (kill -9) but not a power loss.
	Sync bool
	// BlockCacheBytes is the shared LRU block cache size; 0 means 64 MiB.
	BlockCacheBytes uint64
	// WriteBufferBytes is the memtable size per column family; 0 means
	// 16 MiB. Many tables means many column families, so this is kept
	// smaller than RocksDB's 64 MiB default.
	WriteBufferBytes uint64
}

// DB is an open RocksDB database. It is safe for concurrent use.
type DB struct {
	path string
	live liveness

	db    *grocksdb.DB
	opts  *grocksdb.Options // DB options, also the template for new families
	cache *grocksdb.Cache
	bbto  *grocksdb.BlockBasedTableOptions
	merge *int64AddOperator
	ro    *grocksdb.ReadOptions
	wo    *grocksdb.WriteOptions

	// mu guards families and serialises family creation and drops; point
	// operations never take it because callers hold *ColumnFamily handles.
	mu       sync.Mutex
	families map[string]*ColumnFamily
	defaultH *grocksdb.ColumnFamilyHandle

	// bufs recycle the read-ahead buffers of iterators, one pool per
	// size a scan grows them through (fillBufBytes doubling up to
	// fillMaxBufBytes), as *[]byte: scans are frequent, and a long one
	// would otherwise allocate half a megabyte of buffers.
	bufs [bufClasses]sync.Pool
	// spans recycle the entry lists of iterators (*[]span; at most
	// fillMaxEntries long, 16 KiB).
	spans sync.Pool
	// backs recycle Backward's window buffers (*backwardScratch).
	backs sync.Pool
	// windowBytes is what the families' kept backward windows hold
	// (backwardWindowBudget at most).
	windowBytes atomic.Int64
	// sweptAt is writtenSeq when keepWindow last dropped stale windows.
	sweptAt atomic.Uint64
	// refusedWindows counts the windows the budget refused; every
	// backwardIdleSweepEvery-th sweeps idle windows (keepWindow).
	refusedWindows atomic.Uint64
	// writtenSeq is the highest sequence number DB.Write saw after a
	// write (see backcache.go): published, so at most any snapshot's.
	writtenSeq atomic.Uint64
	// snapReadOptions are the read options of snapshots, kept for reuse.
	snapReadOptions readOptionsPool

	// dropping are the column family drops under way, by name (guarded
	// by mu): a family being dropped is no longer in families, and a drop
	// of the name meanwhile waits for the one under way and reports its
	// outcome. Returning nil at once, it told its caller the family was
	// gone while a drop RocksDB then refused put it back, data and all.
	dropping map[string]*familyDrop

	// dropFamily, set by this package's tests only, replaces RocksDB's
	// DropColumnFamily (a drop that fails); nil: RocksDB's.
	dropFamily func(h *grocksdb.ColumnFamilyHandle) error
	// dropWaits, set by this package's tests only, is called when a drop
	// begins to wait for another drop of the name.
	dropWaits func(name string)
}

// familyDrop is a column family drop under way: done is closed once it
// has ended, with err its outcome.
type familyDrop struct {
	done chan struct{}
	err  error
}

// WrittenSeq is at least the sequence number of every write that has
// returned from Write (and of some that are returning): a snapshot whose
// SeqLowerBound is at least a value it returned sees all those writes.
func (d *DB) WrittenSeq() uint64 { return d.writtenSeq.Load() }

// Open opens (creating if needed) the database in dir and every column
// family it already has.
func Open(dir string, o Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("kv: create %s: %w", dir, err)
	}
	d := &DB{path: dir, families: make(map[string]*ColumnFamily)}
	d.buildOptions(o)

	names, err := grocksdb.ListColumnFamilies(d.opts, dir)
	if err != nil || len(names) == 0 {
		// A new database has no family list yet; RocksDB reports that as an
		// error, which is indistinguishable from other open errors until
		// the open itself runs, so fall through and let it speak.
		names = []string{defaultFamily}
	}
	cfOpts := make([]*grocksdb.Options, len(names))
	for i := range names {
		cfOpts[i] = d.opts
	}
	db, handles, err := grocksdb.OpenDbColumnFamilies(d.opts, dir, names, cfOpts)
	if err != nil {
		d.destroyOptions()
		return nil, fmt.Errorf("kv: open %s: %w", dir, err)
	}
	d.db = db
	// Every recovered write is published: snapshots start from there.
	d.writtenSeq.Store(db.GetLatestSequenceNumber())
	for i, name := range names {
		if name == defaultFamily {
			d.defaultH = handles[i]
			continue
		}
		d.families[name] = &ColumnFamily{db: d, name: name, h: handles[i], id: handles[i].ID()}
	}
	return d, nil
}

func (d *DB) buildOptions(o Options) {
	cacheBytes := o.BlockCacheBytes
	if cacheBytes == 0 {
		cacheBytes = 64 << 20
	}
	wb := o.WriteBufferBytes
	if wb == 0 {
		wb = 16 << 20
	}
	d.cache = grocksdb.NewLRUCache(cacheBytes)
	d.bbto = grocksdb.NewDefaultBlockBasedTableOptions()
	d.bbto.SetBlockCache(d.cache)
	// Point lookups by primary key dominate reads: a bloom filter lets a
	// miss skip the SST's data blocks.
	d.bbto.SetFilterPolicy(grocksdb.NewBloomFilter(10))
	d.bbto.SetCacheIndexAndFilterBlocks(true)
	// Every read opens an iterator or looks keys up, and each L0 file's
	// index and filter blocks were then looked up in the block cache (a
	// hash, a shard lock, a reference) per file and per read: pinned
	// while the file is in L0 (a few files), they are at hand. It halved
	// the cost of opening the iterator of an index read over an L0 file.
	d.bbto.SetPinL0FilterAndIndexBlocksInCache(true)

	d.merge = &int64AddOperator{}
	opts := grocksdb.NewDefaultOptions()
	opts.SetCreateIfMissing(true)
	opts.SetCreateIfMissingColumnFamilies(true)
	opts.SetBlockBasedTableFactory(d.bbto)
	opts.SetWriteBufferSize(wb)
	opts.SetCompression(grocksdb.LZ4Compression)
	// Counters are merged, not read-modified-written, so concurrent writers
	// to one partition never lose increments and never read on write.
	opts.SetMergeOperator(d.merge)
	opts.IncreaseParallelism(2)
	d.opts = opts

	d.ro = grocksdb.NewDefaultReadOptions()
	d.wo = grocksdb.NewDefaultWriteOptions()
	d.wo.SetSync(o.Sync)
}

func (d *DB) destroyOptions() {
	d.snapReadOptions.destroy()
	d.ro.Destroy()
	d.wo.Destroy()
	// d.opts is deliberately not destroyed: grocksdb's Options.Destroy
	// frees the merge operator a second time (RocksDB's options already own
	// it through a shared_ptr) and crashes. Leaking one small options struct
	// per Open is the safe price.
	d.bbto.Destroy()
	d.cache.Destroy()
}

// Path is the directory the database lives in.
func (d *DB) Path() string { return d.path }

// Close waits for in-flight operations, open iterators and snapshots to end,
// then destroys every column family handle and closes RocksDB. It is safe to
// call more than once.
func (d *DB) Close() error {
	if !d.live.closeAndDrain() {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, cf := range d.families {
		cf.live.closed.Store(true)
		cf.h.Destroy()
		delete(d.families, name)
	}
	d.defaultH.Destroy()
	d.db.Close()
	d.destroyOptions()
	return nil
}

// ColumnFamily returns the named column family, creating it if it does not
// exist yet.
func (d *DB) ColumnFamily(name string) (*ColumnFamily, error) {
	if name == "" || name == defaultFamily {
		return nil, fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	if !d.live.acquire() {
		return nil, ErrClosed
	}
	defer d.live.release()
	d.mu.Lock()
	defer d.mu.Unlock()
	if cf, ok := d.families[name]; ok {
		return cf, nil
	}
	h, err := d.db.CreateColumnFamily(d.opts, name)
	if err != nil {
		return nil, fmt.Errorf("kv: create column family %s: %w", name, err)
	}
	cf := &ColumnFamily{db: d, name: name, h: h, id: h.ID()}
	d.families[name] = cf
	return cf, nil
}

// LookupColumnFamily returns the named column family if it exists.
func (d *DB) LookupColumnFamily(name string) (*ColumnFamily, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cf, ok := d.families[name]
	return cf, ok
}

// ColumnFamilyNames lists the column families (without RocksDB's default
// family), sorted.
func (d *DB) ColumnFamilyNames() []string {
	d.mu.Lock()
	names := make([]string, 0, len(d.families))
	for name := range d.families {
		names = append(names, name)
	}
	d.mu.Unlock()
	sort.Strings(names)
	return names
}

// DropColumnFamily drops the named column family and all of its data. It
// waits for operations already using the family to finish; later ones get
// ErrDropped. Dropping a family that does not exist is not an error, so a
// cleanup retried after a crash is idempotent. A drop RocksDB refuses
// changes nothing (operations during it got ErrDropped): the family is
// still there, open, with its data, and can be dropped again. A drop of a
// family whose drop is under way waits for it and reports its outcome.
func (d *DB) DropColumnFamily(name string) error {
	if !d.live.acquire() {
		return ErrClosed
	}
	defer d.live.release()
	d.mu.Lock()
	cf, ok := d.families[name]
	if !ok {
		under := d.dropping[name]
		d.mu.Unlock()
		if under == nil {
			return nil
		}
		if d.dropWaits != nil {
			d.dropWaits(name)
		}
		<-under.done
		return under.err
	}
	delete(d.families, name)
	fd := &familyDrop{done: make(chan struct{})}
	if d.dropping == nil {
		d.dropping = make(map[string]*familyDrop)
	}
	d.dropping[name] = fd
	d.mu.Unlock()
	fd.err = d.dropFamilyNow(name, cf)
	close(fd.done)
	return fd.err
}

// dropFamilyNow drops cf, which DropColumnFamily took out of families and
// entered in dropping; the entry is removed under the same lock as a
// refused family is put back, so a later drop finds one or the other.
func (d *DB) dropFamilyNow(name string, cf *ColumnFamily) error {
	ended := func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		delete(d.dropping, name)
	}
	if !cf.live.closeAndDrain() {
		ended()
		return nil
	}
	cf.windows.clear(&d.windowBytes)
	drop := d.db.DropColumnFamily
	if d.dropFamily != nil {
		drop = d.dropFamily
	}
	if err := drop(cf.h); err != nil {
		// RocksDB still has the family. Forgotten here, a retry would be
		// a no-op and creating the name would fail ("already exists")
		// until a restart: it is put back as it was, open, its handles
		// valid again. No one can have created the name meanwhile
		// (RocksDB refuses while it has the family); if someone did, the
		// family is gone after all and the new one stays.
		d.mu.Lock()
		defer d.mu.Unlock()
		delete(d.dropping, name)
		if _, taken := d.families[name]; taken {
			cf.h.Destroy()
		} else {
			cf.live.reopen()
			d.families[name] = cf
		}
		return fmt.Errorf("kv: drop column family %s: %w", name, err)
	}
	cf.h.Destroy()
	ended()
	return nil
}

// Write applies a batch atomically: either every operation in it is durable
// (per Options.Sync) or none is.
func (d *DB) Write(b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	if !d.live.acquire() {
		return ErrClosed
	}
	defer d.live.release()
	// Hold every family the batch touches, so none is dropped (and its
	// handle freed) while RocksDB applies the batch.
	held := make([]*ColumnFamily, 0, 2)
	defer func() {
		for _, cf := range held {
			cf.live.release()
		}
	}()
	for i := range b.ops {
		op := &b.ops[i]
		if !slices.Contains(held, op.cf) {
			if op.cf.db != d {
				return errors.New("kv: batch holds a column family of another db")
			}
			if !op.cf.live.acquire() {
				return fmt.Errorf("kv: write to %s: %w", op.cf.name, ErrDropped)
			}
			held = append(held, op.cf)
		}
	}
	// Each family counts the write in flight until its sequence number
	// is in the family's lastSeq and prefix marks (see backcache.go),
	// failed or not (a failed write may still have been applied).
	var marksArr [4]*prefixMarks
	marks := marksArr[:0]
	for _, cf := range held {
		marks = append(marks, cf.writing())
	}
	// The batch is serialised here in RocksDB's own WriteBatch format and
	// handed over in one cgo call; building it op by op through the C API
	// costs a cgo call per operation, which dominated large batches.
	wb := grocksdb.WriteBatchFrom(encodeBatch(b.ops))
	err := d.db.Write(d.wo, wb)
	wb.Destroy()
	seq := d.db.GetLatestSequenceNumber()
	for i, cf := range held {
		cf.written(b.ops, marks[i], seq)
	}
	raise(&d.writtenSeq, seq)
	if err != nil {
		return fmt.Errorf("kv: write batch: %w", err)
	}
	for _, cf := range held {
		cf.committed()
	}
	return nil
}

// FlushWAL syncs the write-ahead log to disk. It makes every write that has
// returned so far durable against power loss when Options.Sync is off.
func (d *DB) FlushWAL() error {
	if !d.live.acquire() {
		return ErrClosed
	}
	defer d.live.release()
	if err := d.db.FlushWAL(true); err != nil {
		return fmt.Errorf("kv: flush wal: %w", err)
	}
	return nil
}

// FlushMemtables writes every column family's memtable to an SST file
// and waits for it, as RocksDB does by itself when a memtable fills up.
// Nothing needs it for durability (the WAL has every write); it puts the
// data where a long-running server's reads find most of it, in table
// files, for benchmarks and tests of that read path.
func (d *DB) FlushMemtables() error {
	if !d.live.acquire() {
		return ErrClosed
	}
	defer d.live.release()
	fo := grocksdb.NewDefaultFlushOptions()
	defer fo.Destroy()
	fo.SetWait(true)
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, cf := range d.families {
		if err := d.db.FlushCF(cf.h, fo); err != nil {
			return fmt.Errorf("kv: flush %s: %w", name, err)
		}
	}
	return nil
}
