package cold

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAttackcold18StoreRefusalIsReadFailure: an object store that answers
// a ranged GET with a refusal the S3 wrapper had no sentinel for (429
// SlowDown or TooManyRequests: throttling, past the client's retries; 403
// RequestTimeTooSkewed after the server's clock stepped) failed the scan
// as a corrupt file (ErrCorrupt, from the Parquet reader): the user read
// "a listed file is missing or corrupt" and the log "corrupt file" for a
// file that is fine. Throttling is the store not serving (ErrUnreachable),
// a skewed clock a refused signature (ErrAccessDenied); neither is
// corruption. A 416 (the object shorter than its listing) stays a read
// failure.
func TestAttackcold18StoreRefusalIsReadFailure(t *testing.T) {
	ctx := context.Background()
	f := sharedFakeS3()
	target, err := url.Parse(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refuse atomic.Pointer[[2]string] // status, code
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc := refuse.Load(); rc != nil && r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			var status int
			fmt.Sscan(rc[0], &status)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>refused</Message></Error>`, rc[1])
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	o := f.options(f.newBucket(t), "base/dir")
	o.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	o.MaxRetries = 1
	st, err := NewS3(o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := WriteFile(ctx, st, "app/t/u/batch-1.parquet", chatSchema(), chatSource(t, 200), WriteOptions{RowGroupRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rc   [2]string
		want error
	}{
		{[2]string{"429", "SlowDown"}, ErrUnreachable},
		{[2]string{"503", "SlowDown"}, ErrUnreachable},
		{[2]string{"429", "TooManyRequests"}, ErrUnreachable},
		{[2]string{"403", "RequestTimeTooSkewed"}, ErrAccessDenied},
		{[2]string{"416", "InvalidRange"}, nil},
	} {
		rc := c.rc
		refuse.Store(nil)
		file, err := OpenFileWith(ctx, st, "app/t/u/batch-1.parquet", OpenOptions{Checksum: info.Meta})
		if err != nil {
			t.Fatal(err)
		}
		refuse.Store(&rc)
		err = file.Scan(ctx, chatSchema(), nil, func(Row) error { return nil })
		_ = file.Close()
		if err == nil {
			t.Errorf("%s %s: the scan succeeded", rc[0], rc[1])
			continue
		}
		if !IsReadFailure(err) {
			t.Errorf("%s %s: %v: not a read failure", rc[0], rc[1], err)
		}
		if c.want != nil && (!errors.Is(err, c.want) || errors.Is(err, ErrCorrupt)) {
			t.Errorf("%s %s: %v: want %v, not a corrupt file", rc[0], rc[1], err, c.want)
		}
	}
	refuse.Store(nil)
}
