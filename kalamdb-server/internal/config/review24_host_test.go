package config

import (
	"net"
	"testing"
)

// An IPv6 link-local address with its zone is a listen address net.Listen
// takes ("[fe80::1%eth0]:8080"), which a previous release started with:
// server.host refused it (net.ParseIP reads no zone). It still refuses a
// zone after an IPv4 address or a host name, and an empty zone.
func TestReview24HostWithIPv6Zone(t *testing.T) {
	for _, h := range []string{"fe80::1%eth0", "fe80::1%2", "::1%lo"} {
		c := Default()
		c.Server.Host = h
		if err := c.Validate(); err != nil {
			t.Errorf("%q refused: %v", h, err)
		}
		if _, err := net.ResolveTCPAddr("tcp", c.Server.Addr()); err != nil && h != "fe80::1%eth0" {
			t.Errorf("%q: address %s: %v", h, c.Server.Addr(), err)
		}
	}
	for _, h := range []string{"127.0.0.1%eth0", "localhost%eth0", "fe80::1%", "fe80::1%eth 0", "%eth0"} {
		c := Default()
		c.Server.Host = h
		if err := c.Validate(); err == nil {
			t.Errorf("%q: accepted, want refused", h)
		}
	}
}
