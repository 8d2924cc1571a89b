package httpapi

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// TestSQLRouteAgreesWithTheMux: every request serveRecovering sends
// straight to the SQL handler is one the mux routes there too; the rest
// go through the mux.
func TestSQLRouteAgreesWithTheMux(t *testing.T) {
	e := newEnv(t)
	targets := []struct {
		method, target string
		direct         bool // taken without the mux
	}{
		{"POST", "/v1/api/sql", true},
		{"POST", "/v1/api/sql?x=1", true},
		{"POST", "http://example.com/v1/api/sql", true},
		{"POST", "/v1/api/sql/", false},
		{"POST", "/v1//api/sql", false},
		{"POST", "/v1/api/./sql", false},
		{"POST", "/v1/api/%73ql", false},
		{"POST", "/v1/api/SQL", false},
		{"POST", "/V1/api/sql", false},
		{"GET", "/v1/api/sql", false},
		{"PUT", "/v1/api/sql", false},
		{"post", "/v1/api/sql", false},
		{"POST", "/health", false},
		{"POST", "*", false},
	}
	for _, c := range targets {
		raw := c.method + " " + c.target + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.target, err)
		}
		if got := isSQLRoute(r); got != c.direct {
			t.Errorf("%s %s: direct %v, want %v", c.method, c.target, got, c.direct)
		}
		if !isSQLRoute(r) {
			continue
		}
		if _, pattern := e.srv.mux.Handler(r); pattern != sqlPattern {
			t.Errorf("%s %s: taken as %s directly, but the mux routes it to %q", c.method, c.target, sqlPattern, pattern)
		}
	}
}
