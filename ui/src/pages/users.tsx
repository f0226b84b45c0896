// Admin: the staff accounts. Invite a colleague (who gets an email to choose a password); per
// account change the role, disable or enable, reset two-factor sign-in, force a new password;
// and the incident step of the guide: force a new password for everyone.
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { userState } from "../admin";
import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import { Field, Notice, Page, ProblemAlert, Submit, Table } from "../components";
import { confirmAction } from "../confirm";
import { formatTime } from "../format";
import { useLoad, useSubmit } from "../hooks";
import { t } from "../messages";

type Role = Schemas["Role"];
type User = Schemas["AdminUserOut"];
const ROLES: Role[] = ["staff", "auditor", "admin"];

function RoleSelect({ id, value, onChange }: { id: string; value: Role; onChange: (role: Role) => void }): JSX.Element {
  return (
    <div class="field">
      <label for={id}>{t("users.role")}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.currentTarget.value as Role)}>
        {ROLES.map((item) => (
          <option key={item} value={item}>
            {t(`role.${item}`)}
          </option>
        ))}
      </select>
    </div>
  );
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
        <RoleSelect id="field-role" value={role} onChange={setRole} />
        <Submit busy={busy}>{t("users.invite_submit")}</Submit>
      </form>
    </section>
  );
}

/** The guide's incident step: every enabled account, this one too, must choose a new password. */
function ResetEveryone({ onDone }: { onDone: () => void }): JSX.Element {
  const { busy, problem, submit } = useSubmit();
  const reset = submit(async () => {
    await call(api.POST("/api/users/force-password-reset"));
    // This session has ended too: the next call returns to sign-in, saying so.
    onDone();
  });
  return (
    <section aria-labelledby="reset-all">
      <h2 id="reset-all">{t("users.reset_all_title")}</h2>
      <p>{t("users.reset_all_intro")}</p>
      <ProblemAlert problem={problem} />
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => {
          void confirmAction(t("users.reset_all_confirm"), t("users.reset_all")).then((yes) => yes && reset());
        }}
      >
        {t("users.reset_all")}
      </button>
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
      {users.data?.length === 0 && <p>{t("users.empty")}</p>}
      {users.data && users.data.length > 0 && (
        <Table caption={t("users.title")} headers={[t("users.name"), t("users.email"), t("users.role"), t("users.two_factor"), t("users.state")]}>
          {users.data.map((user) => (
            <tr key={user.id}>
              <td>
                <a href={`#/users/${user.id}`}>{user.name}</a>
              </td>
              <td>{user.email}</td>
              <td>{t(`role.${user.role}`)}</td>
              <td>{user.two_factor_enabled ? t("users.yes") : t("users.no")}</td>
              <td>{t(userState(user))}</td>
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
      <ResetEveryone onDone={users.reload} />
    </Page>
  );
}

function ChangeRole({ user, onChanged }: { user: User; onChanged: (message: string) => void }): JSX.Element {
  const [role, setRole] = useState<Role>(user.role);
  const { busy, problem, submit } = useSubmit();
  const save = submit(async () => {
    const path = { params: { path: { user_id: user.id } } };
    const changed = await call(api.PATCH("/api/users/{user_id}", { ...path, body: { role } }));
    onChanged(t("user.role_changed", { name: changed.name, role: t(`role.${changed.role}`) }));
  });
  return (
    <form class="inline" onSubmit={save} noValidate>
      <ProblemAlert problem={problem} />
      <RoleSelect id="user-role" value={role} onChange={setRole} />
      <Submit busy={busy}>{t("user.change_role")}</Submit>
    </form>
  );
}

export function UserPage({ id, me }: { id: number; me: number }): JSX.Element {
  const path = { params: { path: { user_id: id } } };
  const user = useLoad(() => call(api.GET("/api/users/{user_id}", { params: { path: { user_id: id } } })), [id]);
  const [done, setDone] = useState<string | null>(null);
  const action = useSubmit();
  /** Run an action after the person confirms it (when it needs confirming), then say so. */
  const act = (ask: { question: string; yes: string } | null, message: string, work: () => Promise<unknown>) => () => {
    void (ask ? confirmAction(ask.question, ask.yes) : Promise.resolve(true)).then(
      (yes) =>
        yes &&
        action.submit(async () => {
          setDone(null);
          await work();
          setDone(message);
          user.reload();
        })(),
    );
  };
  const data = user.data;
  const self = data?.id === me;
  const disabled = Boolean(data?.deleted_at);
  return (
    <Page title={data ? data.name : t("users.title")}>
      <p>
        <a href="#/users">{t("user.back")}</a>
      </p>
      {done && <Notice>{done}</Notice>}
      <ProblemAlert problem={user.problem ?? action.problem} />
      {user.loading && !data && <p role="status">{t("app.loading")}</p>}
      {data && (
        <>
          <dl class="details">
            <div><dt>{t("users.email")}</dt><dd>{data.email}</dd></div>
            <div><dt>{t("users.role")}</dt><dd>{t(`role.${data.role}`)}</dd></div>
            <div><dt>{t("users.state")}</dt><dd>{t(userState(data))}</dd></div>
            <div><dt>{t("users.two_factor")}</dt><dd>{data.two_factor_enabled ? t("users.yes") : t("users.no")}</dd></div>
            <div><dt>{t("user.last_login")}</dt><dd>{data.last_login_at ? formatTime(data.last_login_at) : t("user.never")}</dd></div>
            <div><dt>{t("user.created")}</dt><dd>{formatTime(data.created_at)}</dd></div>
            {data.must_change_password && (
              <div><dt>{t("user.password")}</dt><dd>{t("user.must_change_password")}</dd></div>
            )}
          </dl>
          <section aria-labelledby="user-role-title">
            <h2 id="user-role-title">{t("user.role_title")}</h2>
            <ChangeRole key={data.role} user={data} onChanged={(message) => { setDone(message); user.reload(); }} />
          </section>
          <section aria-labelledby="user-actions">
            <h2 id="user-actions">{t("user.actions")}</h2>
            {self && <p class="hint">{t("user.self_warning")}</p>}
            <div class="actions">
              {!disabled && (
                <button
                  type="button"
                  class="danger"
                  disabled={action.busy}
                  onClick={act({ question: t("user.disable_confirm", { name: data.name }), yes: t("user.disable") }, t("user.disabled", { name: data.name }), () =>
                    call(api.POST("/api/users/{user_id}/disable", path)),
                  )}
                >
                  {t("user.disable")}
                </button>
              )}
              {disabled && (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={act(null, t("user.enabled", { name: data.name }), () => call(api.POST("/api/users/{user_id}/enable", path)))}
                >
                  {t("user.enable")}
                </button>
              )}
              {data.two_factor_enabled && (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={act({ question: t("user.reset_2fa_confirm", { name: data.name }), yes: t("user.reset_2fa") }, t("user.reset_2fa_done", { name: data.name }), () =>
                    call(api.POST("/api/users/{user_id}/reset-2fa", path)),
                  )}
                >
                  {t("user.reset_2fa")}
                </button>
              )}
              {!disabled && (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={act({ question: t("user.reset_password_confirm", { name: data.name }), yes: t("user.reset_password") }, t("user.reset_password_done", { email: data.email }), () =>
                    call(api.POST("/api/users/{user_id}/force-password-reset", path)),
                  )}
                >
                  {t("user.reset_password")}
                </button>
              )}
            </div>
          </section>
        </>
      )}
    </Page>
  );
}
