import type { ApiError } from "../api";

// ErrorBox shows an API error: its code, message and, when the server
// points into the SQL, the line and column.
export function ErrorBox({ error }: { error: ApiError }) {
  const d = error.details;
  return (
    <div class="error-box" role="alert" data-testid="sql-error">
      <strong data-testid="error-code">{error.code}</strong> <span data-testid="error-message">{error.message}</span>
      {d && typeof d.line === "number" && (
        <small data-testid="error-position">
          {" "}
          at line {d.line}, column {d.column}
          {typeof d.position === "number" ? ` (position ${d.position})` : ""}
        </small>
      )}
    </div>
  );
}
