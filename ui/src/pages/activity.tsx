// The audit log in words, filtered by kind of thing, dates and customer, with the matching CSV
// export; and a customer's timeline (the same words, with the messages sent for its shares).
import type { JSX } from "preact";
import { useMemo, useState } from "preact/hooks";

import { ENTITY_TYPES, describeDelivery, describeEntry } from "../activity";
import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import { Page, ProblemAlert, Table } from "../components";
import { formatTime } from "../format";
import { useOlderPages, type OlderPages } from "../hooks";
import { t, type MessageKey } from "../messages";
import { navigate } from "../router";
import { endOfDay } from "./shares";

type Entry = Schemas["AuditEntryOut"];
type TimelineItem = Schemas["TimelineItem"];
const PAGE_SIZE = 50;

interface Line {
  key: string;
  at: string;
  text: string;
  from: string;
}

function entryLine(entry: Entry): Line {
  return { key: `e${entry.id}`, at: entry.changed_at, text: describeEntry(entry), from: entry.ip ?? "" };
}

function timelineLine(item: TimelineItem): Line {
  if (item.entry) return entryLine(item.entry);
  const delivery = item.delivery;
  return { key: `d${delivery?.id ?? item.at}`, at: item.at, text: delivery ? describeDelivery(delivery) : "", from: "" };
}

/** Lines in words with their time and origin, the states of their loading, and older pages. */
function Lines({ pages, caption, empty }: { pages: OlderPages<Line>; caption: string; empty: string }): JSX.Element {
  return (
    <>
      <ProblemAlert problem={pages.problem} />
      {pages.loading && pages.items.length === 0 && <p role="status">{t("app.loading")}</p>}
      {!pages.loading && !pages.problem && pages.items.length === 0 && <p>{empty}</p>}
      {pages.items.length > 0 && (
        <Table caption={caption} headers={[t("activity.when"), t("activity.what"), t("activity.from")]}>
          {pages.items.map((line) => (
            <tr key={line.key}>
              <td>{formatTime(line.at)}</td>
              <td>{line.text}</td>
              <td>{line.from}</td>
            </tr>
          ))}
        </Table>
      )}
      {pages.more && (
        <button type="button" onClick={pages.more}>
          {t("activity.older")}
        </button>
      )}
    </>
  );
}

export function Activity({ query }: { query: URLSearchParams }): JSX.Element {
  const type = query.get("type") ?? "";
  const since = query.get("since") ?? "";
  const until = query.get("until") ?? "";
  const technical = query.get("all") === "1";
  const customer = Number(query.get("customer") ?? "") || null;
  const [form, setForm] = useState({ type, since, until, all: technical ? "1" : "" });
  const filter = useMemo(
    () => ({
      entity_type: ENTITY_TYPES.find((kind) => kind === type) ?? null,
      since: since ? new Date(`${since}T00:00:00`).toISOString() : null,
      until: until ? endOfDay(until) : null,
      customer_id: customer,
      summary: !technical,
    }),
    [type, since, until, customer, technical],
  );
  const pages = useOlderPages(async (before) => {
    const page = await call(api.GET("/api/audit", { params: { query: { ...filter, limit: PAGE_SIZE, before_id: before } } }));
    return { items: page.items.map(entryLine), next_before_id: page.next_before_id };
  }, [filter]);
  const csv = new URLSearchParams(
    Object.entries(filter).flatMap(([key, value]): [string, string][] => (value === null ? [] : [[key, String(value)]])),
  );
  const go = (values: Record<string, string>): void => {
    const params = new URLSearchParams(Object.entries(values).filter((pair) => Boolean(pair[1])));
    navigate(params.toString() ? `/activity?${params}` : "/activity");
  };
  const apply = (event: Event): void => {
    event.preventDefault();
    go({ ...form, customer: customer ? String(customer) : "" });
  };
  return (
    <Page title={t("activity.title")}>
      <p>{t("activity.intro")}</p>
      {customer && (
        <p>
          {t("activity.customer_only")}{" "}
          <button type="button" class="link" onClick={() => go({ ...form, customer: "" })}>
            {t("activity.everyone")}
          </button>
        </p>
      )}
      <form class="filters" onSubmit={apply} aria-label={t("activity.filter")}>
        <div class="field">
          <label for="activity-type">{t("activity.kind")}</label>
          <select id="activity-type" value={form.type} onChange={(event) => {
              const type = event.currentTarget.value;
              setForm((current) => ({ ...current, type }));
            }}>
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
          <input id="activity-since" type="date" value={form.since} onInput={(event) => {
              const since = event.currentTarget.value;
              setForm((current) => ({ ...current, since }));
            }} />
        </div>
        <div class="field">
          <label for="activity-until">{t("activity.until")}</label>
          <input id="activity-until" type="date" value={form.until} onInput={(event) => {
              const until = event.currentTarget.value;
              setForm((current) => ({ ...current, until }));
            }} />
        </div>
        <label class="choice" for="activity-all">
          <input
            id="activity-all"
            type="checkbox"
            checked={form.all === "1"}
            onChange={(event) => {
              const all = event.currentTarget.checked ? "1" : "";
              setForm((current) => ({ ...current, all }));
            }}
          />{" "}
          {t("activity.technical")}
        </label>
        <button type="submit">{t("activity.apply")}</button>
      </form>
      <p>
        <a href={`/api/audit/export.csv?${csv}`} download>
          {t("activity.csv")}
        </a>
      </p>
      <Lines pages={pages} caption={t("activity.title")} empty={t("activity.empty")} />
    </Page>
  );
}

/** A customer's timeline, for its page: newest first, older pages on request. */
export function CustomerTimeline({ customerId, canReadActivity }: { customerId: number; canReadActivity: boolean }): JSX.Element {
  const pages = useOlderPages(async (before) => {
    const page = await call(
      api.GET("/api/customers/{customer_id}/timeline", {
        params: { path: { customer_id: customerId }, query: { limit: PAGE_SIZE, before_id: before } },
      }),
    );
    return { items: page.items.map(timelineLine), next_before_id: page.next_before_id };
  }, [customerId]);
  return (
    <section aria-labelledby="customer-timeline">
      <h2 id="customer-timeline">{t("timeline.title")}</h2>
      <p>{t("timeline.intro")}</p>
      {canReadActivity && (
        <p>
          <a href={`#/activity?customer=${customerId}`}>{t("timeline.all_activity")}</a>
        </p>
      )}
      <Lines pages={pages} caption={t("timeline.title")} empty={t("timeline.empty")} />
    </section>
  );
}
