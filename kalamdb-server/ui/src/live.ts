// The console's live query client: one WebSocket to /v1/ws, the same
// protocol every client speaks, authenticated by the session cookie and
// the CSRF token. When the socket drops it reconnects with a growing
// delay and subscribes again to everything that was subscribed, starting
// each from a fresh snapshot.
import { auth, csrfToken, expire, reachable, refresh, type Column } from "./api";
import { parseJSON } from "./json";
import { Store } from "./store";

export type Row = Record<string, unknown>;

export interface Handlers {
  // A fresh start (first subscription, or after a reconnect): forget rows.
  reset(schema: Column[]): void;
  batch(rows: Row[], ready: boolean): void;
  change(type: "insert" | "update" | "delete", rows: Row[], old: Row[]): void;
  error(code: string, message: string): void;
}

interface Sub {
  id: string;
  sql: string;
  handlers: Handlers;
}

export type LiveState = "offline" | "connecting" | "open";

class LiveClient {
  readonly state = new Store<LiveState>("offline");
  private ws: WebSocket | null = null;
  private subs = new Map<string, Sub>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, "signed out");
    this.ws = null;
    this.subs.clear();
    this.state.set("offline");
  }

  subscribe(sql: string, handlers: Handlers): () => void {
    const id = "c" + Math.random().toString(36).slice(2, 10);
    const sub = { id, sql, handlers };
    this.subs.set(id, sub);
    if (this.state.get() === "open") this.sendSubscribe(sub);
    return () => {
      this.subs.delete(id);
      if (this.state.get() === "open") this.send({ type: "unsubscribe", subscription_id: id });
    };
  }

  private send(m: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private sendSubscribe(s: Sub) {
    this.send({ type: "subscribe", subscription: { id: s.id, sql: s.sql, options: { batch_size: 1000 } } });
  }

  private connect() {
    if (this.stopped) return;
    this.state.set("connecting");
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/ws";
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let refused = false;
    ws.onopen = () => ws.send(JSON.stringify({ type: "authenticate", method: "cookie", token: csrfToken() }));
    ws.onmessage = (ev) => {
      const m = parseJSON(String(ev.data));
      switch (m.type) {
        case "auth_success":
          this.retry = 0;
          reachable.set(true);
          this.state.set("open");
          for (const s of this.subs.values()) this.sendSubscribe(s);
          break;
        case "auth_error":
          // Most likely an expired access token: renew the session, and
          // the reconnect uses the new cookie.
          refused = true;
          void refresh().then((ok) => {
            if (!ok && auth.get().state === "signed-in") expire();
          });
          break;
        case "subscription_ack": {
          const s = this.subs.get(m.subscription_id);
          s?.handlers.reset(m.schema ?? []);
          break;
        }
        case "initial_data_batch": {
          const s = this.subs.get(m.subscription_id);
          if (!s) break;
          const ready = m.batch_control?.status === "ready" || !m.batch_control?.has_more;
          s.handlers.batch(m.rows ?? [], ready);
          if (m.batch_control?.has_more) this.send({ type: "next_batch", subscription_id: s.id });
          break;
        }
        case "change": {
          const s = this.subs.get(m.subscription_id);
          s?.handlers.change(m.change_type, m.rows ?? [], m.old_values ?? []);
          break;
        }
        case "error": {
          const s = this.subs.get(m.subscription_id);
          s?.handlers.error(m.code, m.message);
          break;
        }
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // A socket that drops (or cannot open) means the server went away:
      // the banner shows until it is back.
      if (!refused) reachable.set(false);
      this.state.set("connecting");
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect() {
    clearTimeout(this.timer);
    const delay = Math.min(5000, 250 * 2 ** this.retry++);
    this.timer = setTimeout(() => {
      if (auth.get().state === "signed-in") this.connect();
      else this.scheduleReconnect();
    }, delay);
  }
}

export const live = new LiveClient();
