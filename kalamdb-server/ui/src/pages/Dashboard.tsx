// The dashboard: version and uptime, request rate and latency from
// /metrics, live connections, and the hot and cold tiers' rows and bytes.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, health, ident, metrics, sql } from "../api";
import { formatBytes, formatDuration } from "../format";
import { loadCatalog } from "../schema";

interface Sample {
  at: number;
  requests: number;
  durSum: number;
  durCount: number;
  buckets: Map<number, number>;
  gauges: Record<string, number>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

// parseMetrics reads the Prometheus text format, summing the request
// series over every endpoint but /metrics itself.
export function parseMetrics(text: string): Sample {
  const s: Sample = { at: Date.now(), requests: 0, durSum: 0, durCount: 0, buckets: new Map(), gauges: {} };
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const [, name, labels = "", raw] = m;
    const v = Number(raw);
    if (!Number.isFinite(v) && raw !== "+Inf") continue;
    if (name.startsWith("kalamdb_http_") && labels.includes('endpoint="/metrics"')) continue;
    switch (name) {
      case "kalamdb_http_requests_total":
        s.requests += v;
        break;
      case "kalamdb_http_request_duration_seconds_sum":
        s.durSum += v;
        break;
      case "kalamdb_http_request_duration_seconds_count":
        s.durCount += v;
        break;
      case "kalamdb_http_request_duration_seconds_bucket": {
        const le = /le="([^"]+)"/.exec(labels)?.[1];
        if (!le) break;
        const bound = le === "+Inf" ? Infinity : Number(le);
        s.buckets.set(bound, (s.buckets.get(bound) ?? 0) + v);
        break;
      }
      default:
        if (!labels) s.gauges[name] = v;
    }
  }
  return s;
}

function quantile(prev: Sample, cur: Sample, q: number): number | null {
  const bounds = [...cur.buckets.keys()].sort((a, b) => a - b);
  const total = cur.durCount - prev.durCount;
  if (total <= 0) return null;
  for (const b of bounds) {
    if ((cur.buckets.get(b) ?? 0) - (prev.buckets.get(b) ?? 0) >= q * total) return b;
  }
  return null;
}

function ms(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  return seconds < 0.001 ? `${(seconds * 1000).toFixed(2)} ms` : `${(seconds * 1000).toFixed(1)} ms`;
}

interface Tiers {
  hotRows: number;
  coldRows: number;
  files: number;
  coldBytes: number;
  tables: number;
}

async function loadTiers(): Promise<Tiers> {
  const cat = await loadCatalog();
  const t: Tiers = { hotRows: 0, coldRows: 0, files: 0, coldBytes: 0, tables: cat.tables.length };
  const names = cat.tables.map((x) => `SHOW STATS FOR TABLE ${ident(x.namespace)}.${ident(x.name)}`);
  for (let i = 0; i < names.length; i += 200) {
    const ans = await sql(names.slice(i, i + 200).join(";\n"));
    for (const r of ans.results) {
      const cols = r.schema ?? [];
      const row = r.rows?.[0];
      if (!row) continue;
      const get = (n: string) => Number(row[cols.findIndex((c) => c.name === n)] ?? 0);
      t.hotRows += get("hot_rows");
      t.coldRows += get("cold_rows");
      t.files += get("files");
      t.coldBytes += get("bytes");
    }
  }
  return t;
}

export function Dashboard() {
  const [version, setVersion] = useState("");
  const [cur, setCur] = useState<Sample | null>(null);
  const [rate, setRate] = useState<{ rps: number; avg: number | null; p95: number | null } | null>(null);
  const [metricsError, setMetricsError] = useState("");
  const [tiers, setTiers] = useState<Tiers | null>(null);
  const [tierError, setTierError] = useState("");
  const prev = useRef<Sample | null>(null);

  useEffect(() => {
    let alive = true;
    void health().then((h) => alive && h && setVersion(h.version));
    const poll = async () => {
      try {
        const s = parseMetrics(await metrics());
        if (!alive) return;
        const p = prev.current;
        if (p) {
          const dt = (s.at - p.at) / 1000;
          const dc = s.durCount - p.durCount;
          setRate({
            rps: dt > 0 ? (s.requests - p.requests) / dt : 0,
            avg: dc > 0 ? (s.durSum - p.durSum) / dc : null,
            p95: quantile(p, s, 0.95),
          });
        }
        prev.current = s;
        setCur(s);
        setMetricsError("");
      } catch (e) {
        if (alive) setMetricsError(e instanceof ApiError ? e.message : String(e));
      }
    };
    void poll();
    const timer = setInterval(poll, 5000);
    loadTiers().then(
      (t) => alive && setTiers(t),
      (e) => alive && setTierError(e instanceof ApiError ? e.message : String(e)),
    );
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);

  const g = cur?.gauges ?? {};
  const uptime = g.process_start_time_seconds ? Date.now() / 1000 - g.process_start_time_seconds : null;
  return (
    <section class="dashboard" data-testid="dashboard">
      <div class="cards">
        <article>
          <header>Server</header>
          <p>
            version <strong data-testid="version">{version || "–"}</strong>
          </p>
          <p>
            up <strong data-testid="uptime">{uptime !== null ? formatDuration(uptime) : "–"}</strong>
          </p>
        </article>
        <article>
          <header>Requests</header>
          <p>
            <strong data-testid="rps">{rate ? rate.rps.toFixed(2) : "…"}</strong> per second
          </p>
          <p>
            latency avg <strong>{rate ? ms(rate.avg) : "…"}</strong>, p95 ≤ <strong>{rate ? ms(rate.p95) : "…"}</strong>
          </p>
          <p>
            <small>{cur ? `${cur.requests.toLocaleString("en-US")} since start` : ""}</small>
          </p>
        </article>
        <article>
          <header>Live</header>
          <p>
            <strong>{g.kalamdb_ws_connections ?? "–"}</strong> WebSocket connections
          </p>
          <p>
            <strong>{g.kalamdb_live_subscriptions ?? "–"}</strong> live subscriptions
          </p>
          <p>
            <small>
              memory {g.process_resident_memory_bytes ? formatBytes(g.process_resident_memory_bytes) : "–"}, {g.go_goroutines ?? "–"} goroutines
            </small>
          </p>
        </article>
        <article data-testid="tiers">
          <header>Storage tiers</header>
          {tiers ? (
            <>
              <p>
                hot (RocksDB) <strong data-testid="hot-rows">{tiers.hotRows.toLocaleString("en-US")}</strong> rows
              </p>
              <p>
                cold (Parquet) <strong data-testid="cold-rows">{tiers.coldRows.toLocaleString("en-US")}</strong> rows in {tiers.files} files,{" "}
                <strong>{formatBytes(tiers.coldBytes)}</strong>
              </p>
              <p>
                <small>{tiers.tables} tables</small>
              </p>
            </>
          ) : (
            <p aria-busy={!tierError}>{tierError || "loading…"}</p>
          )}
        </article>
      </div>
      {metricsError && (
        <p class="error-box" role="alert">
          /metrics: {metricsError}
        </p>
      )}
    </section>
  );
}
