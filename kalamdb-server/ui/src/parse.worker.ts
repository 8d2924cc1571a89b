// Parses an SQL answer off the main thread and caps each result's rows,
// so a huge result cannot freeze the page.
import { parseJSON } from "./json";

export type ParseRequest = { text: string; maxRows: number };

self.onmessage = (e: MessageEvent<ParseRequest>) => {
  try {
    const body = parseJSON(e.data.text);
    if (body && Array.isArray(body.results)) {
      for (const r of body.results) {
        if (Array.isArray(r.rows)) {
          r.total_rows = r.rows.length;
          if (r.rows.length > e.data.maxRows) r.rows = r.rows.slice(0, e.data.maxRows);
        }
      }
    }
    (self as unknown as Worker).postMessage({ ok: true, body });
  } catch (err) {
    (self as unknown as Worker).postMessage({ ok: false, error: String(err) });
  }
};
