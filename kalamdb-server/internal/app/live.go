package app

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/httpapi"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/ws"
)

// liveModule adds live queries: the STREAM sweeper, the live query
// manager (installed in the engine and executor) and the WebSocket
// endpoint. Its invoke runs after serveHTTP's, so on stop its hooks run
// first: sockets are closed with a close frame and the manager stopped
// while the HTTP server and the database are still up.
var liveModule = fx.Options(
	fx.Provide(newSweeper, newLiveManager, newWSHandler),
	fx.Invoke(mountWS),
)

func newSweeper(db *database.Database, log *zap.Logger) *streams.Sweeper {
	slog := log.Named("streams")
	return streams.New(db.Catalog, streams.Options{
		OnError: func(err error) { slog.Error("stream sweep", zap.Error(err)) },
		OnLegacyDropped: func(table string, n int64) {
			slog.Warn("dropped STREAM events stored without a user partition by an older version",
				zap.String("table", table), zap.Int64("events", n))
		},
	})
}

func newLiveManager(lc fx.Lifecycle, cfg *config.Config, db *database.Database, sw *streams.Sweeper) (*live.Manager, error) {
	w := cfg.WebSocket
	m, err := live.New(db.Catalog, db.Engine, db.Tier, live.Options{
		NodeID:                        cfg.Server.NodeID,
		MaxSubscriptionsPerConnection: w.MaxSubscriptionsPerConnection,
		MaxSubscriptionsPerUser:       w.MaxSubscriptionsPerUser,
		SendQueueSize:                 w.SendQueueSize,
		Streams:                       sw,
	})
	if err != nil {
		return nil, fmt.Errorf("live queries: %w", err)
	}
	db.Engine.SetChangeSink(m)
	db.Engine.RegisterSystemTable(m.Table())
	db.Executor.SetLiveQueries(m)
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			m.Start()
			sw.Start()
			return nil
		},
		OnStop: func(context.Context) error {
			sw.Stop()
			m.Close()
			return nil
		},
	})
	return m, nil
}

func newWSHandler(cfg *config.Config, m *live.Manager, a *auth.Authenticator, log *zap.Logger) *ws.Handler {
	w := cfg.WebSocket
	return ws.New(m, a, log.Named("ws"), ws.Options{
		AuthTimeout:       w.AuthTimeout,
		MaxMessageBytes:   w.MaxMessageBytes,
		MessagesPerSecond: w.MessagesPerSecond,
		// Enough for a client to open every subscription it may hold at
		// once, right after authenticating.
		MessageBurst:    max(int(2*w.MessagesPerSecond), w.MaxSubscriptionsPerConnection+10),
		OnAuthenticated: httpapi.MarkAuthenticated,
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
	lc.Append(fx.Hook{OnStop: func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, cfg.Server.ShutdownTimeout)
		defer cancel()
		return h.Shutdown(ctx)
	}})
	return nil
}
