// The console's shell: sign-in or the pages, the navigation, and the
// banner shown while the server cannot be reached.
import { useEffect, useState } from "preact/hooks";
import { auth, health, logout, reachable, restore } from "./api";
import { live } from "./live";
import { Browse } from "./pages/Browse";
import { Dashboard } from "./pages/Dashboard";
import { Jobs } from "./pages/Jobs";
import { LiveQueries } from "./pages/LiveQueries";
import { LiveView } from "./pages/LiveView";
import { Login } from "./pages/Login";
import { Storages } from "./pages/Storages";
import { Studio } from "./pages/Studio";
import { Users } from "./pages/Users";
import { loadCatalog } from "./schema";
import { useStore } from "./store";

const PAGES = [
  ["studio", "SQL studio", Studio],
  ["browse", "Tables", Browse],
  ["users", "Users", Users],
  ["storages", "Storages", Storages],
  ["jobs", "Jobs", Jobs],
  ["live-queries", "Live queries", LiveQueries],
  ["live", "Live view", LiveView],
  ["dashboard", "Dashboard", Dashboard],
] as const;

type PageId = (typeof PAGES)[number][0];

function pageFromHash(): PageId {
  const h = location.hash.replace(/^#\/?/, "");
  return (PAGES.find((p) => p[0] === h)?.[0] ?? "studio") as PageId;
}

function Banner() {
  const ok = useStore(reachable);
  // While the server is away, look for it every second and a half.
  useEffect(() => {
    if (ok) return;
    const t = setInterval(() => void health(), 1500);
    return () => clearInterval(t);
  }, [ok]);
  if (ok) return null;
  return (
    <div class="banner" role="status" data-testid="banner">
      The server cannot be reached. Reconnecting…
    </div>
  );
}

export function App() {
  const a = useStore(auth);
  const [page, setPage] = useState<PageId>(pageFromHash);

  useEffect(() => {
    void restore();
    const onHash = () => setPage(pageFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (a.state === "signed-in") {
      live.start();
      void loadCatalog().catch(() => undefined);
    } else {
      live.stop();
    }
  }, [a.state]);

  if (a.state === "unknown") return <main class="container" aria-busy="true" />;
  if (a.state === "signed-out") {
    return (
      <>
        <Banner />
        <Login reason={a.reason} />
      </>
    );
  }
  const Page = PAGES.find((p) => p[0] === page)![2];
  return (
    <>
      <Banner />
      <header class="topbar">
        <nav>
          <ul>
            <li>
              <strong class="brand">KalamDB</strong>
            </li>
          </ul>
          <ul class="tabs">
            {PAGES.map(([id, label]) => (
              <li key={id}>
                <a href={"#/" + id} aria-current={id === page ? "page" : undefined} data-testid={"nav-" + id}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
          <ul>
            <li>
              <span data-testid="whoami">
                {a.user.username} <small>({a.user.role})</small>
              </span>
            </li>
            <li>
              <button class="outline secondary small" onClick={() => void logout()} data-testid="logout">
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container-fluid page">
        <Page />
      </main>
    </>
  );
}
