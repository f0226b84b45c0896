// The console: who is signed in decides the screen; the fragment decides the page.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { api, rememberSession, type Session, whenSignedOut } from "./api/client";
import { ChangePassword, Enrol, Forgot, SecondFactor, SetPassword, SignIn } from "./pages/auth";
import { Page } from "./components";
import { ConfirmHost } from "./confirm";
import { CustomerDetail, CustomerList, NewCustomer } from "./pages/customers";
import { UserPage, Users } from "./pages/users";
import { Maintenance } from "./pages/maintenance";
import { SystemStatus } from "./pages/status";
import { Activity } from "./pages/activity";
import { SharePage } from "./pages/shares";
import { VaultPage } from "./pages/vaults";
import { t } from "./messages";
import { currentPlace, navigate, parseRoute, safeNext, signInRoute, useRoute } from "./router";

function Home({ session }: { session: Session }): JSX.Element {
  return (
    <Page title={t("home.title", { name: session.user.name })}>
      <p>{t("home.intro")}</p>
    </Page>
  );
}

function Account({ session, onSession }: { session: Session; onSession: (s: Session) => void }): JSX.Element {
  const { name, email, role } = session.user;
  return (
    <Page title={t("account.title")}>
      <p>{t("account.signed_in_as", { name, email, role })}</p>
      <ChangePassword forced={session.stage === "password"} onSession={onSession} />
    </Page>
  );
}

function NotFound(): JSX.Element {
  return (
    <Page title={t("notfound.title")}>
      <a href="#/">{t("notfound.back")}</a>
    </Page>
  );
}

/** When what had focus disappears (a deleted file's row, a revoked share's buttons), focus goes
 * to the page's heading instead of falling back to the top of the document. */
function useFocusKept(main: { current: HTMLElement | null }): void {
  useEffect(() => {
    const root = main.current;
    if (!root) return;
    let last: Element | null = null;
    const remember = (event: FocusEvent): void => {
      last = event.target instanceof Element ? event.target : null;
    };
    const observer = new MutationObserver(() => {
      if (last && !last.isConnected && (document.activeElement === document.body || !document.activeElement)) {
        last = null;
        root.querySelector<HTMLElement>("h1")?.focus();
      }
    });
    root.addEventListener("focusin", remember);
    observer.observe(root, { childList: true, subtree: true });
    return () => {
      root.removeEventListener("focusin", remember);
      observer.disconnect();
    };
  }, [main]);
}

function Layout({ session, onSignOut, children }: { session: Session; onSignOut: () => void; children: JSX.Element }): JSX.Element {
  const main = useRef<HTMLElement>(null);
  useFocusKept(main);
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById("main")?.focus(); }}>
        {t("app.skip")}
      </a>
      <header class="top">
        <span class="brand">{t("app.name")}</span>
        <nav aria-label={t("nav.main")}>
          <a href="#/">{t("nav.home")}</a>
          <a href="#/customers">{t("nav.customers")}</a>
          {session.user.role !== "staff" && <a href="#/activity">{t("nav.activity")}</a>}
          {session.user.role === "admin" && (
            <>
              <a href="#/users">{t("nav.users")}</a>
              <a href="#/maintenance">{t("nav.maintenance")}</a>
              <a href="#/status">{t("nav.status")}</a>
            </>
          )}
          <a href="#/account">{t("nav.account")}</a>
          <span class="who">{session.user.name}</span>
          <button type="button" class="link" onClick={onSignOut}>
            {t("nav.sign_out")}
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
      <ConfirmHost />
    </>
  );
}

export function App(): JSX.Element {
  // undefined: not known yet; null: nobody is signed in.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const route = useRoute();

  const adopt = (next: Session | null): void => {
    rememberSession(next);
    setSession(next);
    if (next?.stage === "full" && route.path === "/sign-in") {
      navigate(safeNext(route.query.get("next")));
    }
  };

  useEffect(() => {
    whenSignedOut(() => {
      rememberSession(null);
      setSession(null);
      setExpired(true);
      if (!currentPlace().startsWith("/sign-in")) navigate(signInRoute(currentPlace()));
    });
    // Who is signed in, once at the start; the effect below goes on from the sign-in page.
    const known = (next: Session | null): void => {
      rememberSession(next);
      setSession(next);
    };
    void api.GET("/api/auth/me").then(
      ({ data }) => known(data ?? null),
      () => known(null),
    );
  }, []);

  useEffect(() => {
    // Signed in and still on the sign-in page (a reload, the back button): go on. The address,
    // not `route`: a link followed in the meantime has changed it, and must not be undone.
    const here = parseRoute(location.hash);
    if (session?.stage === "full" && here.path === "/sign-in") {
      navigate(safeNext(here.query.get("next")));
    }
  }, [session, route]);

  if (location.pathname === "/set-password") {
    return (
      <main id="main">
        <SetPassword />
      </main>
    );
  }
  if (session === undefined) {
    return <main id="main"><p role="status">{t("app.loading")}</p></main>;
  }
  const signIn = (next: Session): void => {
    setExpired(false);
    adopt(next);
  };
  if (session === null) {
    // The address, not `route`: the hashchange of a sign-out may not have arrived yet.
    const here = parseRoute(location.hash).path;
    if (here !== "/sign-in" && here !== "/forgot") navigate(signInRoute(currentPlace()));
    return <main id="main">{route.path === "/forgot" ? <Forgot /> : <SignIn expired={expired} onSession={signIn} />}</main>;
  }
  const signOut = (): void => {
    void api.POST("/api/auth/logout").finally(() => {
      adopt(null);
      navigate("/sign-in");
    });
  };
  if (session.stage === "totp") return <main id="main"><SecondFactor onSession={signIn} /></main>;
  if (session.stage === "enrol") return <main id="main"><Enrol onSession={signIn} /></main>;
  if (session.stage === "password") {
    return <main id="main"><Page title={t("account.title")}><ChangePassword forced onSession={signIn} /></Page></main>;
  }
  // Auditors read; the server refuses their writes anyway, so the console does not offer them.
  const canEdit = session.user.role !== "auditor";
  const admin = session.user.role === "admin";
  const pages: Record<string, () => JSX.Element> = {
    "/": () => <Home session={session} />,
    "/sign-in": () => <Home session={session} />,
    "/account": () => <Account session={session} onSession={adopt} />,
    "/customers": () => <CustomerList query={route.query} canEdit={canEdit} />,
    ...(canEdit ? { "/customers/new": () => <NewCustomer /> } : {}),
    ...(admin ? { "/users": () => <Users />, "/maintenance": () => <Maintenance />, "/status": () => <SystemStatus /> } : {}),
    ...(session.user.role !== "staff" ? { "/activity": () => <Activity query={route.query} /> } : {}),
  };
  const customer = /^\/customers\/(\d+)$/.exec(route.path);
  const vault = /^\/vaults\/(\d+)$/.exec(route.path);
  const share = /^\/shares\/(\d+)$/.exec(route.path);
  const user = admin ? /^\/users\/(\d+)$/.exec(route.path) : null;
  const page =
    pages[route.path] ??
    (customer
      ? () => <CustomerDetail id={Number(customer[1])} query={route.query} canEdit={canEdit} canReadActivity={session.user.role !== "staff"} />
      : vault
        ? () => <VaultPage id={Number(vault[1])} me={session.user.id} canEdit={canEdit} />
        : share
          ? () => <SharePage id={Number(share[1])} canEdit={canEdit} />
          : user
            ? () => <UserPage id={Number(user[1])} me={session.user.id} />
            : () => <NotFound />);
  return (
    <Layout session={session} onSignOut={signOut}>
      {page()}
    </Layout>
  );
}
