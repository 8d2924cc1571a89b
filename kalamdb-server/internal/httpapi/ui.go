package httpapi

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// The admin console is a single-page application served from an fs.FS
// (the built assets embedded in the binary). Its files are read once at
// mount time and served from memory.

// UIPath is where the console is served.
const UIPath = "/ui/"

// uiCSP is the console's Content-Security-Policy: scripts, workers and
// connections from the server's own origin only (no inline script, no
// eval), styles from it too plus the <style> elements the editor adds,
// which carry the page's nonce; no plugins, no framing, no foreign form
// targets.
func uiCSP(nonce string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// noncePlaceholder stands in index.html for the page's style nonce (the
// editor reads it from a meta tag to label the <style> elements it adds).
const noncePlaceholder = "__CSP_NONCE__"

type uiFile struct {
	data []byte
	etag string
}

// MountUI serves the console in fsys at /ui/ (GET /ui redirects there).
// fsys holds index.html and the build's files; those under assets/ have
// content hashes in their names and are cached for good, everything else
// is revalidated. A path under /ui/ that names no file and has no
// extension is a route of the application and gets index.html.
func (s *Server) MountUI(fsys fs.FS) error {
	files := make(map[string]uiFile)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[p] = uiFile{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return fmt.Errorf("httpapi: read the console's files: %w", err)
	}
	if _, ok := files["index.html"]; !ok {
		return fmt.Errorf("httpapi: the console's files have no index.html")
	}
	s.Handle("GET /ui", http.RedirectHandler(UIPath, http.StatusMovedPermanently))
	s.Handle("GET "+UIPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveUI(w, r, files)
	}))
	return nil
}

func (s *Server) serveUI(w http.ResponseWriter, r *http.Request, files map[string]uiFile) {
	name := strings.TrimPrefix(r.URL.Path, UIPath)
	f, ok := files[name]
	switch {
	case ok:
	case name == "" || path.Ext(name) == "":
		name, f = "index.html", files["index.html"]
	default:
		s.handleNotFound(w, r)
		return
	}
	h := w.Header()
	nonce := newNonce()
	h.Set("Content-Security-Policy", uiCSP(nonce))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	infoOf(w).code = codeOK
	data := f.data
	switch {
	case name == "index.html":
		// A fresh nonce per page: never cached.
		h.Set("Cache-Control", "no-store")
		data = bytes.ReplaceAll(data, []byte(noncePlaceholder), []byte(nonce))
	case strings.HasPrefix(name, "assets/"):
		// Content-hashed names: a changed file is a new name.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", f.etag)
	default:
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// newNonce returns 128 random bits, base64.
func newNonce() string {
	var b [16]byte
	// crypto/rand does not fail on supported platforms.
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
