// Admin: the staff accounts, and inviting a colleague (who gets an email to choose a password).
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import { Field, Notice, Page, ProblemAlert, Submit, Table } from "../components";
import { useLoad, useSubmit } from "../hooks";
import { t } from "../messages";

type Role = Schemas["Role"];
const ROLES: Role[] = ["staff", "auditor", "admin"];

function state(user: Schemas["AdminUserOut"]): string {
  if (user.deleted_at) return t("users.state_disabled");
  if (user.locked_until && new Date(user.locked_until) > new Date()) return t("users.state_locked");
  if (!user.last_login_at) return t("users.state_invited");
  return t("users.state_active");
}

function Invite({ onInvited }: { onInvited: (email: string) => void }): JSX.Element {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("staff");
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    await call(api.POST("/api/users", { body: { email, name, role } }));
    onInvited(email);
    setEmail("");
    setName("");
  });
  return (
    <section aria-labelledby="invite">
      <h2 id="invite">{t("users.invite_title")}</h2>
      <ProblemAlert problem={problem} />
      <form onSubmit={send} noValidate>
        <Field name="name" label={t("users.name")} value={name} onInput={setName} problem={problem} />
        <Field name="email" label={t("users.email")} type="email" value={email} onInput={setEmail} problem={problem} inputMode="email" />
        <div class="field">
          <label for="field-role">{t("users.role")}</label>
          <select id="field-role" value={role} onChange={(event) => setRole(event.currentTarget.value as Role)}>
            {ROLES.map((item) => (
              <option key={item} value={item}>
                {t(`role.${item}`)}
              </option>
            ))}
          </select>
        </div>
        <Submit busy={busy}>{t("users.invite_submit")}</Submit>
      </form>
    </section>
  );
}

export function Users(): JSX.Element {
  const users = useLoad(() => call(api.GET("/api/users")), []);
  const [invited, setInvited] = useState<string | null>(null);
  return (
    <Page title={t("users.title")}>
      {invited && <Notice>{t("users.invited", { email: invited })}</Notice>}
      <ProblemAlert problem={users.problem} />
      {users.loading && !users.data && <p role="status">{t("app.loading")}</p>}
      {users.data && (
        <Table caption={t("users.title")} headers={[t("users.name"), t("users.email"), t("users.role"), t("users.two_factor"), t("users.state")]}>
              {users.data.map((user) => (
                <tr key={user.id}>
                  <td>{user.name}</td>
                  <td>{user.email}</td>
                  <td>{t(`role.${user.role}`)}</td>
                  <td>{user.two_factor_enabled ? t("users.yes") : t("users.no")}</td>
                  <td>{state(user)}</td>
                </tr>
              ))}
        </Table>
      )}
      <Invite
        onInvited={(email) => {
          setInvited(email);
          users.reload();
        }}
      />
    </Page>
  );
}
