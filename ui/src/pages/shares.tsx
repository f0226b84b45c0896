// Shares: open a vault to its customer or a third party (link by email, code by another
// channel), then follow the deliveries' status, read the access log, resend, extend, revoke.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { call, ProblemError } from "../api/call";
import { api, type Schemas } from "../api/client";
import { Field, LanguageOptions, Notice, Page, Pager, ProblemAlert, Submit, Table } from "../components";
import { confirmAction } from "../confirm";
import { formatTime } from "../format";
import { useLoad, usePagedList, useSubmit } from "../hooks";
import { t } from "../messages";
import { navigate } from "../router";

type Share = Schemas["ShareOut"];
type Channel = Schemas["CodeChannel"];
type Permission = Schemas["Permission"];
type Delivery = Schemas["DeliveryOut"];
type Language = Share["language"];
type StoredFile = Schemas["FileOut"];
const CHANNELS: Channel[] = ["sms", "postal", "email"];
const SHARES_PAGE = 25;
const SETTLED = new Set(["sent", "delivered", "failed", "dead"]);
const DELIVERY_STATES = ["queued", "published", "retrying", "sent", "delivered", "failed", "dead"] as const;
const ACCESS_EVENTS = ["view", "code", "download", "upload", "logout"] as const;

/** A word for a value the API names, or the value itself when the catalogue has none. */
function named<T extends string>(known: readonly T[], value: string, word: (item: T) => string): string {
  return (known as readonly string[]).includes(value) ? word(value as T) : value;
}

/** The end of the chosen day where the viewer is, as the API wants it (with a time zone). */
export function endOfDay(date: string): string {
  return new Date(`${date}T23:59:00`).toISOString();
}

function inDays(days: number): string {
  const day = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

export function VaultShares({ vaultId }: { vaultId: number }): JSX.Element {
  const shares = usePagedList(
    (window) => call(api.GET("/api/vaults/{vault_id}/shares", { params: { path: { vault_id: vaultId }, query: { limit: window.limit, offset: window.offset } } })),
    SHARES_PAGE,
    [vaultId],
  );
  return (
    <section aria-labelledby="shares">
      <h2 id="shares">{t("shares.title")}</h2>
      <ProblemAlert problem={shares.problem} />
      {shares.data?.length === 0 && <p>{t("shares.empty")}</p>}
      {shares.data && shares.data.length > 0 && (
        <ul>
          {shares.data.map((share) => (
            <li key={share.id}>
              <a href={`#/shares/${share.id}`}>{t("shares.with", { name: share.recipient_name })}</a>{" "}
              <span class="muted">
                {t(`share.status.${share.status}`)} · {t("shares.until", { when: formatTime(share.expires_at) })}
              </span>
            </li>
          ))}
        </ul>
      )}
      {shares.large && <Pager label={t("shares.pages")} page={shares.page} hasNext={shares.hasNext} go={shares.go} />}
    </section>
  );
}

/** Whole vault, or chosen documents: the ids of the documents ticked. */
function ChooseFiles({
  files,
  chosen,
  onChange,
}: {
  files: StoredFile[];
  chosen: string[] | null;
  onChange: (chosen: string[] | null) => void;
}): JSX.Element {
  const tick = (id: string) => (): void => {
    const now = chosen ?? [];
    onChange(now.includes(id) ? now.filter((item) => item !== id) : [...now, id]);
  };
  return (
    <fieldset>
      <legend>{t("share.what")}</legend>
      <label class="choice">
        <input type="radio" name="share-what" checked={chosen === null} onChange={() => onChange(null)} /> {t("share.whole_vault")}
      </label>
      <label class="choice">
        <input type="radio" name="share-what" checked={chosen !== null} onChange={() => onChange(chosen ?? [])} disabled={files.length === 0} /> {t("share.chosen")}
      </label>
      {chosen !== null && (
        <div class="choices" role="group" aria-label={t("share.documents")} aria-describedby="share-choose-hint">
          <p class="hint" id="share-choose-hint">{t("share.choose_hint")}</p>
          {files.map((file) => (
            <label class="choice" key={file.id}>
              <input type="checkbox" checked={chosen.includes(file.id)} onChange={tick(file.id)} /> {file.name}
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}

export function NewShare({ vaultId, files }: { vaultId: number; files: StoredFile[] }): JSX.Element {
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [thirdParty, setThirdParty] = useState(false);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [mobile, setMobile] = useState("");
  const [language, setLanguage] = useState<Language | "">("");
  const [channel, setChannel] = useState<Channel | "">("");
  const [expires, setExpires] = useState(inDays(14));
  const [limit, setLimit] = useState("");
  const [permissions, setPermissions] = useState<Permission[]>(["download"]);
  const [note, setNote] = useState("");
  const { busy, problem, submit } = useSubmit();
  const toggle = (permission: Permission) => (): void =>
    setPermissions(permissions.includes(permission) ? permissions.filter((p) => p !== permission) : [...permissions, permission]);
  const send = submit(async () => {
    // Files deleted since the list was loaded are left out rather than refused.
    const fileIds = chosen?.filter((id) => files.some((file) => file.id === id)) ?? null;
    if (fileIds !== null && fileIds.length === 0) throw new ProblemError({ message: t("share.none_chosen"), fields: [] });
    const created = await call(
      api.POST("/api/vaults/{vault_id}/shares", {
        params: { path: { vault_id: vaultId } },
        body: {
          recipient: thirdParty
            ? { name: name.trim(), email: email.trim(), mobile: mobile.trim() || null, ...(language ? { language } : {}) }
            : null,
          permissions,
          code_channel: channel || null,
          expires_at: endOfDay(expires),
          max_downloads: limit ? Number(limit) : null,
          note: note.trim() || null,
          file_ids: fileIds,
        },
      }),
    );
    navigate(`/shares/${created.id}`);
  });
  return (
    <section aria-labelledby="new-share">
      <h2 id="new-share">{t("share.new")}</h2>
      <ProblemAlert problem={problem} />
      <form onSubmit={send} noValidate>
        <ChooseFiles files={files} chosen={chosen} onChange={setChosen} />
        <fieldset>
          <legend>{t("share.recipient")}</legend>
          <label class="choice">
            <input type="radio" name="recipient" checked={!thirdParty} onChange={() => setThirdParty(false)} /> {t("share.to_customer")}
          </label>
          <label class="choice">
            <input type="radio" name="recipient" checked={thirdParty} onChange={() => setThirdParty(true)} /> {t("share.to_third_party")}
          </label>
          {thirdParty && (
            <>
              <Field name="name" id="share-name" label={t("customer.name")} value={name} onInput={setName} problem={problem} />
              <Field name="email" id="share-email" label={t("customer.email")} type="email" value={email} onInput={setEmail} problem={problem} />
              <Field name="mobile" id="share-mobile" label={t("customer.mobile")} type="tel" value={mobile} onInput={setMobile} problem={problem} required={false} />
              <div class="field">
                <label for="share-language">{t("customer.language")}</label>
                <select id="share-language" value={language} onChange={(event) => setLanguage(event.currentTarget.value as Language | "")}>
                  <LanguageOptions officeDefault />
                </select>
              </div>
            </>
          )}
        </fieldset>
        <div class="field">
          <label for="share-channel">{t("share.channel")}</label>
          <select id="share-channel" value={channel} onChange={(event) => setChannel(event.currentTarget.value as Channel | "")}>
            <option value="">{t("share.channel_default")}</option>
            {CHANNELS.map((item) => (
              <option key={item} value={item}>
                {t(`channel.${item}`)}
              </option>
            ))}
          </select>
        </div>
        <Field name="expires_at" id="share-expires" label={t("share.expires")} type="date" value={expires} onInput={setExpires} problem={problem} />
        <Field name="max_downloads" id="share-limit" label={t("share.limit")} type="number" value={limit} onInput={setLimit} problem={problem} required={false} hint={t("share.limit_hint")} />
        <fieldset>
          <legend>{t("share.permissions")}</legend>
          <label class="choice">
            <input type="checkbox" checked={permissions.includes("download")} onChange={toggle("download")} /> {t("share.permission.download")}
          </label>
          <label class="choice">
            <input type="checkbox" checked={permissions.includes("upload")} onChange={toggle("upload")} /> {t("share.permission.upload")}
          </label>
        </fieldset>
        <div class="field">
          <label for="share-note">{t("share.note")}</label>
          <textarea id="share-note" rows={3} value={note} onInput={(event) => setNote(event.currentTarget.value)} />
        </div>
        <Submit busy={busy}>{t("share.create")}</Submit>
      </form>
    </section>
  );
}

function DeliveryLine({ label, delivery }: { label: string; delivery: Delivery | null | undefined }): JSX.Element {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>{delivery ? named(CHANNELS, delivery.channel, (c) => t(`sent_by.${c}`)) : "—"}</td>
      <td>{delivery?.recipient ?? ""}</td>
      <td>
        {delivery ? named(DELIVERY_STATES, delivery.status, (s) => t(`delivery.${s}`)) : ""}
        {delivery?.last_error ? ` (${delivery.last_error})` : ""}
      </td>
      <td>{delivery ? formatTime(delivery.updated_at) : ""}</td>
    </tr>
  );
}

function AccessLog({ shareId }: { shareId: number }): JSX.Element {
  const log = useLoad(
    () => call(api.GET("/api/shares/{share_id}/access", { params: { path: { share_id: shareId }, query: { limit: 100 } } })),
    [shareId],
  );
  return (
    <section aria-labelledby="access-log">
      <h2 id="access-log">{t("access.title")}</h2>
      <p>
        <a href={`/api/shares/${shareId}/access.csv`} download>
          {t("access.csv")}
        </a>
      </p>
      <ProblemAlert problem={log.problem} />
      {log.data?.items.length === 0 && <p>{t("access.empty")}</p>}
      {log.data && log.data.items.length > 0 && (
        <Table caption={t("access.title")} headers={[t("access.when"), t("access.what"), t("access.outcome"), t("access.file"), t("access.from")]}>
              {log.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.at)}</td>
                  <td>{named(ACCESS_EVENTS, entry.event, (e) => t(`access.event.${e}`))}</td>
                  <td>{entry.outcome === "ok" ? t("access.ok") : entry.outcome.replace(/_/g, " ")}</td>
                  <td>{entry.file_name ?? ""}</td>
                  <td>{entry.ip ?? ""}</td>
                </tr>
              ))}
        </Table>
      )}
    </section>
  );
}

export function SharePage({ id, canEdit }: { id: number; canEdit: boolean }): JSX.Element {
  const path = { params: { path: { share_id: id } } };
  const share = useLoad(() => call(api.GET("/api/shares/{share_id}", { params: { path: { share_id: id } } })), [id]);
  const [code, setCode] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [until, setUntil] = useState(inDays(30));
  const action = useSubmit();
  // Deliveries move from queued to sent in the background: look again until all settle.
  useEffect(() => {
    const messages = [share.data?.link_delivery, share.data?.code_delivery, ...(share.data?.reminder_deliveries ?? [])];
    const pending = messages.some((d) => d && !SETTLED.has(d.status));
    if (!pending) return;
    const timer = setTimeout(share.reload, 2000);
    return () => clearTimeout(timer);
  }, [share.data, share.reload]);
  const run = (message: string, work: () => Promise<Share | Schemas["CodeResentOut"]>) =>
    action.submit(async () => {
      setDone(null);
      setCode(null);
      const answer = await work();
      if ("access_code" in answer) setCode(answer.access_code);
      setDone(message);
      share.reload();
    });
  const data = share.data;
  const open = data?.status === "active" || data?.status === "locked" || data?.status === "exhausted" || data?.status === "expired";
  return (
    <Page title={data ? t("shares.with", { name: data.recipient_name }) : t("shares.title")}>
      {data && (
        <p>
          <a href={`#/vaults/${data.vault_id}`}>{t("share.back")}</a>
        </p>
      )}
      {done && <Notice>{done}</Notice>}
      {code && (
        <Notice>
          {t("share.code_once")} <code class="secret">{code}</code>
        </Notice>
      )}
      <ProblemAlert problem={share.problem ?? action.problem} />
      {share.loading && !data && <p role="status">{t("app.loading")}</p>}
      {data && (
        <>
          <dl class="details">
            <div><dt>{t("share.state")}</dt><dd>{t(`share.status.${data.status}`)}</dd></div>
            <div><dt>{t("share.recipient")}</dt><dd>{data.recipient_name} ({data.recipient_email})</dd></div>
            <div><dt>{t("share.channel")}</dt><dd>{t(`channel.${data.code_channel}`)}</dd></div>
            <div><dt>{t("share.expires")}</dt><dd>{formatTime(data.expires_at)}</dd></div>
            <div><dt>{t("share.downloads")}</dt><dd>{data.max_downloads ? `${data.download_count} / ${data.max_downloads}` : String(data.download_count)}</dd></div>
            <div><dt>{t("share.permissions")}</dt><dd>{data.permissions.map((p) => t(`share.permission.${p}`)).join(", ")}</dd></div>
            <div>
              <dt>{t("share.documents")}</dt>
              <dd>
                {data.whole_vault ? (
                  t("share.documents_all")
                ) : (
                  <ul>
                    {data.files?.map((file) => (
                      <li key={file.lineage}>{file.available ? file.name : t("share.document_deleted", { name: file.name })}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </div>
          </dl>
          <h2>{t("share.deliveries")}</h2>
          <Table caption={t("share.deliveries")} headers={[t("share.message"), t("share.sent_by"), t("share.to"), t("share.delivery_status"), t("share.updated")]}>
                <DeliveryLine label={t("share.link_message")} delivery={data.link_delivery} />
                <DeliveryLine label={t("share.code_message")} delivery={data.code_delivery} />
                {data.reminder_deliveries?.map((reminder) => (
                  <DeliveryLine key={reminder.id} label={t("share.reminder_message")} delivery={reminder} />
                ))}
          </Table>
          {canEdit && open && (
            <section aria-labelledby="share-actions">
              <h2 id="share-actions">{t("share.actions")}</h2>
              <div class="actions">
                <button type="button" onClick={run(t("share.link_resent"), () => call(api.POST("/api/shares/{share_id}/resend-link", path)))}>
                  {t("share.resend_link")}
                </button>
                <button type="button" onClick={run(t("share.code_resent"), () => call(api.POST("/api/shares/{share_id}/resend-code", path)))}>
                  {t("share.resend_code")}
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => {
                    void confirmAction(t("share.revoke_confirm"), t("share.revoke")).then(
                      (yes) => yes && run(t("share.revoked"), () => call(api.POST("/api/shares/{share_id}/revoke", path)))(),
                    );
                  }}
                >
                  {t("share.revoke")}
                </button>
              </div>
              <form
                class="inline"
                onSubmit={run(t("share.extended"), () =>
                  call(api.POST("/api/shares/{share_id}/extend", { ...path, body: { expires_at: endOfDay(until) } })),
                )}
              >
                <Field name="until" id="share-until" label={t("share.extend_until")} type="date" value={until} onInput={setUntil} problem={action.problem} />
                <Submit busy={action.busy}>{t("share.extend")}</Submit>
              </form>
            </section>
          )}
          <AccessLog shareId={id} />
        </>
      )}
    </Page>
  );
}
