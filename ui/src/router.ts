// Screens live in the URL's fragment (#/customers?page=2): the server serves one page at /,
// and a person's place survives a reload or a sign-in in between.
import { useEffect, useState } from "preact/hooks";

export interface Route {
  path: string;
  query: URLSearchParams;
}

/** The route a fragment names: "#/customers?q=x" -> /customers with q=x. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [path = "/", query = ""] = raw.split("?", 2);
  return { path: path.startsWith("/") ? path : `/${path}`, query: new URLSearchParams(query) };
}

/** Only a path of this console is a place to go back to (never another site, never sign-in). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  return next.startsWith("/sign-in") ? "/" : next;
}

/** The sign-in route that comes back to `here` afterwards. */
export function signInRoute(here: string): string {
  const next = safeNext(here);
  return next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`;
}

/** Where the person is now, as a route ("/customers?q=x"). */
export function currentPlace(): string {
  return location.hash.replace(/^#/, "") || "/";
}

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}
