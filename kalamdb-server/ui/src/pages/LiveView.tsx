// The live view: subscribe to a SELECT and watch inserts, updates and
// deletes arrive, highlighted, over /v1/ws.
import { useState } from "preact/hooks";
import { LiveGrid } from "../components/LiveGrid";

const KEY = "kalamdb.console.live";

export function LiveView() {
  const [text, setText] = useState(localStorage.getItem(KEY) ?? "SELECT * FROM system.jobs");
  const [active, setActive] = useState<string | null>(null);
  return (
    <section class="live-view">
      <form
        role="group"
        onSubmit={(e) => {
          e.preventDefault();
          localStorage.setItem(KEY, text);
          setActive(text.trim() || null);
        }}
      >
        <input value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} aria-label="live query" data-testid="live-sql" />
        <button type="submit" data-testid="live-subscribe">
          Subscribe
        </button>
        {active && (
          <button type="button" class="secondary" onClick={() => setActive(null)} data-testid="live-stop">
            Stop
          </button>
        )}
      </form>
      <p>
        <small>One table, no joins or ordering: SELECT cols FROM ns.table [WHERE …]. Rows flash green when inserted, yellow when updated, red when deleted.</small>
      </p>
      {active && <LiveGrid key={active} sql={active} testId="live" />}
    </section>
  );
}
