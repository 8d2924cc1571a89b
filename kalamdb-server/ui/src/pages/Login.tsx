// Sign-in, and the first-run set-up when the server needs one.
import { useEffect, useState } from "preact/hooks";
import { ApiError, login, setup, setupStatus } from "../api";
import { ErrorBox } from "../components/ErrorBox";

function Setup({ onDone }: { onDone: (msg: string, user: string) => void }) {
  const [user, setUser] = useState("admin");
  const [password, setPassword] = useState("");
  const [rootPassword, setRootPassword] = useState("");
  const [email, setEmail] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await setup({ user, password, root_password: rootPassword, email: email || undefined }), user);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} data-testid="setup-form">
      <h2>Set up KalamDB</h2>
      <p>
        Root has no password yet. Choose one, and create a <code>dba</code> user for everyday administration. This page is served only on the
        server's own machine, and only until root has a password.
      </p>
      <label>
        Root password
        <input type="password" required value={rootPassword} onInput={(e) => setRootPassword((e.target as HTMLInputElement).value)} autocomplete="new-password" data-testid="setup-root-password" />
      </label>
      <label>
        dba user name
        <input required value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} autocomplete="username" data-testid="setup-user" />
      </label>
      <label>
        dba password
        <input type="password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} autocomplete="new-password" data-testid="setup-password" />
      </label>
      <label>
        Email (optional)
        <input type="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
      </label>
      {error && <ErrorBox error={error} />}
      <button type="submit" aria-busy={busy} disabled={busy} data-testid="setup-submit">
        Set up
      </button>
    </form>
  );
}

export function Login({ reason }: { reason?: string }) {
  const [needsSetup, setNeedsSetup] = useState<boolean | null>(null);
  const [notice, setNotice] = useState(reason ?? "");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setupStatus().then(
      (s) => setNeedsSetup(!!s?.needs_setup),
      () => setNeedsSetup(false),
    );
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(user, password);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="container login">
      <article>
        <h1 class="brand">KalamDB</h1>
        {needsSetup === null ? (
          <p aria-busy="true">…</p>
        ) : needsSetup ? (
          <Setup
            onDone={(msg, u) => {
              setNotice(msg);
              setUser(u);
              setNeedsSetup(false);
            }}
          />
        ) : (
          <form onSubmit={submit} data-testid="login-form">
            <h2>Sign in</h2>
            {notice && (
              <p class="notice" data-testid="login-notice">
                {notice}
              </p>
            )}
            <label>
              User
              <input required value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} autocomplete="username" data-testid="login-user" />
            </label>
            <label>
              Password
              <input type="password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} autocomplete="current-password" data-testid="login-password" />
            </label>
            {error && <ErrorBox error={error} />}
            <button type="submit" aria-busy={busy} disabled={busy} data-testid="login-submit">
              Sign in
            </button>
            <p>
              <small>The console is for dba and system users.</small>
            </p>
          </form>
        )}
      </article>
    </main>
  );
}
