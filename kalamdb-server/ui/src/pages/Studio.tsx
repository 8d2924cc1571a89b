// The SQL studio: the editor, the results and the query history.
import { useRef, useState } from "preact/hooks";
import { ApiError, sql, type QueryAnswer } from "../api";
import { Editor, type EditorHandle } from "../components/Editor";
import { ErrorBox } from "../components/ErrorBox";
import { Grid } from "../components/Grid";
import { formatTimestamp } from "../format";
import { catalog, loadCatalog } from "../schema";
import { useStore } from "../store";

const DRAFT_KEY = "kalamdb.console.draft";
const HISTORY_KEY = "kalamdb.console.history";
const HISTORY_MAX = 100;

interface HistoryEntry {
  sql: string;
  at: number;
  ok: boolean;
  took?: number;
}

function loadHistory(): HistoryEntry[] {
  try {
    const h = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(h) ? h : [];
  } catch {
    return [];
  }
}

// byteToChar maps a 1-based byte position in text (what the server
// reports) to a character offset.
function byteToChar(text: string, pos: number): number {
  const bytes = new TextEncoder().encode(text);
  return new TextDecoder().decode(bytes.slice(0, Math.max(0, pos - 1))).length;
}

const DDL = /^\s*(CREATE|DROP|ALTER)\b/im;

export function Studio() {
  const cat = useStore(catalog);
  const editor = useRef<EditorHandle | null>(null);
  const [answer, setAnswer] = useState<QueryAnswer | null>(null);
  // Each answer gets fresh grids (sorting and paging start over).
  const [answerSeq, setAnswerSeq] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [running, setRunning] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[]>(loadHistory);
  const [showHistory, setShowHistory] = useState(false);

  const record = (e: HistoryEntry) => {
    const next = [e, ...history.filter((h) => h.sql !== e.sql)].slice(0, HISTORY_MAX);
    setHistory(next);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
  };

  const run = async () => {
    if (running || !editor.current) return;
    const { text, from } = editor.current.target();
    if (!text.trim()) return;
    setRunning(true);
    setError(null);
    try {
      const ans = await sql(text);
      setAnswer(ans);
      setAnswerSeq((n) => n + 1);
      record({ sql: text.trim(), at: Date.now(), ok: true, took: ans.took });
      if (DDL.test(text)) void loadCatalog().catch(() => undefined);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError("ERROR", String(e));
      setAnswer(null);
      setError(err);
      record({ sql: text.trim(), at: Date.now(), ok: false });
      const pos = err.details?.position;
      if (typeof pos === "number" && pos > 0) {
        const at = from + byteToChar(text, pos);
        editor.current.markError(at, at + 1);
      }
    } finally {
      setRunning(false);
    }
  };

  return (
    <section class="studio">
      <div class="toolbar">
        <button data-testid="run" onClick={run} aria-busy={running} disabled={running}>
          Run
        </button>
        <small class="hint">Ctrl+Enter runs the selection, or everything when nothing is selected.</small>
        <span class="spacer" />
        <button class="outline secondary" onClick={() => setShowHistory(!showHistory)} data-testid="history-toggle">
          History ({history.length})
        </button>
      </div>
      <div class={showHistory ? "studio-main with-history" : "studio-main"}>
        <Editor
          initial={localStorage.getItem(DRAFT_KEY) ?? "SELECT * FROM system.tables;"}
          schema={cat.completion}
          onChange={(t) => localStorage.setItem(DRAFT_KEY, t)}
          onRun={run}
          handle={(h) => (editor.current = h)}
        />
        {showHistory && (
          <aside class="history" data-testid="history">
            {history.length === 0 && <p>No queries yet.</p>}
            <ul>
              {history.map((h) => (
                <li key={h.at} class={h.ok ? "" : "failed"}>
                  <button class="link" title="Put in the editor" onClick={() => editor.current?.setText(h.sql)}>
                    <code>{h.sql.length > 200 ? h.sql.slice(0, 200) + "…" : h.sql}</code>
                  </button>
                  <small>
                    {formatTimestamp(h.at)}
                    {h.took !== undefined ? ` · ${h.took} ms` : " · failed"}
                  </small>
                </li>
              ))}
            </ul>
            {history.length > 0 && (
              <button
                class="outline secondary small"
                onClick={() => {
                  setHistory([]);
                  localStorage.removeItem(HISTORY_KEY);
                }}
              >
                Clear history
              </button>
            )}
          </aside>
        )}
      </div>
      {error && <ErrorBox error={error} />}
      {answer && (
        <div class="results" data-testid="results">
          {answer.results.map((r, i) => (
            <div class="result" key={`${answerSeq}-${i}`}>
              {answer.results.length > 1 && <h6>Statement {i + 1}</h6>}
              {r.schema ? (
                <Grid columns={r.schema} rows={r.rows ?? []} total={r.total_rows} testId={i === answer.results.length - 1 ? "grid" : `grid-${i}`} />
              ) : (
                <p class="message" data-testid="result-message">
                  {r.message ?? "OK"} {r.row_count !== undefined && <small>({r.row_count} rows)</small>}
                </p>
              )}
            </div>
          ))}
          <p class="took" data-testid="took">
            {answer.results.length} {answer.results.length === 1 ? "statement" : "statements"} in {answer.took} ms
          </p>
        </div>
      )}
    </section>
  );
}
