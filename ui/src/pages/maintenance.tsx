// Admin: maintenance windows. Announce one (the API wants 24 hours' notice unless it is an
// emergency), call one off, and switch maintenance on now or off again.
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { localHoursAhead, localToIso } from "../admin";
import { call } from "../api/call";
import { api, type Schemas } from "../api/client";
import { Field, Notice, Page, ProblemAlert, Submit, Table } from "../components";
import { confirmAction } from "../confirm";
import { formatTime } from "../format";
import { useLoad, useSubmit } from "../hooks";
import { t } from "../messages";

type Window = Schemas["WindowOut"];
type Announced = Schemas["AnnouncedOut"];

function announced(answer: Announced): string {
  return t("maintenance.notices", { staff: answer.notices.staff, recipients: answer.notices.share_recipients });
}

function Checkbox({ id, label, checked, onChange }: { id: string; label: string; checked: boolean; onChange: (on: boolean) => void }): JSX.Element {
  return (
    <label class="choice" for={id}>
      <input id={id} type="checkbox" checked={checked} onChange={(event) => onChange(event.currentTarget.checked)} /> {label}
    </label>
  );
}

/** Maintenance is on: say since when and until when, and offer to switch it off. */
function SwitchOff({ on, onDone }: { on: Window; onDone: (message: string) => void }): JSX.Element {
  const [details, setDetails] = useState("");
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    const answer = await call(api.POST("/api/maintenance/off", { body: { details: details.trim() || null } }));
    setDetails("");
    onDone(`${t("maintenance.switched_off")} ${announced(answer)}`);
  });
  return (
    <>
      <p class="alert">
        {t("maintenance.on_since", { since: formatTime(on.started_at ?? on.starts_at), until: formatTime(on.ends_at) })} {on.message}
      </p>
      <ProblemAlert problem={problem} />
      <form onSubmit={send} noValidate>
        <Field name="details" id="off-details" label={t("maintenance.off_details")} hint={t("maintenance.off_details_hint")} value={details} onInput={setDetails} problem={problem} required={false} />
        <Submit busy={busy}>{t("maintenance.switch_off")}</Submit>
      </form>
    </>
  );
}

/** Maintenance is off: switch it on now (the window that is due, else an unannounced one). */
function SwitchOn({ onDone }: { onDone: (message: string) => void }): JSX.Element {
  const [message, setMessage] = useState("");
  const [minutes, setMinutes] = useState("60");
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    const body = { emergency: true, duration_minutes: Number(minutes), message: message.trim() || null };
    const window = await call(api.POST("/api/maintenance/on", { body }));
    setMessage("");
    onDone(t("maintenance.switched_on", { until: formatTime(window.ends_at) }));
  });
  return (
    <>
      <p>{t("maintenance.running")}</p>
      <ProblemAlert problem={problem} />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void confirmAction(t("maintenance.switch_on_confirm"), t("maintenance.switch_on")).then((yes) => yes && send());
        }}
        noValidate
      >
        <Field name="message" id="on-message" label={t("maintenance.reason")} hint={t("maintenance.on_reason_hint")} value={message} onInput={setMessage} problem={problem} required={false} />
        <Field name="duration_minutes" id="on-minutes" label={t("maintenance.minutes")} type="number" inputMode="numeric" value={minutes} onInput={setMinutes} problem={problem} />
        <button type="submit" class="danger" disabled={busy} aria-busy={busy ? "true" : undefined}>
          {t("maintenance.switch_on")}
        </button>
      </form>
    </>
  );
}

function Scheduled({ windows, onDone }: { windows: Window[]; onDone: (message: string) => void }): JSX.Element {
  const { busy, problem, submit } = useSubmit();
  const cancel = (window: Window) => (): void => {
    const when = formatTime(window.starts_at);
    void confirmAction(t("maintenance.cancel_confirm", { when }), t("maintenance.cancel", { when })).then(
      (yes) =>
        yes &&
        submit(async () => {
          await call(api.DELETE("/api/maintenance/windows/{window_id}", { params: { path: { window_id: window.id } } }));
          onDone(t("maintenance.cancelled", { when }));
        })(),
    );
  };
  return (
    <section aria-labelledby="scheduled">
      <h2 id="scheduled">{t("maintenance.scheduled_title")}</h2>
      <ProblemAlert problem={problem} />
      {windows.length === 0 && <p>{t("maintenance.none_scheduled")}</p>}
      {windows.length > 0 && (
        <Table caption={t("maintenance.scheduled_title")} headers={[t("maintenance.starts"), t("maintenance.ends"), t("maintenance.reason"), t("maintenance.notified"), t("files.actions")]}>
          {windows.map((window) => (
            <tr key={window.id}>
              <td>{formatTime(window.starts_at)}</td>
              <td>{formatTime(window.ends_at)}</td>
              <td>
                {window.message}
                {window.emergency && <span class="muted"> ({t("maintenance.short_notice")})</span>}
              </td>
              <td>{window.notices_sent}</td>
              <td>
                <button type="button" disabled={busy} onClick={cancel(window)} aria-label={t("maintenance.cancel", { when: formatTime(window.starts_at) })}>
                  {t("maintenance.cancel_short")}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function Schedule({ onDone }: { onDone: (message: string) => void }): JSX.Element {
  const [start, setStart] = useState(() => localHoursAhead(48));
  const [minutes, setMinutes] = useState("120");
  const [message, setMessage] = useState("");
  const [emergency, setEmergency] = useState(false);
  const [recipients, setRecipients] = useState(false);
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    const body = {
      starts_at: localToIso(start),
      duration_minutes: Number(minutes),
      message,
      emergency,
      notify_share_recipients: recipients,
    };
    const answer = await call(api.POST("/api/maintenance/windows", { body }));
    setMessage("");
    onDone(`${t("maintenance.scheduled", { when: formatTime(answer.window.starts_at) })} ${announced(answer)}`);
  });
  return (
    <section aria-labelledby="schedule">
      <h2 id="schedule">{t("maintenance.schedule_title")}</h2>
      <p>{t("maintenance.schedule_intro")}</p>
      <ProblemAlert problem={problem} />
      <form onSubmit={send} noValidate>
        <Field name="starts_at" id="window-start" label={t("maintenance.starts")} type="datetime-local" value={start} onInput={setStart} problem={problem} />
        <Field name="duration_minutes" id="window-minutes" label={t("maintenance.minutes")} type="number" inputMode="numeric" value={minutes} onInput={setMinutes} problem={problem} />
        <Field name="message" id="window-message" label={t("maintenance.reason")} hint={t("maintenance.reason_hint")} value={message} onInput={setMessage} problem={problem} />
        <Checkbox id="window-emergency" label={t("maintenance.emergency")} checked={emergency} onChange={setEmergency} />
        <Checkbox id="window-recipients" label={t("maintenance.notify_recipients")} checked={recipients} onChange={setRecipients} />
        <Submit busy={busy}>{t("maintenance.schedule_submit")}</Submit>
      </form>
    </section>
  );
}

export function Maintenance(): JSX.Element {
  const status = useLoad(() => call(api.GET("/api/maintenance")), []);
  const [done, setDone] = useState<string | null>(null);
  const finished = (message: string): void => {
    setDone(message);
    status.reload();
  };
  const data = status.data;
  return (
    <Page title={t("maintenance.title")}>
      {done && <Notice>{done}</Notice>}
      <ProblemAlert problem={status.problem} />
      {status.loading && !data && <p role="status">{t("app.loading")}</p>}
      {data && (
        <>
          <section aria-labelledby="now">
            <h2 id="now">{t("maintenance.now_title")}</h2>
            {data.on ? <SwitchOff on={data.on} onDone={finished} /> : <SwitchOn onDone={finished} />}
          </section>
          <Scheduled windows={data.scheduled} onDone={finished} />
          <Schedule onDone={finished} />
        </>
      )}
    </Page>
  );
}
