// How values of each wire type are shown (docs/api.md's value table).
import { stringifyJSON } from "./json";

export const NUMERIC = new Set(["SmallInt", "Int", "BigInt", "Float", "Double", "Decimal"]);

export function formatTimestamp(ms: number | bigint): string {
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return String(ms);
  return d.toISOString().replace("T", " ").replace("Z", " UTC");
}

export function formatValue(v: unknown, type: string): string {
  if (v === null || v === undefined) return "NULL";
  switch (type) {
    case "Timestamp":
    case "DateTime":
      return typeof v === "number" || typeof v === "bigint" ? formatTimestamp(v) : String(v);
    case "Json":
      return stringifyJSON(v);
  }
  if (typeof v === "object") return stringifyJSON(v);
  return String(v);
}

export function prettyJSON(v: unknown): string {
  return stringifyJSON(v, 2);
}

// compare orders values for sorting: NULLs last, numbers (BigInt
// included) numerically, everything else as text.
export function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  const na = typeof a === "number" || typeof a === "bigint";
  const nb = typeof b === "number" || typeof b === "bigint";
  if (na && nb) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  const sa = typeof a === "object" ? stringifyJSON(a) : String(a);
  const sb = typeof b === "object" ? stringifyJSON(b) : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(1)) + " " + units[i];
}

export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (d) parts.push(d + "d");
  if (d || h) parts.push(h + "h");
  if (d || h || m) parts.push(m + "m");
  parts.push((s % 60) + "s");
  return parts.join(" ");
}
