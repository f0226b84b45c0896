// The audit log in words, filtered by kind of thing and dates, with the matching CSV export.
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { ENTITY_TYPES, describeEntry, labelsOf } from "../activity";
import { call } from "../api/call";
import { api, type Schemas, type Session } from "../api/client";
import { Page, ProblemAlert, Table } from "../components";
import { formatTime } from "../format";
import { useLoad } from "../hooks";
import { t, type MessageKey } from "../messages";
import { navigate } from "../router";
import { endOfDay } from "./shares";

type Entry = Schemas["AuditEntryOut"];

/** Staff names for the sentences: every user for admins, at least oneself for auditors. */
async function staffNames(session: Session): Promise<Map<number, string>> {
  const names = new Map([[session.user.id, session.user.name]]);
  if (session.user.role === "admin") {
    for (const user of await call(api.GET("/api/users"))) names.set(user.id, user.name);
  }
  return names;
}

export function Activity({ session, query }: { session: Session; query: URLSearchParams }): JSX.Element {
  const type = query.get("type") ?? "";
  const since = query.get("since") ?? "";
  const until = query.get("until") ?? "";
  const [form, setForm] = useState({ type, since, until });
  const [older, setOlder] = useState<Entry[]>([]);
  const [before, setBefore] = useState<number | null | undefined>(undefined);
  const filter = {
    entity_type: type || null,
    since: since ? new Date(`${since}T00:00:00`).toISOString() : null,
    until: until ? endOfDay(until) : null,
  };
  const names = useLoad(() => staffNames(session), [session.user.id]);
  const first = useLoad(() => {
    setOlder([]);
    setBefore(undefined);
    return call(api.GET("/api/audit", { params: { query: { ...filter, limit: 50 } } }));
  }, [type, since, until]);
  const more = async (): Promise<void> => {
    const from = before === undefined ? first.data?.next_before_id : before;
    if (!from) return;
    const page = await call(api.GET("/api/audit", { params: { query: { ...filter, limit: 50, before_id: from } } }));
    setOlder([...older, ...page.items]);
    setBefore(page.next_before_id ?? null);
  };
  const entries = [...(first.data?.items ?? []), ...older];
  const labels = labelsOf(entries);
  const hasMore = before === undefined ? Boolean(first.data?.next_before_id) : before !== null;
  const csv = new URLSearchParams(Object.entries(filter).filter((pair): pair is [string, string] => Boolean(pair[1])));
  const apply = (event: Event): void => {
    event.preventDefault();
    const params = new URLSearchParams(Object.entries(form).filter((pair) => Boolean(pair[1])));
    navigate(params.toString() ? `/activity?${params}` : "/activity");
  };
  return (
    <Page title={t("activity.title")}>
      <p>{t("activity.intro")}</p>
      <form class="filters" onSubmit={apply} aria-label={t("activity.filter")}>
        <div class="field">
          <label for="activity-type">{t("activity.kind")}</label>
          <select id="activity-type" value={form.type} onChange={(event) => setForm({ ...form, type: event.currentTarget.value })}>
            <option value="">{t("activity.all")}</option>
            {ENTITY_TYPES.map((item) => (
              <option key={item} value={item}>
                {t(`activity.noun.${item}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="activity-since">{t("activity.since")}</label>
          <input id="activity-since" type="date" value={form.since} onInput={(event) => setForm({ ...form, since: event.currentTarget.value })} />
        </div>
        <div class="field">
          <label for="activity-until">{t("activity.until")}</label>
          <input id="activity-until" type="date" value={form.until} onInput={(event) => setForm({ ...form, until: event.currentTarget.value })} />
        </div>
        <button type="submit">{t("activity.apply")}</button>
      </form>
      <p>
        <a href={`/api/audit/export.csv${csv.toString() ? `?${csv}` : ""}`} download>
          {t("activity.csv")}
        </a>
      </p>
      <ProblemAlert problem={first.problem ?? names.problem} />
      {first.loading && <p role="status">{t("app.loading")}</p>}
      {first.data && entries.length === 0 && <p>{t("activity.empty")}</p>}
      {entries.length > 0 && (
        <Table caption={t("activity.title")} headers={[t("activity.when"), t("activity.what"), t("activity.from")]}>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.changed_at)}</td>
                  <td>{describeEntry(entry, names.data ?? new Map(), labels)}</td>
                  <td>{entry.ip ?? ""}</td>
                </tr>
              ))}
        </Table>
      )}
      {hasMore && (
        <button type="button" onClick={() => void more()}>
          {t("activity.older")}
        </button>
      )}
    </Page>
  );
}
