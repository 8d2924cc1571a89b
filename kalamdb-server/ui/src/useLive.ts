// useLive follows a live query: the rows of its result, kept current by
// the changes the server sends, each changed row highlighted for a while.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Column } from "./api";
import { stringifyJSON } from "./json";
import { live, type Row } from "./live";

export type LiveStatus = "idle" | "loading" | "ready" | "error";

export interface LiveRows {
  columns: Column[];
  rows: Row[];
  // The highlight of each row (insert, update, delete), by row.
  marks: WeakMap<Row, string>;
  status: LiveStatus;
  error: string;
  events: number;
}

const HIGHLIGHT_MS = 2500;

function sameRow(a: Row, b: Row): boolean {
  for (const k of Object.keys(b)) {
    // _seq names a row's version, not a value: a delete carries the one
    // of the version that removed the row, not the one the grid holds.
    if (k === "_seq") continue;
    if (stringifyJSON(a[k]) !== stringifyJSON(b[k])) return false;
  }
  return true;
}

export function useLive(sql: string | null, keyColumn?: string): LiveRows {
  const [state, setState] = useState<LiveRows>({ columns: [], rows: [], marks: new WeakMap(), status: "idle", error: "", events: 0 });
  const cur = useRef(state);
  useEffect(() => {
    let alive = true;
    const base: LiveRows = { columns: [], rows: [], marks: new WeakMap(), status: sql ? "loading" : "idle", error: "", events: 0 };
    cur.current = base;
    setState(base);
    if (!sql) return;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const update = (f: (s: LiveRows) => LiveRows) => {
      if (!alive) return;
      cur.current = f(cur.current);
      setState(cur.current);
    };
    // A deleted row stays in the grid, highlighted, for HIGHLIGHT_MS: it
    // is no longer a row of the result, so a later delete or update of an
    // equal row (two equal rows of a table without a key, one DELETE for
    // both) must find the other one.
    const find = (rows: Row[], old: Row, marks: WeakMap<Row, string>) => {
      const live = (r: Row) => marks.get(r) !== "hl-delete";
      if (keyColumn && old[keyColumn] !== undefined) {
        const key = stringifyJSON(old[keyColumn]);
        return rows.findIndex((r) => live(r) && stringifyJSON(r[keyColumn]) === key);
      }
      return rows.findIndex((r) => live(r) && sameRow(r, old));
    };
    const unmarkLater = (marks: WeakMap<Row, string>, row: Row, remove: boolean) => {
      const t = setTimeout(() => {
        timers.delete(t);
        update((s) => {
          s.marks.delete(row);
          return { ...s, rows: remove ? s.rows.filter((r) => r !== row) : [...s.rows] };
        });
      }, HIGHLIGHT_MS);
      timers.add(t);
      void marks;
    };
    const stop = live.subscribe(sql, {
      reset(schema) {
        update(() => ({ columns: schema, rows: [], marks: new WeakMap(), status: "loading", error: "", events: 0 }));
      },
      batch(rows, ready) {
        update((s) => ({ ...s, columns: s.columns.length ? s.columns : columnsOf(rows), rows: [...s.rows, ...rows], status: ready ? "ready" : "loading" }));
      },
      change(type, rows, old) {
        update((s) => {
          const next = [...s.rows];
          const marks = s.marks;
          if (type === "insert") {
            for (const r of rows) {
              next.unshift(r);
              marks.set(r, "hl-insert");
              unmarkLater(marks, r, false);
            }
          } else if (type === "update") {
            rows.forEach((r, i) => {
              const at = old[i] ? find(next, old[i], marks) : -1;
              if (at >= 0) next[at] = r;
              else next.unshift(r);
              marks.set(r, "hl-update");
              unmarkLater(marks, r, false);
            });
          } else {
            for (const o of old) {
              const at = find(next, o, marks);
              if (at < 0) continue;
              const gone = next[at];
              marks.set(gone, "hl-delete");
              unmarkLater(marks, gone, true);
            }
          }
          return { ...s, columns: s.columns.length ? s.columns : columnsOf(rows), rows: next, events: s.events + Math.max(rows.length, old.length) };
        });
      },
      error(code, message) {
        update((s) => ({ ...s, status: "error", error: `${code}: ${message}` }));
      },
    });
    return () => {
      alive = false;
      for (const t of timers) clearTimeout(t);
      stop();
    };
  }, [sql, keyColumn]);
  return state;
}

function columnsOf(rows: Row[]): Column[] {
  const first = rows[0];
  if (!first) return [];
  return Object.keys(first).map((name, index) => ({ name, data_type: "", index }));
}

// asArrays turns live rows (objects) into the grid's arrays.
export function asArrays(columns: Column[], rows: Row[]): unknown[][] {
  return rows.map((r) => columns.map((c) => r[c.name]));
}
