// Signing in (password, then the app's code or a recovery code), first-time TOTP enrolment,
// choosing a password from an invitation or reset link, changing it, forgetting it.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { call } from "../api/call";
import { api, type Session } from "../api/client";
import { Field, Notice, Page, ProblemAlert, Submit } from "../components";
import { useSubmit } from "../hooks";
import { t } from "../messages";

type Signed = (session: Session) => void;

export function SignIn({ expired, onSession }: { expired: boolean; onSession: Signed }): JSX.Element {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    onSession(await call(api.POST("/api/auth/login", { body: { email, password } })));
  });
  return (
    <Page title={t("signin.title")}>
      {expired && <Notice>{t("signin.expired")}</Notice>}
      <ProblemAlert problem={problem} />
      <form onSubmit={send} noValidate>
        <Field name="email" label={t("signin.email")} type="email" value={email} onInput={setEmail} problem={problem} autoComplete="username" inputMode="email" />
        <Field name="password" label={t("signin.password")} type="password" value={password} onInput={setPassword} problem={problem} autoComplete="current-password" />
        <Submit busy={busy}>{t("signin.submit")}</Submit>
      </form>
      <p>
        <a href="#/forgot">{t("signin.forgot")}</a>
      </p>
    </Page>
  );
}

export function Forgot(): JSX.Element {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    await call(api.POST("/api/auth/password/forgot", { body: { email } }));
    setSent(true);
  });
  return (
    <Page title={t("forgot.title")}>
      <p>{t("forgot.intro")}</p>
      <ProblemAlert problem={problem} />
      {sent ? (
        <Notice>{t("forgot.sent")}</Notice>
      ) : (
        <form onSubmit={send} noValidate>
          <Field name="email" label={t("signin.email")} type="email" value={email} onInput={setEmail} problem={problem} autoComplete="username" inputMode="email" />
          <Submit busy={busy}>{t("forgot.submit")}</Submit>
        </form>
      )}
      <p>
        <a href="#/sign-in">{t("forgot.back")}</a>
      </p>
    </Page>
  );
}

export function SecondFactor({ onSession }: { onSession: Signed }): JSX.Element {
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState("");
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    const path = recovery ? "/api/auth/recovery" : "/api/auth/totp";
    onSession(await call(api.POST(path, { body: { code } })));
  });
  const toggle = (): void => {
    setRecovery(!recovery);
    setCode("");
  };
  return (
    <Page title={recovery ? t("second.recovery_title") : t("second.title")}>
      <p>{recovery ? t("second.recovery_intro") : t("second.intro")}</p>
      <ProblemAlert problem={problem} />
      <form onSubmit={send} noValidate>
        <Field
          name="code"
          label={recovery ? t("second.recovery") : t("second.code")}
          value={code}
          onInput={setCode}
          problem={problem}
          autoComplete="one-time-code"
          inputMode={recovery ? "text" : "numeric"}
        />
        <Submit busy={busy}>{t("second.submit")}</Submit>
      </form>
      <p>
        <button type="button" class="link" onClick={toggle}>
          {recovery ? t("second.use_app") : t("second.use_recovery")}
        </button>
      </p>
    </Page>
  );
}

/** The server's QR code (SVG), placed as a node: no inline markup string, no data: URL. */
function QrCode({ svg }: { svg: string }): JSX.Element {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
    const target = holder.current;
    if (!target || parsed.nodeName !== "svg" || parsed.querySelector("script")) return;
    parsed.setAttribute("role", "img");
    parsed.setAttribute("aria-label", t("enrol.qr"));
    target.replaceChildren(document.importNode(parsed, true));
  }, [svg]);
  return <div class="qr" ref={holder} />;
}

export function Enrol({ onSession }: { onSession: Signed }): JSX.Element {
  const [enrolment, setEnrolment] = useState<{ secret: string; qr_svg: string } | null>(null);
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState<{ session: Session; list: string[] } | null>(null);
  const start = useSubmit();
  const confirm = useSubmit();
  useEffect(() => {
    start.submit(async () => setEnrolment(await call(api.POST("/api/auth/totp/enrolment"))))();
    // A new enrolment once, on arrival: `start` is a new object at each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const send = confirm.submit(async () => {
    const enrolled = await call(api.POST("/api/auth/totp/enrolment/confirm", { body: { code } }));
    const { recovery_codes, ...session } = enrolled;
    setCodes({ session, list: recovery_codes });
  });
  if (codes) {
    return (
      <Page title={t("enrol.codes_title")}>
        <p>{t("enrol.codes_intro")}</p>
        <ul class="codes">
          {codes.list.map((item) => (
            <li key={item}>
              <code>{item}</code>
            </li>
          ))}
        </ul>
        <button type="button" class="primary" onClick={() => onSession(codes.session)}>
          {t("enrol.done")}
        </button>
      </Page>
    );
  }
  return (
    <Page title={t("enrol.title")}>
      <p>{t("enrol.intro")}</p>
      <ProblemAlert problem={start.problem ?? confirm.problem} />
      {enrolment ? (
        <>
          <QrCode svg={enrolment.qr_svg} />
          <p>
            {t("enrol.manual")} <code class="secret">{enrolment.secret}</code>
          </p>
          <form onSubmit={send} noValidate>
            <Field name="code" label={t("enrol.code")} value={code} onInput={setCode} problem={confirm.problem} autoComplete="one-time-code" inputMode="numeric" />
            <Submit busy={confirm.busy}>{t("enrol.submit")}</Submit>
          </form>
        </>
      ) : (
        start.busy && <p role="status">{t("app.loading")}</p>
      )}
    </Page>
  );
}

export function SetPassword(): JSX.Element {
  const token = new URLSearchParams(location.hash.replace(/^#/, "")).get("token") ?? "";
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [done, setDone] = useState(false);
  const { busy, problem, submit } = useSubmit();
  const send = submit(async () => {
    if (password !== repeat) return;
    await call(api.POST("/api/auth/password/set", { body: { token, password } }));
    // The token is spent: take it out of the address bar and the history.
    history.replaceState(null, "", "/set-password");
    setDone(true);
  });
  const mismatch = password !== repeat && repeat !== "";
  return (
    <Page title={t("setpw.title")}>
      {!token && !done && <div class="alert" role="alert">{t("setpw.no_token")}</div>}
      {done ? (
        <>
          <Notice>{t("setpw.done")}</Notice>
          <p>
            <a href="/#/sign-in">{t("setpw.sign_in")}</a>
          </p>
        </>
      ) : (
        <>
          <p>{t("setpw.intro")}</p>
          <ProblemAlert problem={mismatch ? { message: t("setpw.mismatch"), fields: [] } : problem} />
          <form onSubmit={send} noValidate>
            <Field name="password" label={t("setpw.password")} type="password" value={password} onInput={setPassword} problem={problem} autoComplete="new-password" />
            <Field name="repeat" label={t("setpw.repeat")} type="password" value={repeat} onInput={setRepeat} autoComplete="new-password" />
            <Submit busy={busy || mismatch || !token}>{t("setpw.submit")}</Submit>
          </form>
        </>
      )}
    </Page>
  );
}

export function ChangePassword({ forced, onSession }: { forced: boolean; onSession: Signed }): JSX.Element {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [changed, setChanged] = useState(false);
  const { busy, problem, submit } = useSubmit();
  const mismatch = next !== repeat && repeat !== "";
  const send = submit(async () => {
    const answer = await call(
      api.POST("/api/auth/password", { body: { current_password: current, new_password: next } }),
    );
    setCurrent("");
    setNext("");
    setRepeat("");
    setChanged(true);
    if ("stage" in answer) onSession(answer);
  });
  return (
    <section aria-labelledby="change-password">
      <h2 id="change-password">{t("account.change_title")}</h2>
      {forced && <Notice>{t("account.forced")}</Notice>}
      {changed && <Notice>{t("account.changed")}</Notice>}
      <ProblemAlert problem={mismatch ? { message: t("setpw.mismatch"), fields: [] } : problem} />
      <form onSubmit={send} noValidate>
        <Field name="current_password" label={t("account.current")} type="password" value={current} onInput={setCurrent} problem={problem} autoComplete="current-password" />
        <Field name="new_password" label={t("account.new")} type="password" value={next} onInput={setNext} problem={problem} autoComplete="new-password" />
        <Field name="repeat" label={t("account.repeat")} type="password" value={repeat} onInput={setRepeat} autoComplete="new-password" />
        <Submit busy={busy || mismatch}>{t("account.submit")}</Submit>
      </form>
    </section>
  );
}
