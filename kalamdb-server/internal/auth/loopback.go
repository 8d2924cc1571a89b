package auth

import (
	"net"
	"net/netip"
)

// IsLoopback reports whether remoteAddr (an http.Request.RemoteAddr,
// "host:port", or a bare address) is a loopback address: 127.0.0.0/8, ::1,
// or an IPv4-mapped IPv6 form of 127.0.0.0/8. Anything unparsable is not
// loopback, so a malformed address can never unlock the root rule.
func IsLoopback(remoteAddr string) bool {
	addr, ok := remoteIP(remoteAddr)
	return ok && addr.IsLoopback()
}

// remoteIP parses the address of a "host:port" or bare remoteAddr, without
// zone and with IPv4-mapped IPv6 addresses as IPv4.
func remoteIP(remoteAddr string) (netip.Addr, bool) {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.WithZone("").Unmap(), true
}
