package cold

// S3 is the Storage on an S3-compatible object store. It keeps the
// Storage contract the tiers depend on with what an object store offers:
//
//   - Create buffers up to a part in memory; Commit publishes the object
//     with one PUT, or, for a larger file, completes the multipart upload
//     Create started. Either way the object appears whole or not at all,
//     and an aborted or crashed upload is an incomplete multipart upload,
//     which CleanupTemp aborts.
//   - Open stats the object once; ReadAt is a ranged GET (through the
//     RangeCache when one is given), so a Parquet reader fetches footers
//     and column chunks, never whole files. ReadAtContext ends the GET
//     when the reading statement's context ends.
//   - Directories are key prefixes: List lists one level with the "/"
//     delimiter, a directory exists while some object is under it, and
//     RemoveDir has nothing to remove (it only refuses a non-empty one).
//   - Rename is copy then delete: it is not atomic. The tiers never rename
//     (a flush or compaction publishes each file under its final name, and
//     the manifest in RocksDB, written after, is the truth), so nothing
//     depends on it.

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// ErrAccessDenied is matched by the error of an S3 operation the object
// store refused for the credentials (unknown key, bad signature, no
// permission).
var ErrAccessDenied = errors.New("cold: object store denied access")

// ErrNoSuchBucket is matched by the error of an S3 operation on a bucket
// that does not exist.
var ErrNoSuchBucket = errors.New("cold: bucket does not exist")

// ErrUnreachable is matched by the error of an S3 operation that got no
// answer from the object store (connection refused, timeout, server
// errors or throttling after the client's retries).
var ErrUnreachable = errors.New("cold: object store unreachable")

// S3 defaults.
const (
	// DefaultS3PartSize is the size of the parts of a multipart upload,
	// and the most a pending file holds in memory.
	DefaultS3PartSize = 8 << 20
	// DefaultS3RequestTimeout bounds each request to the object store.
	DefaultS3RequestTimeout = 30 * time.Second
	// DefaultS3MaxRetries is how many times the client tries a request
	// that failed in a retryable way (connection error, 5xx).
	DefaultS3MaxRetries = 3
	// DefaultS3ListPageSize is how many keys a listing asks for per
	// request: S3's most.
	DefaultS3ListPageSize = 1000
	minS3PartSize         = 5 << 20 // S3's own minimum for all parts but the last
)

// S3Options locate an S3 storage and say how to reach it.
type S3Options struct {
	// Endpoint is host[:port] of the object store; "" is AWS S3.
	Endpoint string
	// Insecure talks plain HTTP (an endpoint on a trusted network only).
	Insecure bool
	// Region of the bucket; "" lets the client find out.
	Region string
	// Bucket and Prefix: every object of the storage is Prefix/path in
	// Bucket. Prefix has no leading or trailing slash ("" is the bucket's
	// root).
	Bucket, Prefix string
	// Credentials; all empty means anonymous access.
	AccessKeyID, SecretAccessKey, SessionToken string
	// PathStyle addresses the bucket in the URL path instead of the host
	// name (most S3-compatible servers need it).
	PathStyle bool
	// PartSize of multipart uploads (0: DefaultS3PartSize; at least 5 MiB).
	PartSize int64
	// RequestTimeout bounds each request (0: DefaultS3RequestTimeout).
	RequestTimeout time.Duration
	// MaxRetries of a failed request (0: DefaultS3MaxRetries).
	MaxRetries int
	// ListPageSize is how many keys a listing asks for per request (0:
	// DefaultS3ListPageSize; a store may answer with fewer).
	ListPageSize int
	// Cache, when set, keeps the byte ranges reads fetch; CacheID names
	// the storage in it.
	Cache   *RangeCache
	CacheID string
}

// S3 is a Storage in a bucket of an S3-compatible object store. It is
// safe for concurrent use.
type S3 struct {
	client *minio.Client
	core   minio.Core
	o      S3Options
	base   string
	close  func()
}

var _ Storage = (*S3)(nil)

// NewS3 returns the Storage over the bucket and prefix of o. It sends no
// request: Probe checks that the bucket is there and the credentials
// work.
func NewS3(o S3Options) (*S3, error) {
	if o.Bucket == "" {
		return nil, errors.New("cold: NewS3: empty bucket")
	}
	if o.Prefix != "" {
		if _, err := CleanPath(o.Prefix, false); err != nil {
			return nil, fmt.Errorf("cold: NewS3: prefix: %w", err)
		}
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultS3PartSize
	}
	if o.PartSize < minS3PartSize {
		return nil, fmt.Errorf("cold: NewS3: part size %d is under S3's minimum of %d", o.PartSize, minS3PartSize)
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultS3RequestTimeout
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = DefaultS3MaxRetries
	}
	if o.ListPageSize <= 0 || o.ListPageSize > DefaultS3ListPageSize {
		o.ListPageSize = DefaultS3ListPageSize
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	tr, err := minio.DefaultTransport(!o.Insecure)
	if err != nil {
		return nil, fmt.Errorf("cold: NewS3: %w", err)
	}
	// A store that accepts the connection but never answers must not hold
	// a flush or a read forever.
	tr.ResponseHeaderTimeout = o.RequestTimeout
	var creds *credentials.Credentials
	if o.AccessKeyID != "" || o.SecretAccessKey != "" {
		creds = credentials.NewStaticV4(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)
	} else {
		creds = credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{Creds: creds, Secure: !o.Insecure, Region: o.Region,
		BucketLookup: lookup, Transport: tr, MaxRetries: o.MaxRetries})
	if err != nil {
		return nil, fmt.Errorf("cold: NewS3 %s: %w", endpoint, err)
	}
	base := "s3://" + o.Bucket
	if o.Prefix != "" {
		base += "/" + o.Prefix
	}
	return &S3{client: client, core: minio.Core{Client: client}, o: o, base: base, close: tr.CloseIdleConnections}, nil
}

// Base is s3://bucket[/prefix].
func (s *S3) Base() string { return s.base }

// Close releases idle connections. Files opened from the S3 stay
// readable: a storage whose definition changed is replaced while
// statements may still read files opened from the old one.
func (s *S3) Close() error {
	s.close()
	return nil
}

// Probe checks, with one request, that the bucket exists and the
// credentials may use it.
func (s *S3) Probe(ctx context.Context) error {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.o.Bucket)
	if err != nil {
		return s.wrap("probe", s.base, err)
	}
	if !ok {
		return fmt.Errorf("cold: probe %s: %w", s.base, ErrNoSuchBucket)
	}
	return nil
}

func (s *S3) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.o.RequestTimeout)
}

// key is the object key of a storage path.
func (s *S3) key(p string) string {
	if s.o.Prefix == "" {
		return p
	}
	return s.o.Prefix + "/" + p
}

// dirPrefix is the key prefix of the objects in directory dir ("." is the
// root).
func (s *S3) dirPrefix(dir string) string {
	if dir == "." {
		if s.o.Prefix == "" {
			return ""
		}
		return s.o.Prefix + "/"
	}
	return s.key(dir) + "/"
}

// wrap gives an object store error its context and the sentinel a caller
// can match.
func (s *S3) wrap(op, p string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cold: %s %s: %w: %w", op, p, ErrUnreachable, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("cold: %s %s: %w", op, p, err)
	}
	resp := minio.ToErrorResponse(err)
	var kind error
	switch resp.Code {
	case "NoSuchKey", "NotFound":
		kind = fs.ErrNotExist
	case "NoSuchBucket":
		kind = ErrNoSuchBucket
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AllAccessDisabled",
		// The store refuses the signature's time: the server's clock,
		// not the file, is what to fix.
		"RequestTimeTooSkewed":
		kind = ErrAccessDenied
	case "SlowDown", "TooManyRequests", "Throttling", "RequestLimitExceeded":
		// Throttled past the client's retries: the store is not serving,
		// as with a 503. Unclassified, a read's refusal became "corrupt
		// file" in the Parquet reader.
		kind = ErrUnreachable
	default:
		if resp.StatusCode == 0 || resp.StatusCode >= 500 || resp.StatusCode == 429 { // Too Many Requests
			kind = ErrUnreachable
		}
	}
	if kind == nil {
		return fmt.Errorf("cold: %s %s: %w", op, p, err)
	}
	return fmt.Errorf("cold: %s %s: %w: %w", op, p, kind, err)
}

// Create implements Storage.
func (s *S3) Create(ctx context.Context, p string) (PendingFile, error) {
	if _, _, err := filePath(p); err != nil {
		return nil, fmt.Errorf("cold: create: %w", err)
	}
	if err := checkCtx(ctx, "create", p); err != nil {
		return nil, err
	}
	return &s3Pending{s: s, ctx: ctx, p: p, key: s.key(p)}, nil
}

// s3Pending is a file being uploaded: the bytes not yet sent, and the
// multipart upload once the file outgrew one part.
type s3Pending struct {
	s        *S3
	ctx      context.Context
	p, key   string
	buf      []byte
	uploadID string
	parts    []minio.CompletePart
	done     bool
}

func (w *s3Pending) Write(b []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("cold: write %s: file already committed or aborted", w.p)
	}
	if err := checkCtx(w.ctx, "write", w.p); err != nil {
		return 0, err
	}
	w.buf = append(w.buf, b...)
	for int64(len(w.buf)) >= w.s.o.PartSize {
		if err := w.sendPart(w.buf[:w.s.o.PartSize]); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[w.s.o.PartSize:]...)
	}
	return len(b), nil
}

// sendPart uploads the next part, starting the multipart upload first if
// this is the first.
func (w *s3Pending) sendPart(data []byte) error {
	ctx, cancel := w.s.opCtx(w.ctx)
	defer cancel()
	if w.uploadID == "" {
		id, err := w.s.core.NewMultipartUpload(ctx, w.s.o.Bucket, w.key, minio.PutObjectOptions{})
		if err != nil {
			return w.s.wrap("write", w.p, err)
		}
		w.uploadID = id
	}
	n := len(w.parts) + 1
	// The part is in memory: sign its hash (and send its MD5) rather
	// than stream-sign it, so the store checks the bytes it got.
	md5Base64, sha256Hex := sums(data)
	var part minio.ObjectPart
	err := w.s.upload(ctx, data, func(ctx context.Context, body io.Reader) (err error) {
		part, err = w.s.core.PutObjectPart(ctx, w.s.o.Bucket, w.key, w.uploadID, n, body, int64(len(data)),
			minio.PutObjectPartOptions{Sha256Hex: sha256Hex, Md5Base64: md5Base64, DisableContentSha256: true})
		return err
	})
	if err != nil {
		return w.s.wrap("write", w.p, err)
	}
	w.parts = append(w.parts, minio.CompletePart{PartNumber: n, ETag: part.ETag})
	return nil
}

func (w *s3Pending) Commit() error {
	if w.done {
		return fmt.Errorf("cold: commit %s: file already committed or aborted", w.p)
	}
	if err := w.commit(); err != nil {
		_ = w.Abort()
		return fmt.Errorf("cold: commit %s: %w", w.p, err)
	}
	w.done = true
	w.buf = nil
	return nil
}

func (w *s3Pending) commit() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.uploadID == "" {
		ctx, cancel := w.s.opCtx(w.ctx)
		defer cancel()
		md5Base64, sha256Hex := sums(w.buf)
		err := w.s.upload(ctx, w.buf, func(ctx context.Context, body io.Reader) error {
			_, err := w.s.core.PutObject(ctx, w.s.o.Bucket, w.key, body, int64(len(w.buf)), md5Base64, sha256Hex,
				minio.PutObjectOptions{DisableContentSha256: true})
			return err
		})
		if err != nil {
			return w.s.wrap("put", w.p, err)
		}
		return nil
	}
	if len(w.buf) > 0 {
		if err := w.sendPart(w.buf); err != nil {
			return err
		}
	}
	ctx, cancel := w.s.opCtx(w.ctx)
	defer cancel()
	if _, err := w.s.core.CompleteMultipartUpload(ctx, w.s.o.Bucket, w.key, w.uploadID, w.parts, minio.PutObjectOptions{}); err != nil {
		return w.s.wrap("complete upload", w.p, err)
	}
	w.uploadID = ""
	return nil
}

// sums are the MD5 (base64) and SHA-256 (hex) of data, which an upload
// sends for the store to check the bytes it got.
func sums(data []byte) (md5Base64, sha256Hex string) {
	md := md5.Sum(data)
	sum := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(md[:]), hex.EncodeToString(sum[:])
}

// upload sends data, held in memory, with send (one request whose body
// is the reader it is given), trying up to MaxRetries times while the
// store answers in a way worth trying again (no answer, 5xx, throttling),
// with a backoff between tries, until ctx ends.
//
// minio-go would retry such a request itself, seeking the same body back
// to its start. But a store may answer before it read the body (a 503 of
// a store shedding load), and the transport then goes on sending the
// body after the answer came: the client's seek, and the caller reusing
// the buffer once the write returns, race with those reads. So each try
// gets a body of its own that is no io.Seeker (minio-go retries only a
// seekable body), fenced once the try is over: a read of the transport
// after that fails and touches no byte of data.
func (s *S3) upload(ctx context.Context, data []byte, send func(context.Context, io.Reader) error) error {
	for try := 1; ; try++ {
		body := &fencedBody{data: data}
		err := send(ctx, body)
		body.fence()
		if err == nil || try >= s.o.MaxRetries || !retryableUpload(ctx, err) {
			return err
		}
		wait := time.NewTimer(uploadBackoff(try))
		select {
		case <-ctx.Done():
			wait.Stop()
			return fmt.Errorf("%w (not tried again: %w)", err, ctx.Err())
		case <-wait.C:
		}
	}
}

// Backoff between the tries of an upload: as minio-go's own retries.
const (
	uploadRetryUnit = 200 * time.Millisecond
	uploadRetryCap  = time.Second
)

// uploadBackoff is the wait before try+1: doubling from uploadRetryUnit
// up to uploadRetryCap, its upper half random, so that writers refused
// together do not come back together.
func uploadBackoff(try int) time.Duration {
	d := min(uploadRetryUnit<<min(try-1, 8), uploadRetryCap)
	return d/2 + rand.N(d/2+1)
}

// HTTP statuses an upload is tried again after (408 and 429, besides any
// 5xx), written as numbers: kalamdb-core does not import net/http (the
// layer check), and minio-go reports them as plain integers.
const (
	statusRequestTimeout  = 408
	statusTooManyRequests = 429
)

// retryableUpload reports whether an upload that failed with err is worth
// trying again: the store did not answer (a connection refused or reset,
// the transport's own timeout), or it answered that it is busy or broken
// for now. Not once ctx ended.
func retryableUpload(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "RequestError", "RequestTimeout", "Throttling", "ThrottlingException", "RequestLimitExceeded", "RequestThrottled",
		"InternalError", "SlowDown", "SlowDownWrite", "ServiceUnavailable":
		return true
	}
	switch {
	case resp.StatusCode == statusRequestTimeout || resp.StatusCode == statusTooManyRequests || resp.StatusCode >= 500:
		return true
	case resp.StatusCode != 0 || resp.Code != "":
		return false // an answer: refused for good (access, bad digest, no such upload)
	}
	return true // no answer
}

// fencedBody is the body of one try of an upload: data, read once, until
// fence.
type fencedBody struct {
	mu     sync.Mutex
	data   []byte
	fenced bool
}

// errTryOver is what a read of a try's body gets once the try is over.
var errTryOver = errors.New("cold: upload try is over")

func (b *fencedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fenced {
		return 0, errTryOver
	}
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// fence ends the reads of b: once it returns, no read is under way and
// none will touch the bytes again.
func (b *fencedBody) fence() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fenced = true
	b.data = nil
}

func (w *s3Pending) Abort() error {
	w.done = true
	w.buf = nil
	if w.uploadID == "" {
		return nil
	}
	// The writer's context may be what ended the write; the abort is
	// cleanup and must still reach the store.
	ctx, cancel := w.s.opCtx(context.WithoutCancel(w.ctx))
	defer cancel()
	id := w.uploadID
	w.uploadID = ""
	if err := w.s.core.AbortMultipartUpload(ctx, w.s.o.Bucket, w.key, id); err != nil {
		// CleanupTemp aborts it later.
		return fmt.Errorf("cold: abort %s: %w", w.p, w.s.wrap("abort upload", w.p, err))
	}
	return nil
}

// Open implements Storage.
func (s *S3) Open(ctx context.Context, p string) (ReadHandle, error) {
	if _, _, err := filePath(p); err != nil {
		return nil, fmt.Errorf("cold: open: %w", err)
	}
	if err := checkCtx(ctx, "open", p); err != nil {
		return nil, err
	}
	sctx, cancel := s.opCtx(ctx)
	defer cancel()
	info, err := s.client.StatObject(sctx, s.o.Bucket, s.key(p), minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			if dir, _ := s.isDir(ctx, p); dir {
				return nil, fmt.Errorf("cold: open %s: is a directory", p)
			}
		}
		return nil, s.wrap("open", p, err)
	}
	h := &s3Handle{s: s, p: p, key: s.key(p), size: info.Size, modTime: info.LastModified}
	h.cacheKey = s.o.CacheID + "\x00" + h.key + "\x00" + info.ETag + "\x00" + fmt.Sprint(info.Size)
	return h, nil
}

func isNotFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound"
}

// s3Handle reads an object by ranged GETs.
type s3Handle struct {
	s        *S3
	p, key   string
	size     int64
	modTime  time.Time
	cacheKey string // the object's identity in the RangeCache: key, ETag, size
}

func (h *s3Handle) Size() int64        { return h.size }
func (h *s3Handle) ModTime() time.Time { return h.modTime }
func (h *s3Handle) Close() error       { return nil }
func (h *s3Handle) ReadAt(p []byte, off int64) (int, error) {
	return h.ReadAtContext(context.Background(), p, off)
}

// ReadAtContext implements ContextReaderAt: the GETs of the read end
// with ctx, and then the read returns ctx's error.
func (h *s3Handle) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("cold: read %s: negative offset", h.p)
	}
	if off >= h.size {
		return 0, io.EOF
	}
	want := p
	if rest := h.size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	var err error
	if c := h.s.o.Cache; c != nil {
		err = c.readAt(ctx, h.cacheKey, h.size, want, off, h)
	} else {
		err = h.fetch(ctx, want, off)
	}
	if err != nil {
		return 0, err
	}
	if len(want) < len(p) {
		return len(want), io.EOF
	}
	return len(p), nil
}

// fetch fills buf with the object's bytes at off, with one ranged GET.
func (h *s3Handle) fetch(ctx context.Context, buf []byte, off int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cold: read %s: %w", h.p, err)
	}
	rctx, cancel := h.s.opCtx(ctx)
	defer cancel()
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+int64(len(buf))-1); err != nil {
		return fmt.Errorf("cold: read %s: %w", h.p, err)
	}
	body, _, _, err := h.s.core.GetObject(rctx, h.s.o.Bucket, h.key, opts)
	if err == nil {
		defer body.Close()
		_, err = io.ReadFull(body, buf)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// The reader's context ended the request: that, not the
			// store, is why the read failed (a deadline of the reader's
			// is not the store being unreachable).
			return fmt.Errorf("cold: read %s: %w", h.p, cerr)
		}
		return h.s.wrap("read", h.p, err)
	}
	return nil
}

// isDir reports whether some object is under p/.
func (s *S3) isDir(ctx context.Context, p string) (bool, error) {
	ctx, cancel := s.opCtx(ctx)
	objs := s.client.ListObjects(ctx, s.o.Bucket, minio.ListObjectsOptions{Prefix: s.key(p) + "/", Recursive: true, MaxKeys: 1})
	defer stopListing(cancel, objs)
	obj, ok := <-objs
	if !ok {
		return false, nil
	}
	if obj.Err != nil {
		return false, s.wrap("stat", p, obj.Err)
	}
	return true, nil
}

// stopListing ends a listing its reader leaves before the end. The
// client's goroutine, once its context ends, sends the error into a
// channel that may hold an entry no one reads: drained, it ends (within
// the page it had), else it waits there for ever, a goroutine leaked per
// early stop.
func stopListing(cancel context.CancelFunc, objs <-chan minio.ObjectInfo) {
	cancel()
	for range objs {
	}
}

// Rename implements Storage as copy then delete: not atomic, a crash in
// between leaves both objects. Nothing in the server renames cold files.
func (s *S3) Rename(ctx context.Context, from, to string) error {
	if _, _, err := filePath(from); err != nil {
		return fmt.Errorf("cold: rename: %w", err)
	}
	if _, _, err := filePath(to); err != nil {
		return fmt.Errorf("cold: rename: %w", err)
	}
	if err := checkCtx(ctx, "rename", from); err != nil {
		return err
	}
	cctx, cancel := s.opCtx(ctx)
	defer cancel()
	if _, err := s.client.CopyObject(cctx, minio.CopyDestOptions{Bucket: s.o.Bucket, Object: s.key(to)},
		minio.CopySrcOptions{Bucket: s.o.Bucket, Object: s.key(from)}); err != nil {
		return s.wrap("rename", from+" to "+to, err)
	}
	if err := s.client.RemoveObject(cctx, s.o.Bucket, s.key(from), minio.RemoveObjectOptions{}); err != nil {
		return s.wrap("rename", from+" to "+to, err)
	}
	return nil
}

// Remove implements Storage. S3 deletes missing keys silently, so the
// object is looked up first to report a missing file.
func (s *S3) Remove(ctx context.Context, p string) error {
	if _, _, err := filePath(p); err != nil {
		return fmt.Errorf("cold: remove: %w", err)
	}
	if err := checkCtx(ctx, "remove", p); err != nil {
		return err
	}
	e, err := s.Stat(ctx, p)
	if err != nil {
		return fmt.Errorf("cold: remove: %w", err)
	}
	if e.IsDir {
		return fmt.Errorf("cold: remove %s: is a directory", p)
	}
	cctx, cancel := s.opCtx(ctx)
	defer cancel()
	if err := s.client.RemoveObject(cctx, s.o.Bucket, s.key(p), minio.RemoveObjectOptions{}); err != nil {
		return s.wrap("remove", p, err)
	}
	return nil
}

// RemoveDir implements Storage: an object store has no directories, so
// there is nothing to remove; a prefix with objects under it is reported
// not empty, and a file is not a directory.
func (s *S3) RemoveDir(ctx context.Context, p string) error {
	if _, err := CleanPath(p, false); err != nil {
		return fmt.Errorf("cold: remove directory: %w", err)
	}
	if err := checkCtx(ctx, "remove directory", p); err != nil {
		return err
	}
	dir, err := s.isDir(ctx, p)
	if err != nil {
		return err
	}
	if dir {
		return fmt.Errorf("cold: remove directory %s: %w", p, ErrDirNotEmpty)
	}
	sctx, cancel := s.opCtx(ctx)
	defer cancel()
	if _, err := s.client.StatObject(sctx, s.o.Bucket, s.key(p), minio.StatObjectOptions{}); err == nil {
		return fmt.Errorf("cold: remove directory %s: not a directory", p)
	} else if !isNotFound(err) {
		return s.wrap("remove directory", p, err)
	}
	return nil
}

// List implements Storage: one level of keys under dir, with the
// delimiter, read page by page (ListEach). A directory with nothing under
// it does not exist, except the root.
func (s *S3) List(ctx context.Context, dir string) ([]Entry, error) {
	var out []Entry
	if err := s.ListEach(ctx, dir, "", func(e Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(out) == 0 && path.Clean(dir) != "." {
		return nil, fmt.Errorf("cold: list %s: %w", dir, fs.ErrNotExist)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// errNoPage is why a listing ends when the store sends no page in time.
var errNoPage = errors.New("no listing page within the request timeout")

// ListEach implements Lister. The listing is paged: ListPageSize keys a
// request, the next page asked for with the continuation token of the
// last. Each page has its own request timeout, counted only while the
// listing waits for the store (not while fn works), so a directory of
// any size is listed to its end, and ctx ends it between pages or during
// one. Entries come in ListKey order, each once: a file waits until no
// directory of its page can sort before it (at most a page later). A
// missing directory has no entries.
func (s *S3) ListEach(ctx context.Context, dir, after string, fn func(Entry) error) error {
	dir, err := CleanPath(dir, true)
	if err != nil {
		return fmt.Errorf("cold: list: %w", err)
	}
	if err := checkCtx(ctx, "list", dir); err != nil {
		return err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(s.o.RequestTimeout, func() { cancel(errNoPage) })
	defer timer.Stop()
	prefix := s.dirPrefix(dir)
	opts := minio.ListObjectsOptions{Prefix: prefix, MaxKeys: s.o.ListPageSize}
	if after != "" {
		opts.StartAfter = prefix + after
	}
	objs := s.client.ListObjects(lctx, s.o.Bucket, opts)
	defer stopListing(func() { cancel(nil) }, objs)
	last := after
	emit := func(e Entry) error {
		k := ListKey(e)
		if last != "" && k <= last {
			return nil // a directory split across two pages, which some stores hand out twice
		}
		last = k
		if err := checkCtx(ctx, "list", dir); err != nil {
			return err // not one more entry once the caller gave up
		}
		return fn(e)
	}
	// The client hands out each page's objects, then its common prefixes
	// (both in key order), so a page's directory can come after a file
	// that sorts after it. Files wait in pending until no directory
	// before them can come: one that sorts after them, a file of a later
	// page (one after a directory, or beyond a page's worth of files), or
	// the end. Callers resume after the ListKey of the last entry they
	// handled, so the order must be the keys'.
	var pending []Entry
	afterDir := false
	for {
		timer.Reset(s.o.RequestTimeout)
		obj, ok := <-objs
		if !timer.Stop() && context.Cause(lctx) == errNoPage {
			return s.wrap("list", dir, fmt.Errorf("%w: %w", errNoPage, context.DeadlineExceeded))
		}
		if !ok {
			for _, e := range pending {
				if err := emit(e); err != nil {
					return err
				}
			}
			return nil
		}
		if obj.Err != nil {
			return s.wrap("list", dir, obj.Err)
		}
		rel := strings.TrimPrefix(obj.Key, prefix)
		name, isDir := strings.CutSuffix(rel, "/")
		// Files of pending that no directory can precede any more.
		ready := 0
		switch {
		case isDir:
			for ready < len(pending) && ListKey(pending[ready]) < rel {
				ready++
			}
		case afterDir:
			ready = len(pending) // a file after a directory: a new page
		case len(pending) >= s.o.ListPageSize:
			ready = len(pending) - s.o.ListPageSize + 1 // pages before this one
		}
		for _, e := range pending[:ready] {
			if err := emit(e); err != nil {
				return err
			}
		}
		pending = pending[ready:]
		afterDir = isDir
		// A common prefix at or before after comes back when after is
		// within it (S3 starts after a key, then groups by the delimiter).
		if name == "" || strings.Contains(name, "/") || !isDir && IsTempName(name) || after != "" && rel <= after {
			continue
		}
		e := Entry{Name: name, Size: obj.Size, ModTime: obj.LastModified, IsDir: isDir}
		if !isDir {
			pending = append(pending, e)
			continue
		}
		if err := emit(e); err != nil {
			return err
		}
	}
}

// Stat implements Storage.
func (s *S3) Stat(ctx context.Context, p string) (Entry, error) {
	cp, err := CleanPath(p, true)
	if err != nil {
		return Entry{}, fmt.Errorf("cold: stat: %w", err)
	}
	if err := checkCtx(ctx, "stat", p); err != nil {
		return Entry{}, err
	}
	if cp == "." {
		return Entry{Name: p, IsDir: true}, nil
	}
	sctx, cancel := s.opCtx(ctx)
	defer cancel()
	info, err := s.client.StatObject(sctx, s.o.Bucket, s.key(cp), minio.StatObjectOptions{})
	if err == nil {
		return Entry{Name: p, Size: info.Size, ModTime: info.LastModified}, nil
	}
	if !isNotFound(err) {
		return Entry{}, s.wrap("stat", p, err)
	}
	dir, derr := s.isDir(ctx, cp)
	if derr != nil {
		return Entry{}, derr
	}
	if !dir {
		return Entry{}, s.wrap("stat", p, err)
	}
	return Entry{Name: p, IsDir: true}, nil
}

// CleanupTemp implements Storage: what a write leaves behind on an object
// store is an incomplete multipart upload, which costs storage until
// aborted. It aborts those of objects directly in dir whose name match
// accepts, started before before.
func (s *S3) CleanupTemp(ctx context.Context, dir string, before time.Time, match func(final string) bool) (int, error) {
	dir, err := CleanPath(dir, true)
	if err != nil {
		return 0, fmt.Errorf("cold: cleanup: %w", err)
	}
	if err := checkCtx(ctx, "cleanup", dir); err != nil {
		return 0, err
	}
	prefix := s.dirPrefix(dir)
	type upload struct{ key, id string }
	var stale []upload
	keyMarker, idMarker := "", ""
	for {
		// A timeout per page, as for ListEach.
		pctx, cancel := s.opCtx(ctx)
		res, err := s.core.ListMultipartUploads(pctx, s.o.Bucket, prefix, keyMarker, idMarker, "/", s.o.ListPageSize)
		cancel()
		if err != nil {
			if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				break // some stores answer so when there is none
			}
			return 0, s.wrap("cleanup", dir, err)
		}
		for _, up := range res.Uploads {
			name := strings.TrimPrefix(up.Key, prefix)
			if name == "" || strings.Contains(name, "/") || match != nil && !match(name) {
				continue
			}
			if !before.IsZero() && !up.Initiated.Before(before) {
				continue // possibly still being written
			}
			stale = append(stale, upload{up.Key, up.UploadID})
		}
		if !res.IsTruncated {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	removed := 0
	for _, up := range stale {
		actx, cancel := s.opCtx(ctx)
		err := s.core.AbortMultipartUpload(actx, s.o.Bucket, up.key, up.id)
		cancel()
		if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
			return removed, s.wrap("cleanup", path.Join(dir, path.Base(up.key)), err)
		}
		removed++
	}
	return removed, nil
}
