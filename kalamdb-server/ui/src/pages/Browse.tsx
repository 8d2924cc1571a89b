// Namespaces and tables: their columns, options, indexes and stats;
// creating and dropping them; flushing and compacting a table.
import { useEffect, useState } from "preact/hooks";
import { ApiError, ident, rowsOf, sql, type QueryAnswer } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { Grid } from "../components/Grid";
import { JobPanel } from "../components/JobPanel";
import { formatBytes, formatValue } from "../format";
import { catalog, loadCatalog, type TableInfo } from "../schema";
import { useStore } from "../store";

function asError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError("ERROR", String(e));
}

const OPTION_KEYS = ["table_type", "storage_id", "flush_policy", "access_level", "deleted_retention_hours", "ttl_seconds", "max_buffer", "ephemeral", "current_schema_version", "created_at", "updated_at"];

function TableDetail({ t, onDropped }: { t: TableInfo; onDropped: () => void }) {
  const [cols, setCols] = useState<QueryAnswer | null>(null);
  const [stats, setStats] = useState<Record<string, any> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [job, setJob] = useState<string | null>(null);
  const [confirm, setConfirm] = useState("");
  const full = `${t.namespace}.${t.name}`;

  const loadStats = () =>
    rowsOf(`SHOW STATS FOR TABLE ${ident(t.namespace)}.${ident(t.name)}`)
      .then((r) => setStats(r[0] ?? null))
      .catch((e) => setError(asError(e)));

  useEffect(() => {
    setCols(null);
    setStats(null);
    setError(null);
    setJob(null);
    setConfirm("");
    sql(`DESCRIBE TABLE ${ident(t.namespace)}.${ident(t.name)}`).then(setCols, (e) => setError(asError(e)));
    void loadStats();
  }, [full]);

  const start = async (what: "FLUSH" | "COMPACT") => {
    setError(null);
    try {
      const r = await rowsOf(`STORAGE ${what} TABLE ${ident(t.namespace)}.${ident(t.name)}`);
      if (r[0]?.job_id) setJob(String(r[0].job_id));
    } catch (e) {
      setError(asError(e));
    }
  };

  const drop = async () => {
    setError(null);
    try {
      await sql(`DROP TABLE ${ident(t.namespace)}.${ident(t.name)}`);
      await loadCatalog();
      onDropped();
    } catch (e) {
      setError(asError(e));
    }
  };

  const res = cols?.results[0];
  return (
    <article class="table-detail" data-testid="table-detail">
      <header>
        <h4>
          {t.namespace}.<strong>{t.name}</strong> <span class="badge">{t.type}</span>
        </h4>
        <div class="buttons">
          {t.type !== "STREAM" && (
            <>
              <button data-testid="flush" onClick={() => start("FLUSH")}>
                Flush
              </button>
              <button data-testid="compact" class="secondary" onClick={() => start("COMPACT")}>
                Compact
              </button>
            </>
          )}
          <button class="outline secondary" onClick={loadStats}>
            Refresh stats
          </button>
        </div>
      </header>
      {error && <ErrorBox error={error} />}
      {job && <JobPanel jobId={job} />}
      <h5>Stats</h5>
      {stats ? (
        <dl class="stats" data-testid="table-stats">
          <dt>hot rows</dt>
          <dd>{String(stats.hot_rows)}</dd>
          <dt>cold rows</dt>
          <dd>{String(stats.cold_rows)}</dd>
          <dt>files</dt>
          <dd>{String(stats.files)}</dd>
          <dt>cold bytes</dt>
          <dd>{formatBytes(Number(stats.bytes))}</dd>
        </dl>
      ) : (
        <p aria-busy="true">loading…</p>
      )}
      <h5>Columns</h5>
      {res?.schema ? <Grid columns={res.schema} rows={res.rows ?? []} pageSize={50} testId="columns" /> : <p aria-busy="true">loading…</p>}
      <h5>Indexes</h5>
      <ul>
        <li>
          primary key: <code>{t.primaryKey ?? "(none: the hidden identity, the _seq of a row's first version)"}</code>
        </li>
        <li>
          <code>_seq</code> (every table's version order)
        </li>
      </ul>
      <h5>Options</h5>
      <dl class="options">
        {OPTION_KEYS.filter((k) => t.options[k] !== undefined && t.options[k] !== null).map((k) => (
          <>
            <dt>{k}</dt>
            <dd>{formatValue(t.options[k], k.endsWith("_at") ? "Timestamp" : "")}</dd>
          </>
        ))}
      </dl>
      <details class="danger">
        <summary>Drop table</summary>
        <p>
          Type <code>{full}</code> to drop the table and its data.
        </p>
        <input data-testid="drop-confirm" value={confirm} onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} aria-label="table name to confirm" />
        <button data-testid="drop-table" class="danger" disabled={confirm !== full} onClick={drop}>
          Drop {full}
        </button>
      </details>
    </article>
  );
}

function CreateTable({ namespaces, onCreated }: { namespaces: string[]; onCreated: (ns: string, name: string) => void }) {
  const [ns, setNs] = useState(namespaces[0] ?? "");
  const [name, setName] = useState("");
  const [type, setType] = useState("USER");
  const [columns, setColumns] = useState("id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(),\ncontent TEXT,\ncreated_at TIMESTAMP DEFAULT NOW()");
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (!ns && namespaces[0]) setNs(namespaces[0]);
  }, [namespaces]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await sql(`CREATE ${type} TABLE ${ident(ns)}.${ident(name)} (${columns})`);
      await loadCatalog();
      onCreated(ns, name);
      setName("");
    } catch (err) {
      setError(asError(err));
    }
  };
  return (
    <form onSubmit={submit} data-testid="create-table">
      <fieldset class="grid3">
        <label>
          Namespace
          <select value={ns} onChange={(e) => setNs((e.target as HTMLSelectElement).value)} data-testid="create-table-ns">
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="create-table-name" />
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option>USER</option>
            <option>SHARED</option>
            <option>STREAM</option>
          </select>
        </label>
      </fieldset>
      <label>
        Columns
        <textarea rows={3} value={columns} onInput={(e) => setColumns((e.target as HTMLTextAreaElement).value)} data-testid="create-table-columns" />
      </label>
      {error && <ErrorBox error={error} />}
      <button type="submit" data-testid="create-table-submit">
        Create table
      </button>
    </form>
  );
}

function CreateNamespace({ onCreated }: { onCreated: (ns: string) => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await sql(`CREATE NAMESPACE ${ident(name)}`);
      await loadCatalog();
      onCreated(name);
      setName("");
    } catch (err) {
      setError(asError(err));
    }
  };
  return (
    <form onSubmit={submit} class="inline-form" data-testid="create-namespace">
      <input placeholder="new namespace" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="create-namespace-name" />
      <button type="submit">Create</button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}

export function Browse() {
  const cat = useStore(catalog);
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    loadCatalog().catch((e) => setError(asError(e)));
  }, []);
  const table = cat.tables.find((t) => `${t.namespace}.${t.name}` === selected);
  const dropNamespace = async (ns: string) => {
    setError(null);
    try {
      await sql(`DROP NAMESPACE ${ident(ns)}`);
      await loadCatalog();
    } catch (e) {
      setError(asError(e));
    }
  };
  return (
    <section class="browse">
      <div class="tree" data-testid="tree">
        <CreateNamespace onCreated={() => undefined} />
        {error && <ErrorBox error={error} />}
        {cat.namespaces.length === 0 && <p>No namespaces yet.</p>}
        {cat.namespaces.map((ns) => {
          const tables = cat.tables.filter((t) => t.namespace === ns);
          return (
            <div key={ns} class="ns">
              <div class="ns-name">
                <strong>{ns}</strong>
                {tables.length === 0 && (
                  <button class="link small" title="Drop this empty namespace" onClick={() => dropNamespace(ns)}>
                    drop
                  </button>
                )}
              </div>
              <ul>
                {tables.map((t) => (
                  <li key={t.name}>
                    <button
                      class={"link" + (selected === `${ns}.${t.name}` ? " active" : "")}
                      data-testid={`table-${ns}.${t.name}`}
                      onClick={() => {
                        setCreating(false);
                        setSelected(`${ns}.${t.name}`);
                      }}
                    >
                      {t.name}
                    </button>{" "}
                    <small>{t.type.toLowerCase()}</small>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
        <button class="outline" data-testid="new-table" onClick={() => setCreating(true)} disabled={cat.namespaces.length === 0}>
          New table
        </button>
      </div>
      <div class="detail">
        {creating ? (
          <CreateTable
            namespaces={cat.namespaces}
            onCreated={(ns, name) => {
              setCreating(false);
              setSelected(`${ns}.${name}`);
            }}
          />
        ) : table ? (
          <TableDetail t={table} onDropped={() => setSelected(null)} />
        ) : (
          <p>Choose a table, or create one.</p>
        )}
      </div>
    </section>
  );
}
