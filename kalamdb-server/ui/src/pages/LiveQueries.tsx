// The live queries of system.live_queries, with kill.
import { useState } from "preact/hooks";
import { ApiError, quoteLiteral, sql } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { LiveGrid } from "../components/LiveGrid";

export function LiveQueries() {
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState("");
  return (
    <section>
      <p>
        <small>The console's own subscriptions (this page's among them) are listed too.</small>
      </p>
      {notice && <p class="notice">{notice}</p>}
      {error && <ErrorBox error={error} />}
      <LiveGrid
        sql="SELECT live_id, user_id, namespace_id, table_name, query, changes, created_at, last_update FROM system.live_queries"
        keyColumn="live_id"
        testId="live-queries"
        actions={(row) => (
          <button
            class="small outline danger"
            onClick={async () => {
              setError(null);
              try {
                await sql(`KILL LIVE QUERY ${quoteLiteral(String(row[0]))}`);
                setNotice(`Killed ${String(row[0])}.`);
              } catch (e) {
                setError(e as ApiError);
              }
            }}
          >
            kill
          </button>
        )}
      />
    </section>
  );
}
