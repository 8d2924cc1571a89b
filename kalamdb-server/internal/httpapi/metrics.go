package httpapi

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// httpMetrics are the request metrics. Labels: endpoint is the route
// pattern's path (never the raw path, so cardinality stays bounded;
// "unmatched" for unknown paths), code is the wire error code or "OK",
// status the HTTP status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// children caches the series of each label set, so that a request
	// does not hash its labels twice into the vectors. The label sets are
	// bounded (routes, codes, statuses), so is the cache.
	children sync.Map // metricLabels -> *requestSeries
}

type metricLabels struct {
	route  string
	code   apierror.Code
	status int
}

// requestSeries are the series of one label set.
type requestSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// of returns the series of a request's labels.
func (m *httpMetrics) of(route string, code apierror.Code, status int) *requestSeries {
	key := metricLabels{route, code, status}
	if s, ok := m.children.Load(key); ok {
		return s.(*requestSeries)
	}
	statusText := strconv.Itoa(status)
	s, _ := m.children.LoadOrStore(key, &requestSeries{
		requests: m.requests.WithLabelValues(route, string(code), statusText),
		duration: m.duration.WithLabelValues(route, string(code), statusText),
	})
	return s.(*requestSeries)
}

func newHTTPMetrics(reg prometheus.Registerer, acct *memory.Account) (*httpMetrics, error) {
	labels := []string{"endpoint", "code", "status"}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kalamdb", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by endpoint, wire code and HTTP status.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kalamdb", Subsystem: "http", Name: "request_duration_seconds",
			Help: "HTTP request latency by endpoint, wire code and HTTP status.",
			// From sub-millisecond point reads to slow analytical queries.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, labels),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kalamdb", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, m.inFlight,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "kalamdb", Subsystem: "memory", Name: "reserved_bytes",
			Help: "Bytes running statements and unanswered requests hold, reserved from limits.server_memory_bytes.",
		}, func() float64 { return float64(acct.Used()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "kalamdb", Subsystem: "memory", Name: "limit_bytes",
			Help: "limits.server_memory_bytes: the most running statements and unanswered requests may hold at once.",
		}, func() float64 { return float64(acct.Limit()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "kalamdb", Subsystem: "memory", Name: "refusals_total",
			Help: "Statements and requests refused (RATE_LIMIT_EXCEEDED) because limits.server_memory_bytes was reached.",
		}, func() float64 { return float64(acct.Refusals()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	return m, nil
}
