// Storages and their manifest (the Parquet files of the tables in each).
import { useEffect, useState } from "preact/hooks";
import { ApiError, ident, rowsOf, sql, type QueryAnswer } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { Grid } from "../components/Grid";

export function Storages() {
  const [storages, setStorages] = useState<QueryAnswer | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [manifest, setManifest] = useState<{ columns: any[]; rows: unknown[][] } | null>(null);
  const [check, setCheck] = useState<QueryAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    sql("SELECT * FROM system.storages ORDER BY storage_id").then(setStorages, setError);
  }, []);

  useEffect(() => {
    setManifest(null);
    setCheck(null);
    if (!selected) return;
    (async () => {
      try {
        const tables = await rowsOf("SELECT namespace_id, table_name FROM system.tables WHERE storage_id = $1", [selected]);
        const mine = new Set(tables.map((t) => `${t.namespace_id}.${t.table_name}`));
        const ans = await sql("SHOW MANIFEST");
        const r = ans.results[0];
        const cols = r.schema ?? [];
        const ni = cols.findIndex((c) => c.name === "namespace_id");
        const ti = cols.findIndex((c) => c.name === "table_name");
        setManifest({ columns: cols, rows: (r.rows ?? []).filter((row) => mine.has(`${row[ni]}.${row[ti]}`)) });
      } catch (e) {
        setError(e as ApiError);
      }
    })();
  }, [selected]);

  const r = storages?.results[0];
  return (
    <section class="storages">
      {error && <ErrorBox error={error} />}
      {r?.schema && (
        <Grid
          columns={r.schema}
          rows={r.rows ?? []}
          testId="storages"
          actions={(row) => (
            <button class="small outline" data-testid={`manifest-${String(row[0])}`} onClick={() => setSelected(String(row[0]))}>
              manifest
            </button>
          )}
        />
      )}
      {selected && (
        <article>
          <header>
            <h5>
              Manifest of <code>{selected}</code>
            </h5>
            <button
              class="small outline"
              onClick={() =>
                sql(`STORAGE CHECK ${ident(selected)}`).then(setCheck, (e) => setError(e as ApiError))
              }
            >
              Check storage
            </button>
          </header>
          {check?.results[0]?.schema && <Grid columns={check.results[0].schema} rows={check.results[0].rows ?? []} testId="storage-check" />}
          {manifest ? <Grid columns={manifest.columns} rows={manifest.rows} testId="manifest" /> : <p aria-busy="true">loading…</p>}
        </article>
      )}
    </section>
  );
}
