// Users: create, change role or password, delete (never yourself).
import { useEffect, useState } from "preact/hooks";
import { ApiError, auth, quoteLiteral, sql, type Column } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { Grid } from "../components/Grid";
import { useStore } from "../store";

const ROLES = ["user", "service", "dba", "system"];

export function Users() {
  const a = useStore(auth);
  const me = a.state === "signed-in" ? a.user : null;
  const [data, setData] = useState<{ columns: Column[]; rows: unknown[][] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("user");
  const [email, setEmail] = useState("");
  const [editing, setEditing] = useState<{ user: string; kind: "role" | "password"; value: string } | null>(null);
  // The user whose delete button was pressed once: a second press deletes.
  const [deleting, setDeleting] = useState<string | null>(null);

  const load = async () => {
    try {
      const ans = await sql("SELECT username, role, email, user_id, created_at, updated_at, last_seen FROM system.users ORDER BY username");
      const r = ans.results[0];
      setData({ columns: r.schema ?? [], rows: r.rows ?? [] });
    } catch (e) {
      setError(e as ApiError);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const exec = async (text: string, done: string) => {
    setError(null);
    setNotice("");
    try {
      await sql(text);
      setNotice(done);
      await load();
      return true;
    } catch (e) {
      setError(e as ApiError);
      return false;
    }
  };

  const create = async (e: Event) => {
    e.preventDefault();
    let text = `CREATE USER ${quoteLiteral(name)} WITH PASSWORD ${quoteLiteral(password)} ROLE ${role}`;
    if (email) text += ` EMAIL ${quoteLiteral(email)}`;
    if (await exec(text, `User ${name} created.`)) {
      setName("");
      setPassword("");
      setEmail("");
    }
  };

  const apply = async () => {
    if (!editing) return;
    const text =
      editing.kind === "role"
        ? `ALTER USER ${quoteLiteral(editing.user)} SET ROLE ${ROLES.includes(editing.value) ? editing.value : "user"}`
        : `ALTER USER ${quoteLiteral(editing.user)} SET PASSWORD ${quoteLiteral(editing.value)}`;
    if (await exec(text, editing.kind === "role" ? `${editing.user} is now ${editing.value}.` : `${editing.user}'s password changed.`)) setEditing(null);
  };

  return (
    <section class="users">
      <form onSubmit={create} data-testid="create-user">
        <fieldset class="grid4">
          <input placeholder="user name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} aria-label="user name" data-testid="new-user-name" />
          <input placeholder="password" type="password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} aria-label="password" data-testid="new-user-password" autocomplete="new-password" />
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)} aria-label="role" data-testid="new-user-role">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <input placeholder="email (optional)" type="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} aria-label="email" />
        </fieldset>
        <button type="submit" data-testid="create-user-submit">
          Create user
        </button>
      </form>
      {notice && (
        <p class="notice" data-testid="notice">
          {notice}
        </p>
      )}
      {error && <ErrorBox error={error} />}
      {editing && (
        <div class="edit-bar" role="group">
          <span>
            {editing.kind === "role" ? "Role of" : "New password for"} <strong>{editing.user}</strong>
          </span>
          {editing.kind === "role" ? (
            <select value={editing.value} onChange={(e) => setEditing({ ...editing, value: (e.target as HTMLSelectElement).value })} data-testid="edit-role">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          ) : (
            <input type="password" value={editing.value} onInput={(e) => setEditing({ ...editing, value: (e.target as HTMLInputElement).value })} data-testid="edit-password" autocomplete="new-password" />
          )}
          <button onClick={apply} data-testid="edit-apply">
            Apply
          </button>
          <button class="secondary outline" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </div>
      )}
      {data && (
        <Grid
          columns={data.columns}
          rows={data.rows}
          testId="users"
          actions={(row) => {
            const user = String(row[0]);
            const self = me?.username === user;
            return (
              <span class="row-actions">
                <button class="small outline" data-testid={`role-user-${user}`} disabled={user === "root" || self} onClick={() => setEditing({ user, kind: "role", value: String(row[1]) })}>
                  role
                </button>
                <button class="small outline" data-testid={`password-user-${user}`} onClick={() => setEditing({ user, kind: "password", value: "" })}>
                  password
                </button>
                <button
                  class={deleting === user ? "small danger" : "small outline danger"}
                  data-testid={`delete-user-${user}`}
                  disabled={self || user === "root"}
                  title={self ? "You cannot delete yourself" : undefined}
                  onClick={() => {
                    if (deleting !== user) {
                      setDeleting(user);
                      return;
                    }
                    setDeleting(null);
                    void exec(`DROP USER ${quoteLiteral(user)}`, `User ${user} deleted.`);
                  }}
                >
                  {deleting === user ? "really delete?" : "delete"}
                </button>
              </span>
            );
          }}
        />
      )}
    </section>
  );
}
