// JobPanel follows one job live, in system.jobs, until it ends.
import { quoteLiteral } from "../api";
import { formatValue } from "../format";
import { useLive } from "../useLive";

export function JobPanel({ jobId }: { jobId: string }) {
  const live = useLive(
    `SELECT job_id, job_type, status, rows_processed, bytes_written, error_message, result FROM system.jobs WHERE job_id = ${quoteLiteral(jobId)}`,
    "job_id",
  );
  const job = live.rows[0];
  return (
    <div class="job-panel" data-testid="job-panel">
      <strong>Job</strong> <code>{jobId}</code>{" "}
      {job ? (
        <>
          <span class={"badge status-" + String(job.status)} data-testid="job-status">
            {String(job.status)}
          </span>
          {job.rows_processed !== null && <small> · {String(job.rows_processed)} rows</small>}
          {job.bytes_written !== null && <small> · {String(job.bytes_written)} bytes</small>}
          {job.error_message ? <p class="error-box">{String(job.error_message)}</p> : null}
          {job.result ? <pre class="job-result">{formatValue(job.result, "Json")}</pre> : null}
        </>
      ) : (
        <span aria-busy="true">{live.error || "waiting for the job…"}</span>
      )}
    </div>
  );
}
