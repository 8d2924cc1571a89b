//go:build !unix

package httpapi

import (
	"net"
	"sync/atomic"
	"time"
)

// laneTry is unix's: elsewhere the lane arms the write deadline as soon
// as it is set, and connections never poll (newLaneTry is nil).
type laneTry struct{}

func newLaneTry(net.Conn) *laneTry { return nil }

func (*laneTry) write([]byte) (int, error) { return 0, nil }

func (*laneTry) readPolling([]byte, time.Time, *atomic.Int32, func() bool) (int, bool, error) {
	return 0, false, nil
}
