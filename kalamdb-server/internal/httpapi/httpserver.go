package httpapi

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// maxHeaderBytes bounds request headers. Generous for JWTs, far below
// net/http's 1 MiB default, since headers are read before authentication.
const maxHeaderBytes = 64 << 10

// NewHTTPServer returns the *http.Server the app listens with: the
// configured address and timeouts, and net/http's own error log routed to
// zap. There is deliberately no ReadTimeout/WriteTimeout: a large result or
// a WebSocket connection may legitimately take long; slow-header clients are
// bounded by ReadHeaderTimeout and bodies by MaxBodyBytes.
func NewHTTPServer(c *config.Config, h http.Handler, log *zap.Logger) *http.Server {
	if log == nil {
		log = zap.NewNop()
	}
	errLog, err := zap.NewStdLogAt(log.Named("net/http"), zap.WarnLevel)
	if err != nil {
		// Only fails for an invalid level; WarnLevel is valid.
		errLog = zap.NewStdLog(log)
	}
	return &http.Server{
		Addr:              c.Server.Addr(),
		Handler:           h,
		ReadHeaderTimeout: c.Server.ReadHeaderTimeout,
		IdleTimeout:       c.Server.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errLog,
	}
}
