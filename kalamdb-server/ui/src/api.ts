// The console's client of the HTTP API. It signs in with a cookie session
// (the tokens stay in HttpOnly cookies), sends the session's anti-CSRF
// token with every request, refreshes the session before it expires and
// once more when a request finds it expired, and reports whether the
// server can be reached.
import { parseJSON, stringifyJSON } from "./json";
import { Store } from "./store";

export type Role = "user" | "service" | "dba" | "system";

export interface User {
  id: string;
  username: string;
  role: Role;
  email: string | null;
}

export interface Column {
  name: string;
  data_type: string;
  index: number;
}

export interface Result {
  schema?: Column[];
  rows?: unknown[][];
  row_count?: number;
  message?: string;
  as_user?: string;
  // Set by the console: how many rows the server sent before capping.
  total_rows?: number;
}

export interface QueryAnswer {
  results: Result[];
  took: number;
}

export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
    public status = 0,
    public details: { position?: number; line?: number; column?: number; field?: string } | null = null,
  ) {
    super(message);
  }
}

// The grid's cap: the console keeps at most this many rows of a result.
export const MAX_ROWS = 10_000;

export type Auth =
  | { state: "unknown" }
  | { state: "signed-out"; reason?: string }
  | { state: "signed-in"; user: User; adminUI: boolean };

export const auth = new Store<Auth>({ state: "unknown" });
// Whether the server answered the last request (false: banner).
export const reachable = new Store<boolean>(true);

let csrf = "";
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;

export function csrfToken(): string {
  return csrf;
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { "X-KalamDB-Session": "cookie" };
  if (json) h["Content-Type"] = "application/json";
  if (csrf) h["X-KalamDB-CSRF"] = csrf;
  return h;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  try {
    const resp = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : stringifyJSON(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    reachable.set(true);
    return resp;
  } catch {
    reachable.set(false);
    throw new ApiError("NETWORK", "The server cannot be reached.");
  }
}

function errorOf(status: number, body: any): ApiError {
  const e = body?.error;
  if (e && typeof e.code === "string") return new ApiError(e.code, e.message ?? e.code, status, e.details ?? null);
  return new ApiError(`HTTP_${status}`, `The server answered HTTP ${status}.`, status);
}

async function readJSON(resp: Response): Promise<any> {
  const text = await resp.text();
  if (!text) return null;
  try {
    return parseJSON(text);
  } catch {
    return null;
  }
}

// call sends a JSON request; a 401 refreshes the session once and retries.
async function call(method: string, path: string, body?: unknown, retry = true): Promise<any> {
  const resp = await send(method, path, body);
  if (resp.status === 401 && retry && auth.get().state === "signed-in") {
    if (await refresh()) return call(method, path, body, false);
  }
  const data = await readJSON(resp);
  if (!resp.ok) {
    const err = errorOf(resp.status, data);
    if (resp.status === 401 && auth.get().state === "signed-in") expire();
    throw err;
  }
  return data;
}

// expire ends a session the server no longer honours: back to sign-in,
// with a notice (the pages keep their drafts in local storage).
export function expire() {
  csrf = "";
  clearTimeout(refreshTimer);
  auth.set({ state: "signed-out", reason: "Your session has expired. Sign in again; your work is kept." });
}

// startSession records a signed-in session and schedules its refresh at
// four fifths of the access token's life.
function startSession(data: any) {
  csrf = data.csrf_token ?? "";
  const user: User = data.user;
  clearTimeout(refreshTimer);
  const exp = Date.parse(data.expires_at ?? "");
  if (!Number.isNaN(exp)) {
    const wait = Math.max(5_000, (exp - Date.now()) * 0.8);
    refreshTimer = setTimeout(() => void refresh(), Math.min(wait, 2 ** 31 - 1));
  }
  auth.set({ state: "signed-in", user, adminUI: !!data.admin_ui_access });
}

export async function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const resp = await send("POST", "/v1/api/auth/refresh");
        const data = await readJSON(resp);
        if (!resp.ok) return false;
        startSession(data);
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

// restore finds out, at start, whether the browser still has a session.
export async function restore(): Promise<void> {
  try {
    const resp = await send("GET", "/v1/api/auth/me");
    if (resp.ok) {
      const me = await readJSON(resp);
      if (me.admin_ui_access && me.csrf_token) {
        startSession({ user: me, admin_ui_access: true, csrf_token: me.csrf_token });
        // /me does not say when the access token expires: renew now,
        // which schedules the next renewal.
        await refresh();
        return;
      }
    } else if (resp.status === 401 && (await refresh())) {
      return;
    }
  } catch {
    // unreachable: the banner says so; show the sign-in page meanwhile
  }
  auth.set({ state: "signed-out" });
}

export async function login(user: string, password: string): Promise<void> {
  const data = await call("POST", "/v1/api/auth/login", { user, password }, false);
  startSession(data);
}

export async function logout(): Promise<void> {
  try {
    await call("POST", "/v1/api/auth/logout", undefined, false);
  } finally {
    csrf = "";
    clearTimeout(refreshTimer);
    auth.set({ state: "signed-out", reason: "Signed out." });
  }
}

export interface SetupStatus {
  needs_setup: boolean;
  message: string;
}

// setupStatus is null when the server does not offer set-up to this
// client (it is not on the server's machine).
export async function setupStatus(): Promise<SetupStatus | null> {
  const resp = await send("GET", "/v1/api/auth/status");
  if (!resp.ok) return null;
  return readJSON(resp);
}

export async function setup(req: { user: string; password: string; root_password: string; email?: string }): Promise<string> {
  const data = await call("POST", "/v1/api/auth/setup", req, false);
  return data.message;
}

let worker: Worker | null = null;
let workerSeq = 0;
const pending = new Map<number, { resolve: (v: any) => void; reject: (e: unknown) => void }>();

// parseLarge parses an answer in a worker, capping each result's rows.
function parseLarge(text: string): Promise<any> {
  if (!worker) {
    worker = new Worker(new URL("./parse.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data.body);
      else p.reject(new ApiError("INVALID_ANSWER", "The server's answer could not be read: " + e.data.error));
    };
  }
  const id = ++workerSeq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker!.postMessage({ id, text, maxRows: MAX_ROWS });
  });
}

// Answers up to this size are parsed on the main thread; it is quick.
const WORKER_THRESHOLD = 256 * 1024;

// sql runs a batch. Results are capped at MAX_ROWS rows each.
export async function sql(text: string, params?: unknown[], retry = true): Promise<QueryAnswer> {
  const body: Record<string, unknown> = { sql: text };
  if (params && params.length) body.params = params;
  const resp = await send("POST", "/v1/api/sql", body);
  if (resp.status === 401 && retry && auth.get().state === "signed-in") {
    if (await refresh()) return sql(text, params, false);
  }
  const raw = await resp.text();
  let data: any = null;
  try {
    if (raw.length > WORKER_THRESHOLD) {
      data = await parseLarge(raw);
    } else {
      data = raw ? parseJSON(raw) : null;
      for (const r of data?.results ?? []) {
        if (Array.isArray(r.rows)) {
          r.total_rows = r.rows.length;
          if (r.rows.length > MAX_ROWS) r.rows = r.rows.slice(0, MAX_ROWS);
        }
      }
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
  }
  if (!resp.ok || data?.status !== "success") {
    const err = errorOf(resp.status, data);
    if (resp.status === 401 && auth.get().state === "signed-in") expire();
    throw err;
  }
  return { results: data.results ?? [], took: data.took ?? 0 };
}

// rowsOf runs one statement and returns its rows as objects.
export async function rowsOf(text: string, params?: unknown[]): Promise<Record<string, any>[]> {
  const ans = await sql(text, params);
  const r = ans.results[0];
  if (!r?.schema || !r.rows) return [];
  return r.rows.map((row) => Object.fromEntries(r.schema!.map((c, i) => [c.name, row[i]])));
}

// metrics fetches the server's Prometheus text (loopback clients only,
// unless the operator opened it).
export async function metrics(): Promise<string> {
  const resp = await send("GET", "/metrics");
  if (!resp.ok) throw errorOf(resp.status, await readJSON(resp));
  return resp.text();
}

export async function health(): Promise<{ version: string } | null> {
  try {
    const resp = await send("GET", "/health");
    return resp.ok ? readJSON(resp) : null;
  } catch {
    return null;
  }
}

// Quoting for SQL the console builds from names it was given.
export function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function ident(s: string): string {
  if (!IDENT.test(s)) throw new ApiError("INVALID_INPUT", `"${s}" is not a plain identifier`);
  return s;
}
