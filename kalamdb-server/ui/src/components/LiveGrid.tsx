// LiveGrid is a grid over a live query, highlighting rows as they change.
import type { ComponentChildren } from "preact";
import { live as liveClient } from "../live";
import { useStore } from "../store";
import { asArrays, useLive } from "../useLive";
import { Grid } from "./Grid";

export function LiveGrid(props: { sql: string | null; keyColumn?: string; testId: string; actions?: (row: unknown[]) => ComponentChildren }) {
  const live = useLive(props.sql, props.keyColumn);
  const rows = asArrays(live.columns, live.rows);
  // While the socket is down the rows are as of the last change seen.
  const connected = useStore(liveClient.state) === "open";
  const label = !connected && live.status !== "error" ? "reconnecting" : live.status === "ready" ? "live" : live.status;
  return (
    <div class="live-grid">
      <p class="live-status">
        <span class={"badge live-" + (connected ? live.status : "loading")} data-testid={props.testId + "-status"}>
          {label}
        </span>{" "}
        <small data-testid={props.testId + "-events"}>{live.events} changes received</small>
      </p>
      {live.error && (
        <p class="error-box" role="alert" data-testid={props.testId + "-error"}>
          {live.error}
        </p>
      )}
      {live.columns.length > 0 && (
        <Grid columns={live.columns} rows={rows} testId={props.testId} rowClass={(i) => live.marks.get(live.rows[i])} actions={props.actions} />
      )}
    </div>
  );
}
