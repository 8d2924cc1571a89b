package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
)

// trickleBody is a request body that sends data, then ends with end (nil:
// it blocks until release is closed, then ends with io.ErrUnexpectedEOF,
// as a client that declared more and went away). It records the largest
// buffer the server offered it and the most the account held while it
// read, so the test bounds what the server allocated and reserved for it
// against what arrived.
type trickleBody struct {
	data    []byte
	end     error
	release chan struct{}
	blocked chan struct{}
	acct    *memory.Account

	mu       sync.Mutex
	sent     int
	maxSpare int
	maxUsed  int64
}

func (b *trickleBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	b.maxSpare = max(b.maxSpare, len(p))
	b.maxUsed = max(b.maxUsed, b.acct.Used())
	if b.sent < len(b.data) {
		n := copy(p, b.data[b.sent:])
		b.sent += n
		b.mu.Unlock()
		return n, nil
	}
	b.mu.Unlock()
	if b.end != nil {
		return 0, b.end
	}
	close(b.blocked)
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

func withContentLength(n int64) reqOpt { return func(r *http.Request) { r.ContentLength = n } }

// With a large server.max_body_bytes, a client declaring a huge body and
// sending a little of it made readBody allocate the declared length
// before the server's account saw any of it. The body's buffer is now
// reserved as it grows, before it grows: the server reserves and
// allocates for what arrives (at most twice it), refuses with the
// account's 429 a body the account cannot take, and other requests go on.
// Failed before: the server offered the body a buffer of the declared
// 256 MiB on its first read.
func TestBodyIsReservedAsItArrivesNotByItsDeclaredLength(t *testing.T) {
	const declared = 256 << 20
	e := newEnv(t, func(o *Options) { o.MaxBodyBytes = 1 << 40 })
	acct := memory.NewAccount(8 << 20)
	e.srv.memory = acct
	// A little more than the pooled buffer, so that the buffer grows.
	sent := bytes.Repeat([]byte{' '}, 200<<10)
	// Bytes the server may hold beyond twice what arrived: the pooled
	// buffer it starts with, and the first growth.
	const slack = maxPooledBuf + 512

	t.Run("closes early", func(t *testing.T) {
		b := &trickleBody{data: sent, end: io.ErrUnexpectedEOF, acct: acct}
		w := e.do(t, http.MethodPost, "/v1/api/sql", b, withAuth(basic("alice", "pw-alice")), withContentLength(declared))
		if w.Code != http.StatusBadRequest || decode(t, w).Error.Code != "INVALID_INPUT" {
			t.Fatalf("HTTP %d %.200s, want 400 INVALID_INPUT", w.Code, w.Body.String())
		}
		if b.maxSpare > 2*len(sent)+slack {
			t.Errorf("the server offered a buffer of %d bytes for %d that arrived", b.maxSpare, len(sent))
		}
		if b.maxUsed > 2*int64(len(sent))+slack {
			t.Errorf("the account held %d for %d bytes that arrived", b.maxUsed, len(sent))
		}
		if acct.Used() != 0 {
			t.Errorf("after the answer the account holds %d", acct.Used())
		}
	})

	t.Run("stalls while others are served", func(t *testing.T) {
		b := &trickleBody{data: sent, acct: acct, release: make(chan struct{}), blocked: make(chan struct{})}
		done := make(chan int)
		go func() {
			w := e.do(t, http.MethodPost, "/v1/api/sql", b, withAuth(basic("alice", "pw-alice")), withContentLength(declared))
			done <- w.Code
		}()
		<-b.blocked
		held := acct.Used()
		if held < int64(len(sent)) || held > 2*int64(len(sent))+slack {
			t.Errorf("a stalled body of %d bytes holds %d of the account", len(sent), held)
		}
		if w := e.sql(t, `{"sql":"SELECT 1"}`); w.Code != http.StatusOK {
			t.Errorf("another request while one stalls: HTTP %d %.200s", w.Code, w.Body.String())
		}
		close(b.release)
		if code := <-done; code != http.StatusBadRequest {
			t.Errorf("the stalled request: HTTP %d, want 400", code)
		}
		if acct.Used() != 0 {
			t.Errorf("after both answered the account holds %d", acct.Used())
		}
	})

	t.Run("refused", func(t *testing.T) {
		var others memory.Charge
		others.Reset(acct)
		defer others.Release()
		if !others.Reserve(acct.Limit() - 300<<10) {
			t.Fatal("refused")
		}
		b := &trickleBody{data: bytes.Repeat([]byte{' '}, 1<<20), end: io.EOF, acct: acct}
		w := e.do(t, http.MethodPost, "/v1/api/sql", b, withAuth(basic("alice", "pw-alice")), withContentLength(1<<20))
		if w.Code != http.StatusTooManyRequests || decode(t, w).Error.Code != "RATE_LIMIT_EXCEEDED" || w.Header().Get("Retry-After") != "1" {
			t.Fatalf("HTTP %d %.200s, want 429 RATE_LIMIT_EXCEEDED", w.Code, w.Body.String())
		}
		if b.maxSpare > 300<<10 {
			t.Errorf("the refused body was offered a buffer of %d bytes, more than the account had", b.maxSpare)
		}
		if got := acct.Used(); got != others.Held() {
			t.Errorf("after the refusal the account holds %d, want the others' %d", got, others.Held())
		}
		others.Release()
		if w := e.sql(t, `{"sql":"SELECT 1"}`); w.Code != http.StatusOK {
			t.Errorf("a request after the refusal: HTTP %d %.200s", w.Code, w.Body.String())
		}
	})
}
