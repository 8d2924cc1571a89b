// The catalog as the console's pages and the editor's completion use it.
import type { SQLNamespace } from "@codemirror/lang-sql";
import { rowsOf } from "./api";
import { Store } from "./store";

export interface TableInfo {
  namespace: string;
  name: string;
  type: string;
  storage: string;
  primaryKey: string | null;
  options: Record<string, unknown>;
}

export interface Catalog {
  namespaces: string[];
  tables: TableInfo[];
  // For completion: namespace -> table -> columns.
  completion: SQLNamespace;
}

export const catalog = new Store<Catalog>({ namespaces: [], tables: [], completion: {} });

const SYSTEM_TABLES = ["namespaces", "tables", "table_schemas", "users", "storages", "live_queries", "jobs", "manifest"];

export async function loadCatalog(): Promise<Catalog> {
  const [ns, tables, cols] = await Promise.all([
    rowsOf("SELECT namespace_id FROM system.namespaces ORDER BY namespace_id"),
    rowsOf("SELECT * FROM system.tables ORDER BY namespace_id, table_name"),
    rowsOf("SELECT table_schema, table_name, column_name FROM information_schema.columns ORDER BY table_schema, table_name, ordinal_position").catch(() => []),
  ]);
  const completion: Record<string, Record<string, string[]>> = { system: {} };
  for (const t of SYSTEM_TABLES) completion.system[t] = [];
  for (const n of ns) completion[String(n.namespace_id)] ??= {};
  for (const c of cols) {
    const schema = String(c.table_schema ?? c.TABLE_SCHEMA);
    const table = String(c.table_name ?? c.TABLE_NAME);
    const col = String(c.column_name ?? c.COLUMN_NAME);
    ((completion[schema] ??= {})[table] ??= []).push(col);
  }
  const out: Catalog = {
    namespaces: ns.map((n) => String(n.namespace_id)),
    tables: tables.map((t) => ({
      namespace: String(t.namespace_id),
      name: String(t.table_name),
      type: String(t.table_type),
      storage: String(t.storage_id ?? ""),
      primaryKey: (t.primary_key as string) ?? null,
      options: t,
    })),
    completion,
  };
  catalog.set(out);
  return out;
}
