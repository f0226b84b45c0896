// Admin: the system at a glance. The health checks, the delivery queue with the messages given
// up (dead letters), and when each kind of backup last succeeded.
import type { JSX } from "preact";

import { formatAge } from "../admin";
import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import { Page, ProblemAlert, Table } from "../components";
import { formatTime } from "../format";
import { useLoad } from "../hooks";
import { type MessageKey, t } from "../messages";

type Status = Schemas["SystemStatusOut"];
const CHECKS = ["database", "migrations", "disk", "nats"] as const;
const STATES = ["queued", "published", "retrying", "sent", "delivered", "failed", "dead"] as const;
const BACKUPS = ["local", "offsite"] as const;

/** A word for a name the API gives, or the name itself when the catalogue has none. */
function word<T extends string>(known: readonly T[], value: string, key: (item: T) => MessageKey): string {
  return (known as readonly string[]).includes(value) ? t(key(value as T)) : value;
}

function Checks({ status }: { status: Status }): JSX.Element {
  const failing = Object.entries(status.checks).filter(([, check]) => check.status !== "ok");
  return (
    <section aria-labelledby="checks">
      <h2 id="checks">{t("status.checks_title")}</h2>
      {failing.length === 0 ? (
        <p>{t("status.all_ok")}</p>
      ) : (
        <p class="alert">{t("status.failing", { names: failing.map(([name]) => word(CHECKS, name, (c) => `status.check.${c}`)).join(", ") })}</p>
      )}
      <Table caption={t("status.checks_title")} headers={[t("status.check"), t("status.state"), t("status.detail")]}>
        {Object.entries(status.checks).map(([name, check]) => (
          <tr key={name}>
            <td>{word(CHECKS, name, (c) => `status.check.${c}`)}</td>
            <td>{check.status === "ok" ? t("status.ok") : t("status.fail")}</td>
            <td>{check.detail}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}

function Deliveries({ status }: { status: Status }): JSX.Element {
  const queue = status.deliveries;
  return (
    <section aria-labelledby="deliveries">
      <h2 id="deliveries">{t("status.deliveries_title")}</h2>
      <p>
        {queue.waiting === 0
          ? t("status.none_waiting")
          : t("status.waiting", { count: queue.waiting, age: formatAge(queue.oldest_waiting_seconds) })}
      </p>
      <dl class="details" aria-label={t("status.by_state")}>
        {STATES.map((state) => (
          <div key={state}>
            <dt>{t(`delivery.${state}`)}</dt>
            <dd>{queue.by_status[state] ?? 0}</dd>
          </div>
        ))}
      </dl>
      <h3>{t("status.dead_title")}</h3>
      {queue.dead_letters.length === 0 ? (
        <p>{t("status.no_dead")}</p>
      ) : (
        <Table caption={t("status.dead_title")} headers={[t("status.dead_when"), t("share.message"), t("status.error")]}>
          {queue.dead_letters.map((dead) => (
            <tr key={dead.id}>
              <td>{formatTime(dead.updated_at)}</td>
              <td>
                {t("status.dead_message", {
                  kind: dead.kind.replace(/_/g, " "),
                  channel: word(["email", "sms", "postal"] as const, dead.channel, (c) => `sent_by.${c}`),
                  to: dead.recipient,
                })}
              </td>
              <td>{t("status.dead_error", { attempts: dead.attempts, error: dead.last_error ?? t("status.no_error") })}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function Backups({ status }: { status: Status }): JSX.Element {
  const hours = status.backup_max_age_hours;
  return (
    <section aria-labelledby="backups">
      <h2 id="backups">{t("status.backups_title")}</h2>
      {status.backups.length === 0 ? (
        <p class="alert">{t("status.no_backup")}</p>
      ) : (
        <ul>
          {status.backups.map((backup) => (
            <li key={backup.kind} class={backup.too_old ? "alert" : undefined}>
              {t("status.backup_line", {
                kind: word(BACKUPS, backup.kind, (k) => `status.backup.${k}`),
                when: formatTime(backup.last_success_at),
              })}
              {backup.too_old && ` ${t("status.backup_too_old", { hours })}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function SystemStatus(): JSX.Element {
  const status = useLoad(() => call(api.GET("/api/status")), []);
  const data = status.data;
  return (
    <Page title={t("status.title")}>
      <p>
        <button type="button" onClick={status.reload} disabled={status.loading}>
          {t("status.refresh")}
        </button>
      </p>
      <ProblemAlert problem={status.problem} />
      {status.loading && <p role="status">{t("app.loading")}</p>}
      {data && (
        <>
          <Checks status={data} />
          <Deliveries status={data} />
          <Backups status={data} />
        </>
      )}
    </Page>
  );
}
