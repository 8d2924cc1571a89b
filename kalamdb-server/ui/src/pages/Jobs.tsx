// Jobs, live: system.jobs through a live query, so status changes show
// without reloading.
import { LiveGrid } from "../components/LiveGrid";

export function Jobs() {
  return (
    <section>
      <LiveGrid
        sql="SELECT job_id, job_type, status, namespace_id, table_name, rows_processed, bytes_written, error_message, created_at, started_at, finished_at FROM system.jobs"
        keyColumn="job_id"
        testId="jobs"
      />
    </section>
  );
}
