package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// maxHeaderBytes bounds request headers. Generous for JWTs, far below
// net/http's 1 MiB default, since headers are read before authentication.
const maxHeaderBytes = 64 << 10

// errShuttingDown is the cause of the cancellation of requests still
// running when a shutdown's drain time is over.
func errShuttingDown() error {
	return apierror.New(apierror.SQLExecutionError, "the server is shutting down; the statement was cancelled and nothing it did was kept")
}

// HTTPServer is the listening side of the API: net/http's server with the
// configured timeouts, the connection limits (connLimiter) and the base
// context of every request, which Shutdown cancels when requests outlive
// the drain time, so that a SIGTERM ends the process in time whatever is
// running.
//
// There is deliberately no ReadTimeout or WriteTimeout: a long statement,
// a large result or a WebSocket may legitimately take long. Slow clients
// are bounded per phase instead: ReadHeaderTimeout for headers, a read
// deadline for the body (readBodyTimeout, set by the middleware and
// cleared once the body is read, so it never cuts off a running
// statement), IdleTimeout between requests, and a connection that is
// answered without its body being read is closed rather than drained.
type HTTPServer struct {
	srv        *http.Server
	lane       *laneServer // nil: net/http serves every request
	conns      *connLimiter
	cancelBase context.CancelCauseFunc
	log        *zap.Logger
}

// NewHTTPServer returns the server the app listens with: api behind the
// configured address, timeouts and connection limits, with net/http's own
// error log routed to zap and the connection metrics in api's registry.
func NewHTTPServer(c *config.Config, api *Server, log *zap.Logger) (*HTTPServer, error) {
	if log == nil {
		log = zap.NewNop()
	}
	errLog, err := zap.NewStdLogAt(log.Named("net/http"), zap.WarnLevel)
	if err != nil {
		// Only fails for an invalid level; WarnLevel is valid.
		errLog = zap.NewStdLog(log)
	}
	maxConns := c.Server.MaxConnections
	if fds := openFileLimit(); fds > 0 && maxConns > fds/2 {
		// The rest of the descriptors are RocksDB's and the cold tier's.
		log.Warn("server.max_connections lowered to half the open-file limit",
			zap.Int("configured", maxConns), zap.Int("open_file_limit", fds), zap.Int("effective", fds/2))
		maxConns = fds / 2
	}
	conns := newConnLimiter(maxConns, c.Server.MaxUnauthenticatedConnections, c.Server.MaxConnectionsPerUser)
	if err := conns.register(api.Registry()); err != nil {
		return nil, fmt.Errorf("register connection metrics: %w", err)
	}
	base, cancel := context.WithCancelCause(context.Background())
	var lane *laneServer
	if c.Server.FastSQLPath {
		lane = newLaneServer(api, conns, base, c.Server.IdleTimeout, c.Server.ReadHeaderTimeout, c.Server.BusyPoll, log.Named("fastlane"))
		if err := lane.register(api.Registry()); err != nil {
			cancel(err)
			return nil, fmt.Errorf("register fast lane metrics: %w", err)
		}
	}
	return &HTTPServer{
		lane: lane,
		srv: &http.Server{
			Addr:              c.Server.Addr(),
			Handler:           api,
			ReadHeaderTimeout: c.Server.ReadHeaderTimeout,
			IdleTimeout:       c.Server.IdleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          errLog,
			BaseContext:       func(net.Listener) context.Context { return base },
			ConnState: func(c net.Conn, st http.ConnState) {
				if tc := tracked(c); tc != nil {
					conns.state(tc, st)
				}
			},
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				if tc := tracked(c); tc != nil {
					return context.WithValue(ctx, connKey{}, tc)
				}
				return ctx
			},
		},
		conns:      conns,
		cancelBase: cancel,
		log:        log,
	}, nil
}

// openFileLimit is the process's limit on open files, or 0 when unknown.
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}

// Serve accepts connections on ln, within the connection limits, until
// Shutdown. Like http.Server.Serve it returns http.ErrServerClosed then.
func (s *HTTPServer) Serve(ln net.Listener) error {
	limited := s.conns.listen(ln)
	if s.lane == nil {
		return s.srv.Serve(limited)
	}
	if !s.lane.startAccepting() {
		// Shutdown came first (a start stopped at once): nothing to
		// serve, and Shutdown may already be waiting for the lane.
		_ = limited.Close()
		return http.ErrServerClosed
	}
	handoff := newHandoffListener(limited)
	go s.lane.acceptLoop(limited, handoff)
	return s.srv.Serve(handoff)
}

// Close closes the listener and every connection at once, without
// waiting for requests (http.Server.Close); for tests and failed starts.
func (s *HTTPServer) Close() error {
	err := s.srv.Close()
	if s.lane != nil {
		s.lane.beginShutdown()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.lane.wait(ctx)
	}
	return err
}

// Shutdown stops accepting, closes idle connections and waits for the
// requests in progress, for three quarters of the time ctx leaves; then it
// cancels the requests still running (their statements stop and are
// rolled back) and waits for the rest. Requests that outlive ctx have
// their connections closed and Shutdown fails.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	var drained <-chan time.Time // never, without a deadline
	if deadline, ok := ctx.Deadline(); ok {
		timer := time.NewTimer(time.Until(deadline) * 3 / 4)
		defer timer.Stop()
		drained = timer.C
	}
	if s.lane != nil {
		s.lane.beginShutdown()
	}
	done := make(chan error, 1)
	go func() {
		err := s.srv.Shutdown(ctx)
		if s.lane != nil {
			err = errors.Join(err, s.lane.wait(ctx))
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-drained:
		s.log.Warn("requests still running at shutdown; cancelling them")
		s.cancelBase(errShuttingDown())
		err = <-done
	}
	s.cancelBase(errShuttingDown())
	if err != nil {
		// In-flight requests outlived the grace period: cut them off so
		// the store can still close cleanly.
		return errors.Join(fmt.Errorf("http shutdown: %w", err), s.srv.Close())
	}
	return nil
}
