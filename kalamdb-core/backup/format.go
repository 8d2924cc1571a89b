package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// FormatVersion is the version of the backup format this server writes.
// It reads backups of this version and older ones it knows; a newer one is
// refused (errNewerFormat).
const FormatVersion = 1

// Names in a backup directory.
const (
	// ManifestName is the backup's manifest, written last: a directory
	// without it is not a backup (an interrupted one).
	ManifestName = "backup.json"
	catalogName  = "catalog.json"
	hotDir       = "hot"
	indexDir     = "index"
	filesDir     = "files"
	product      = "kalamdb-go namespace backup"
)

// Manifest is backup.json: what the backup holds, the SHA-256 of every
// other file in it, and its signature.
type Manifest struct {
	Format    int       `json:"format"`
	Product   string    `json:"product"`
	Namespace string    `json:"namespace"`
	CreatedAt time.Time `json:"created_at"`
	// MaxSeq is the largest _seq in the backup.
	MaxSeq int64          `json:"max_seq"`
	Tables []TableSummary `json:"tables"`
	Views  int            `json:"views"`
	Users  int            `json:"users"`
	// PasswordsOmitted says the users' password hashes were left out (a
	// dba took the backup): the users a restore creates have no password.
	// Absent in backups written before it existed, which hold them.
	PasswordsOmitted bool `json:"passwords_omitted,omitempty"`
	// DroppedOwnersOmitted is how many partition owners, users dropped
	// before the backup, a dba's backup left out (their rows no
	// statement reads); absent when none.
	DroppedOwnersOmitted int `json:"dropped_owners_omitted,omitempty"`
	// Rows counts row versions: hot versions plus the rows of the Parquet
	// files (deleted versions included).
	Rows int64 `json:"rows"`
	// Bytes is the size of every file of the backup but this one.
	Bytes int64  `json:"bytes"`
	Files []File `json:"files"`
	// Signature signs the rest of the manifest (signing.go); absent when
	// the server that wrote it had no storage secret key, and in backups
	// written before signatures existed.
	Signature *Signature `json:"signature,omitempty"`
}

// TableSummary counts what the backup holds of one table.
type TableSummary struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	HotVersions  int64  `json:"hot_versions"`
	HotDeleted   int64  `json:"hot_deleted"`
	ColdRows     int64  `json:"cold_rows"`
	ParquetFiles int    `json:"parquet_files"`
	IndexEntries int64  `json:"index_entries"`
}

// File is one file of a backup with its size and SHA-256 (lower-case
// hex).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// catalogFile is catalog.json: the namespace's system rows as of the
// backup's snapshot. Manifests list their files by their paths in the
// backup (files/...), not in the storage they came from.
type catalogFile struct {
	Namespace *systable.Namespace     `json:"namespace"`
	Tables    []*systable.TableMeta   `json:"tables"`
	Schemas   []*systable.TableSchema `json:"schemas"`
	Views     []*systable.View        `json:"views"`
	// Users are the rows of every user owning a partition (and of the
	// creators of views), password hashes included unless
	// PasswordsOmitted (as in the manifest).
	Users            []*systable.User     `json:"users"`
	PasswordsOmitted bool                 `json:"passwords_omitted,omitempty"`
	Manifests        []*systable.Manifest `json:"manifests"`
	Counters         []counter            `json:"counters"`
	// Owners are the ids of every partition owner and view creator,
	// with a row in Users or not (a dropped user).
	Owners []string `json:"owners"`
}

// counter is a partition's buffered-row counter.
type counter struct {
	Table string `json:"table"`
	Owner string `json:"owner,omitempty"`
	Value int64  `json:"value"`
}

func hotPath(table string) string   { return path.Join(hotDir, table+".kv") }
func indexPath(table string) string { return path.Join(indexDir, table+".kv") }

// coldPath is where a Parquet file of a partition goes in the backup.
func coldPath(table, owner, name string) string {
	if owner == "" {
		return path.Join(filesDir, table, "shared", name)
	}
	return path.Join(filesDir, table, "users", owner, name)
}

// Record files (hot/*.kv, index/*.kv) hold raw key/value pairs of a column
// family: a magic line, then per pair the byte 1, uvarint key length, key,
// uvarint value length, value; and at the end the byte 0 and the uvarint
// count of pairs. A file without its end is truncated.
const recordMagic = "KALAMDB-KV 1\n"

// maxRecordPart bounds a key or value read back, so a corrupt length
// cannot make a restore allocate without limit.
const maxRecordPart = 64 << 20

type recordWriter struct {
	w     *bufio.Writer
	n     int64
	nbuf  [binary.MaxVarintLen64]byte
	begun bool
}

func newRecordWriter(w io.Writer) *recordWriter {
	return &recordWriter{w: bufio.NewWriterSize(w, 256<<10)}
}

func (r *recordWriter) put(k, v []byte) error {
	if !r.begun {
		r.begun = true
		if _, err := r.w.WriteString(recordMagic); err != nil {
			return err
		}
	}
	if err := r.w.WriteByte(1); err != nil {
		return err
	}
	for _, part := range [][]byte{k, v} {
		n := binary.PutUvarint(r.nbuf[:], uint64(len(part)))
		if _, err := r.w.Write(r.nbuf[:n]); err != nil {
			return err
		}
		if _, err := r.w.Write(part); err != nil {
			return err
		}
	}
	r.n++
	return nil
}

func (r *recordWriter) finish() error {
	if !r.begun {
		if _, err := r.w.WriteString(recordMagic); err != nil {
			return err
		}
	}
	if err := r.w.WriteByte(0); err != nil {
		return err
	}
	n := binary.PutUvarint(r.nbuf[:], uint64(r.n))
	if _, err := r.w.Write(r.nbuf[:n]); err != nil {
		return err
	}
	return r.w.Flush()
}

type recordReader struct {
	r    *bufio.Reader
	name string
	n    int64
	k, v []byte
}

func newRecordReader(r io.Reader, name string) (*recordReader, error) {
	rr := &recordReader{r: bufio.NewReaderSize(r, 256<<10), name: name}
	magic := make([]byte, len(recordMagic))
	if _, err := io.ReadFull(rr.r, magic); err != nil {
		return nil, rr.corrupt(err)
	}
	if string(magic) != recordMagic {
		return nil, rr.corrupt(errors.New("not a record file"))
	}
	return rr, nil
}

func (r *recordReader) corrupt(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var ae *apierror.Error
	if errors.As(err, &ae) {
		return err
	}
	return corruptErr(fmt.Errorf("%s: %w", r.name, err))
}

// next reads the next pair into r.k, r.v (valid until the next call); it
// returns false at the end, having checked the count.
func (r *recordReader) next() (bool, error) {
	tag, err := r.r.ReadByte()
	if err != nil {
		return false, r.corrupt(err)
	}
	switch tag {
	case 0:
		want, err := binary.ReadUvarint(r.r)
		if err != nil {
			return false, r.corrupt(err)
		}
		if int64(want) != r.n {
			return false, r.corrupt(fmt.Errorf("%d pairs, the end says %d", r.n, want))
		}
		// Drain to EOF, so a verifying reader below sees the whole file.
		if extra, err := io.Copy(io.Discard, r.r); err != nil {
			return false, r.corrupt(err)
		} else if extra != 0 {
			return false, r.corrupt(fmt.Errorf("%d bytes after the end", extra))
		}
		return false, nil
	case 1:
	default:
		return false, r.corrupt(fmt.Errorf("bad record tag %d", tag))
	}
	if r.k, err = r.part(r.k); err != nil {
		return false, err
	}
	if r.v, err = r.part(r.v); err != nil {
		return false, err
	}
	r.n++
	return true, nil
}

func (r *recordReader) part(buf []byte) ([]byte, error) {
	n, err := binary.ReadUvarint(r.r)
	if err != nil {
		return nil, r.corrupt(err)
	}
	if n > maxRecordPart {
		return nil, r.corrupt(fmt.Errorf("record of %d bytes", n))
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r.r, buf); err != nil {
		return nil, r.corrupt(err)
	}
	return buf, nil
}

// corruptErr is the error of a backup that is damaged: truncated,
// changed, or not a backup at all.
func corruptErr(err error) error {
	return apierror.Wrap(apierror.InvalidInput, err, "backup is damaged: "+err.Error())
}

// source is a backup being read: its manifest, and files opened through
// it are checked against the manifest's size and SHA-256.
type source struct {
	st    cold.Storage
	man   *Manifest
	files map[string]File
}

// openSource reads and checks backup.json. ns is the namespace the caller
// expects the backup to be of.
func openSource(ctx context.Context, st cold.Storage, location string) (*source, error) {
	raw, err := readAll(ctx, st, ManifestName, 16<<20)
	if err != nil {
		return nil, err
	}
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, corruptErr(fmt.Errorf("%s of %s is not valid: %w", ManifestName, location, err))
	}
	if man.Product != product {
		return nil, corruptErr(fmt.Errorf("%s is not a KalamDB backup", location))
	}
	if man.Format > FormatVersion {
		return nil, apierror.New(apierror.Unsupported,
			"backup %s has format version %d, newer than this server reads (%d): restore it with a newer server", location, man.Format, FormatVersion)
	}
	if man.Format < 1 {
		return nil, corruptErr(fmt.Errorf("backup %s has no valid format version", location))
	}
	s := &source{st: st, man: &man, files: make(map[string]File, len(man.Files))}
	for _, f := range man.Files {
		if _, err := cold.CleanPath(f.Path, false); err != nil || f.Path == ManifestName {
			return nil, corruptErr(fmt.Errorf("backup lists an invalid file %q", f.Path))
		}
		s.files[f.Path] = f
	}
	return s, nil
}

// checkSizes compares every file's size with the manifest: a truncated
// backup is refused before anything is restored.
func (s *source) checkSizes(ctx context.Context) error {
	for _, f := range s.man.Files {
		e, err := s.st.Stat(ctx, f.Path)
		if err != nil {
			return corruptErr(fmt.Errorf("file %s is missing: %w", f.Path, err))
		}
		if e.Size != f.Size {
			return corruptErr(fmt.Errorf("file %s has %d bytes, the manifest says %d (truncated or changed)", f.Path, e.Size, f.Size))
		}
	}
	return nil
}

// open opens a file of the backup for one sequential read; the reader
// fails at its end unless size and SHA-256 match the manifest.
func (s *source) open(ctx context.Context, p string) (*verifiedReader, error) {
	f, ok := s.files[p]
	if !ok {
		return nil, corruptErr(fmt.Errorf("file %s is not listed in %s", p, ManifestName))
	}
	h, err := s.st.Open(ctx, p)
	if err != nil {
		return nil, corruptErr(fmt.Errorf("file %s: %w", p, err))
	}
	return &verifiedReader{f: f, h: h, r: io.NewSectionReader(cold.ReaderAt(ctx, h), 0, h.Size()), sum: sha256.New()}, nil
}

// verifiedReader reads a backup file and checks it at EOF.
type verifiedReader struct {
	f   File
	h   cold.ReadHandle
	r   io.Reader
	sum hash.Hash
	n   int64
}

func (v *verifiedReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.sum.Write(p[:n])
	v.n += int64(n)
	if errors.Is(err, io.EOF) {
		if v.n != v.f.Size {
			return n, corruptErr(fmt.Errorf("file %s has %d bytes, the manifest says %d", v.f.Path, v.n, v.f.Size))
		}
		if got := hex.EncodeToString(v.sum.Sum(nil)); got != v.f.SHA256 {
			return n, corruptErr(fmt.Errorf("file %s does not match its SHA-256 in the manifest (changed or damaged)", v.f.Path))
		}
	}
	return n, err
}

func (v *verifiedReader) Close() error { return v.h.Close() }

// readVerified reads a whole (small) file of the backup, checked.
func (s *source) readVerified(ctx context.Context, p string, limit int64) ([]byte, error) {
	r, err := s.open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.f.Size > limit {
		return nil, corruptErr(fmt.Errorf("file %s is %d bytes, more than %d", p, r.f.Size, limit))
	}
	return io.ReadAll(r)
}

// readAll reads a whole file of a storage, up to limit bytes.
func readAll(ctx context.Context, st cold.Storage, p string, limit int64) ([]byte, error) {
	h, err := st.Open(ctx, p)
	if err != nil {
		return nil, apierror.Wrap(apierror.NotFound, err, fmt.Sprintf("no backup there: %s is missing (%v)", p, err))
	}
	defer h.Close()
	if h.Size() > limit {
		return nil, corruptErr(fmt.Errorf("%s is %d bytes, more than %d", p, h.Size(), limit))
	}
	return io.ReadAll(io.NewSectionReader(cold.ReaderAt(ctx, h), 0, h.Size()))
}

// sink is a backup being written: every file it creates is hashed and
// recorded, and discard removes them all (a failed backup leaves nothing).
type sink struct {
	st      cold.Storage
	files   []File
	created []string
	// dirs are the directories of every file it began, committed or not:
	// Create makes them.
	dirs map[string]bool
}

type sinkFile struct {
	s    *sink
	p    string
	pf   cold.PendingFile
	sum  hash.Hash
	n    int64
	done bool
}

func (s *sink) create(ctx context.Context, p string) (*sinkFile, error) {
	if s.dirs == nil {
		s.dirs = map[string]bool{}
	}
	for d := path.Dir(p); d != "." && d != ""; d = path.Dir(d) {
		s.dirs[d] = true
	}
	pf, err := s.st.Create(ctx, p)
	if err != nil {
		return nil, err
	}
	return &sinkFile{s: s, p: p, pf: pf, sum: sha256.New()}, nil
}

func (f *sinkFile) Write(b []byte) (int, error) {
	n, err := f.pf.Write(b)
	f.sum.Write(b[:n])
	f.n += int64(n)
	return n, err
}

// commit publishes the file and records it.
func (f *sinkFile) commit() error {
	f.done = true
	if err := f.pf.Commit(); err != nil {
		return err
	}
	f.s.created = append(f.s.created, f.p)
	f.s.files = append(f.s.files, File{Path: f.p, Size: f.n, SHA256: hex.EncodeToString(f.sum.Sum(nil))})
	return nil
}

// abort discards an uncommitted file; safe after commit.
func (f *sinkFile) abort() {
	if !f.done {
		f.done = true
		_ = f.pf.Abort()
	}
}

// discard removes every file the backup wrote and then the directories
// they were in, deepest first (rmdir: anything else is left). It reports
// the first file it could not remove.
func (s *sink) discard(ctx context.Context) error {
	var first error
	for _, p := range s.created {
		if err := s.st.Remove(ctx, p); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	removeDirs(ctx, s.st, s.dirs)
	s.created, s.files, s.dirs = nil, nil, nil
	return first
}

// removeDirs removes the empty ones of dirs, deepest first.
func removeDirs(ctx context.Context, st cold.Storage, dirs map[string]bool) {
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	// Deeper paths have more separators; among equals the order is free.
	for depth := 64; depth >= 0; depth-- {
		for _, d := range list {
			if strings.Count(d, "/") == depth {
				_ = st.RemoveDir(ctx, d)
			}
		}
	}
}
