// Customers: search and pages from the server, create and edit with errors next to the fields,
// and a warning before creating a likely duplicate (same email or mobile number).
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import type { Problem } from "../api/errors";
import { Field, LanguageOptions, Notice, Page, ProblemAlert, Submit, Table } from "../components";
import { useLoad, useSubmit } from "../hooks";
import { t } from "../messages";
import { navigate } from "../router";
import { CustomerTimeline } from "./activity";
import { CustomerVaults } from "./vaults";

type Customer = Schemas["CustomerOut"];
type Channel = Schemas["CodeChannel"];
type Language = Customer["language"];
const PAGE_SIZE = 25;
const CHANNELS: Channel[] = ["sms", "email", "postal"];

interface Draft {
  name: string;
  email: string;
  mobile: string;
  preferred_channel: Channel;
  /** Empty for a new customer: the office's default language. */
  language: Language | "";
  address_line1: string;
  address_line2: string;
  postal_code: string;
  city: string;
  country: string;
}

const TEXT_FIELDS = [
  "name",
  "email",
  "mobile",
  "address_line1",
  "address_line2",
  "postal_code",
  "city",
  "country",
] as const;

function draftOf(customer?: Customer): Draft {
  return {
    name: customer?.name ?? "",
    email: customer?.email ?? "",
    mobile: customer?.mobile ?? "",
    preferred_channel: customer?.preferred_channel ?? "sms",
    language: customer?.language ?? "",
    address_line1: customer?.address_line1 ?? "",
    address_line2: customer?.address_line2 ?? "",
    postal_code: customer?.postal_code ?? "",
    city: customer?.city ?? "",
    country: customer?.country ?? "",
  };
}

/** The body to send: empty optional fields are absent (create) or cleared (edit). */
export function bodyOf(draft: Draft): Schemas["CustomerIn"] {
  const optional = (value: string): string | null => (value.trim() ? value.trim() : null);
  return {
    name: draft.name.trim(),
    email: draft.email.trim(),
    mobile: optional(draft.mobile),
    preferred_channel: draft.preferred_channel,
    ...(draft.language ? { language: draft.language } : {}),
    address_line1: optional(draft.address_line1),
    address_line2: optional(draft.address_line2),
    postal_code: optional(draft.postal_code),
    city: optional(draft.city),
    country: optional(draft.country),
  };
}

/** Existing customers with the same email or mobile number (the server's search finds both). */
async function likelyDuplicates(draft: Draft, except?: number): Promise<Customer[]> {
  const found = new Map<number, Customer>();
  for (const q of [draft.email.trim(), draft.mobile.trim()].filter(Boolean)) {
    const page = await call(api.GET("/api/customers", { params: { query: { q, limit: 5 } } }));
    for (const item of page.items) {
      const sameEmail = item.email.toLowerCase() === draft.email.trim().toLowerCase();
      const sameMobile = Boolean(item.mobile) && item.mobile === draft.mobile.replace(/[\s()-]/g, "");
      if (item.id !== except && (sameEmail || sameMobile)) found.set(item.id, item);
    }
  }
  return [...found.values()];
}

function CustomerForm(props: {
  initial?: Customer;
  submitLabel: string;
  onSave: (draft: Draft) => Promise<void>;
}): JSX.Element {
  const [draft, setDraft] = useState<Draft>(() => draftOf(props.initial));
  const [duplicates, setDuplicates] = useState<Customer[] | null>(null);
  const { busy, problem, submit } = useSubmit();
  const set = (key: keyof Draft) => (value: string) => {
    // From the current draft, not this render's: autofill (or a quick script) sets several
    // fields before the form renders again, and each would undo the one before.
    setDraft((current) => ({ ...current, [key]: value }));
    setDuplicates(null);
  };
  const send = submit(async () => {
    if (duplicates === null) {
      const found = await likelyDuplicates(draft, props.initial?.id);
      if (found.length) {
        setDuplicates(found);
        return;
      }
    }
    await props.onSave(draft);
  });
  const field = (key: (typeof TEXT_FIELDS)[number], extra: { type?: string; hint?: string; required?: boolean } = {}) => (
    <Field name={key} label={t(`customer.${key}`)} value={draft[key]} onInput={set(key)} problem={problem} required={extra.required ?? false} {...extra} />
  );
  return (
    <form onSubmit={send} noValidate>
      <ProblemAlert problem={problem} />
      {duplicates && duplicates.length > 0 && (
        <div class="alert" role="alert">
          <p>{t("customer.duplicate")}</p>
          <ul>
            {duplicates.map((item) => (
              <li key={item.id}>
                <a href={`#/customers/${item.id}`}>{item.name}</a> ({item.email}
                {item.mobile ? `, ${item.mobile}` : ""})
              </li>
            ))}
          </ul>
          <p>{t("customer.duplicate_confirm")}</p>
        </div>
      )}
      {field("name", { required: true })}
      {field("email", { type: "email", required: true })}
      {field("mobile", { type: "tel", hint: t("customer.mobile_hint") })}
      <div class="field">
        <label for="field-preferred_channel">{t("customer.preferred_channel")}</label>
        <select id="field-preferred_channel" value={draft.preferred_channel} onChange={(event) => set("preferred_channel")(event.currentTarget.value)}>
          {CHANNELS.map((channel) => (
            <option key={channel} value={channel}>
              {t(`channel.${channel}`)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="field-language">{t("customer.language")}</label>
        <select id="field-language" aria-describedby="field-language-hint" value={draft.language} onChange={(event) => set("language")(event.currentTarget.value)}>
          <LanguageOptions officeDefault={!props.initial} />
        </select>
        <p class="hint" id="field-language-hint">{t("customer.language_hint")}</p>
      </div>
      <fieldset>
        <legend>{t("customer.address")}</legend>
        {field("address_line1")}
        {field("address_line2")}
        {field("postal_code")}
        {field("city")}
        {field("country", { hint: t("customer.country_hint") })}
      </fieldset>
      <Submit busy={busy}>{duplicates?.length ? t("customer.save_anyway") : props.submitLabel}</Submit>
    </form>
  );
}

export function CustomerList({ query, canEdit }: { query: URLSearchParams; canEdit: boolean }): JSX.Element {
  const q = query.get("q") ?? "";
  const page = Math.max(1, Number(query.get("page") ?? "1") || 1);
  const [search, setSearch] = useState(q);
  const list = useLoad(
    () =>
      call(
        api.GET("/api/customers", {
          params: { query: { q: q || null, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE } },
        }),
      ),
    [q, page],
  );
  const go = (nextQ: string, nextPage: number): void => {
    const params = new URLSearchParams();
    if (nextQ) params.set("q", nextQ);
    if (nextPage > 1) params.set("page", String(nextPage));
    const text = params.toString();
    navigate(text ? `/customers?${text}` : "/customers");
  };
  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <Page title={t("customers.title")}>
      {canEdit && (
        <p>
          <a class="button" href="#/customers/new">
            {t("customers.new")}
          </a>
        </p>
      )}
      <form
        role="search"
        class="search"
        onSubmit={(event) => {
          event.preventDefault();
          go(search.trim(), 1);
        }}
      >
        <label for="customer-search">{t("customers.search")}</label>
        <input id="customer-search" type="search" value={search} onInput={(event) => setSearch(event.currentTarget.value)} />
        <button type="submit">{t("customers.search_button")}</button>
      </form>
      <ProblemAlert problem={list.problem} />
      {list.loading && <p role="status">{t("app.loading")}</p>}
      {list.data?.items.length === 0 && <p>{q ? t("customers.none_found", { q }) : t("customers.empty")}</p>}
      {list.data && list.data.items.length > 0 && (
        <>
          <p aria-live="polite">{t(total === 1 ? "customers.count_one" : "customers.count", { total, page, pages })}</p>
          <Table caption={t("customers.title")} headers={[t("customer.name"), t("customer.email"), t("customer.mobile"), t("customer.preferred_channel")]}>
                {list.data.items.map((customer) => (
                  <tr key={customer.id}>
                    <td>
                      <a href={`#/customers/${customer.id}`}>{customer.name}</a>
                    </td>
                    <td>{customer.email}</td>
                    <td>{customer.mobile ?? ""}</td>
                    <td>{t(`channel.${customer.preferred_channel}`)}</td>
                  </tr>
                ))}
          </Table>
          <nav class="pager" aria-label={t("customers.pages")}>
            <button type="button" disabled={page <= 1} onClick={() => go(q, page - 1)}>
              {t("customers.previous")}
            </button>
            <button type="button" disabled={page >= pages} onClick={() => go(q, page + 1)}>
              {t("customers.next")}
            </button>
          </nav>
        </>
      )}
    </Page>
  );
}

export function NewCustomer(): JSX.Element {
  const save = async (draft: Draft): Promise<void> => {
    const created = await call(api.POST("/api/customers", { body: bodyOf(draft) }));
    navigate(`/customers/${created.id}?saved=1`);
  };
  return (
    <Page title={t("customers.new")}>
      <CustomerForm submitLabel={t("customer.create")} onSave={save} />
    </Page>
  );
}

function Details({ customer }: { customer: Customer }): JSX.Element {
  return (
    <dl class="details">
      {TEXT_FIELDS.map((key) => (
        <div key={key}>
          <dt>{t(`customer.${key}`)}</dt>
          <dd>{customer[key] ?? "—"}</dd>
        </div>
      ))}
      <div>
        <dt>{t("customer.preferred_channel")}</dt>
        <dd>{t(`channel.${customer.preferred_channel}`)}</dd>
      </div>
      <div>
        <dt>{t("customer.language")}</dt>
        <dd>{t(`language.${customer.language}`)}</dd>
      </div>
    </dl>
  );
}

export function CustomerDetail(props: { id: number; query: URLSearchParams; canEdit: boolean; canReadActivity: boolean }): JSX.Element {
  const { id, query } = props;
  const loaded = useLoad(() => call(api.GET("/api/customers/{customer_id}", { params: { path: { customer_id: id } } })), [id]);
  const [saved, setSaved] = useState(query.get("saved") === "1");
  const save = async (draft: Draft): Promise<void> => {
    await call(
      api.PATCH("/api/customers/{customer_id}", { params: { path: { customer_id: id } }, body: bodyOf(draft) }),
    );
    setSaved(true);
    loaded.reload();
  };
  const problem: Problem | null = loaded.problem;
  return (
    <Page title={loaded.data?.name ?? t("customers.title")}>
      <p>
        <a href="#/customers">{t("customers.back")}</a>
      </p>
      {saved && <Notice>{t("customer.saved")}</Notice>}
      <ProblemAlert problem={problem} />
      {loaded.loading && !loaded.data && <p role="status">{t("app.loading")}</p>}
      {loaded.data && (
        <section aria-labelledby="edit-customer">
          <h2 id="edit-customer">{t("customer.edit")}</h2>
          {props.canEdit ? (
            <CustomerForm key={loaded.data.updated_at} initial={loaded.data} submitLabel={t("customer.save")} onSave={save} />
          ) : (
            <Details customer={loaded.data} />
          )}
        </section>
      )}
      {loaded.data && <CustomerVaults customerId={id} canEdit={props.canEdit} />}
      {loaded.data && <CustomerTimeline customerId={id} canReadActivity={props.canReadActivity} />}
    </Page>
  );
}
