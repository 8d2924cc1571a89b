package app

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/httpapi"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/ws"
)

// liveModule serves live queries over WebSocket: the core builds the live
// query manager (database.Module provides it); this module adds the
// endpoint. Its invoke runs after serveHTTP's, so on stop its hook runs
// first: sockets are closed with a close frame while the HTTP server and
// the database are still up.
var liveModule = fx.Options(
	fx.Provide(newWSHandler),
	fx.Invoke(mountWS),
)

func newWSHandler(cfg *config.Config, m *live.Manager, a *auth.Authenticator, acct *memory.Account, log *zap.Logger) *ws.Handler {
	w := cfg.WebSocket
	return ws.New(m, a, log.Named("ws"), ws.Options{
		AuthTimeout:       w.AuthTimeout,
		MaxMessageBytes:   w.MaxMessageBytes,
		MessagesPerSecond: w.MessagesPerSecond,
		// Enough for a client to open every subscription it may hold at
		// once, right after authenticating.
		MessageBurst: max(int(2*w.MessagesPerSecond), w.MaxSubscriptionsPerConnection+10),
		// As many may wait while the first ones are served.
		MaxQueuedRequests: max(int(2*w.MessagesPerSecond), w.MaxSubscriptionsPerConnection+10),
		OnAuthenticated:   httpapi.MarkAuthenticated,
		Memory:            acct,
	})
}

// mountWS serves GET /v1/ws behind the HTTP middleware, with gauges of
// open sockets and live subscriptions, and closes the sockets first on
// stop: http.Server.Shutdown does not wait for hijacked connections.
func mountWS(lc fx.Lifecycle, cfg *config.Config, api *httpapi.Server, h *ws.Handler, m *live.Manager) error {
	api.Handle("GET /v1/ws", h)
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kalamdb_ws_connections", Help: "Open WebSocket connections."},
			func() float64 { return float64(h.Sessions()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kalamdb_live_subscriptions", Help: "Active live query subscriptions."},
			func() float64 { return float64(m.Subscriptions()) }),
	} {
		if err := api.Registry().Register(c); err != nil {
			return fmt.Errorf("register live query metrics: %w", err)
		}
	}
	// What became of the sockets' requests: work still running for a
	// client that has gone shows here.
	for _, g := range []struct {
		name, help string
		counter    bool
		value      func(ws.RequestStats) int64
	}{
		{"kalamdb_ws_requests_queued", "WebSocket requests received and not started yet.", false,
			func(st ws.RequestStats) int64 { return st.Queued }},
		{"kalamdb_ws_requests_running", "WebSocket requests being served (subscribe, next_batch, unsubscribe).", false,
			func(st ws.RequestStats) int64 { return st.Running }},
		{"kalamdb_ws_requests_orphaned", "WebSocket requests still running after their socket closed (cancelled, not returned yet).", false,
			func(st ws.RequestStats) int64 { return st.Orphaned }},
		{"kalamdb_ws_requests_cancelled_total", "WebSocket requests cancelled because their socket closed while they ran.", true,
			func(st ws.RequestStats) int64 { return st.Cancelled }},
		{"kalamdb_ws_requests_dropped_total", "WebSocket requests never started because their socket closed first.", true,
			func(st ws.RequestStats) int64 { return st.Dropped }},
		{"kalamdb_ws_requests_queue_full_total", "WebSocket requests refused because too many of the socket's requests waited.", true,
			func(st ws.RequestStats) int64 { return st.QueueFull }},
	} {
		f := func() float64 { return float64(g.value(h.RequestStats())) }
		var c prometheus.Collector = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help}, f)
		if g.counter {
			c = prometheus.NewCounterFunc(prometheus.CounterOpts{Name: g.name, Help: g.help}, f)
		}
		if err := api.Registry().Register(c); err != nil {
			return fmt.Errorf("register websocket request metrics: %w", err)
		}
	}
	lc.Append(fx.Hook{OnStop: func(ctx context.Context) error {
		ctx, cancel := drainContext(ctx, cfg.Server.ShutdownTimeout)
		defer cancel()
		return h.Shutdown(ctx)
	}})
	return nil
}
