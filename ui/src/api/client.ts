// The API client, generated from the API's OpenAPI document (schema.d.ts): no hand-written
// copy of an API type. Same origin as the API, so the session cookie goes along by itself.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Session = Schemas["SessionOut"];
export type Stage = Schemas["Stage"];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

let csrfToken = "";
let onSignedOut: () => void = () => undefined;

/** Remember the CSRF token of the current session (sent as X-CSRF-Token on every write). */
export function rememberSession(session: Session | null): void {
  csrfToken = session?.csrf_token ?? "";
}

/** The CSRF token of the current session, for requests made outside this client (uploads). */
export function csrf(): string {
  return csrfToken;
}

/** Called when the API answers 401 to a signed-in request: the session has ended. */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method) && csrfToken) {
      request.headers.set("X-CSRF-Token", csrfToken);
    }
    return request;
  },
  onResponse({ request, response }) {
    const url = new URL(request.url);
    const signingIn = url.pathname === "/api/auth/login" || url.pathname === "/api/auth/me";
    if (response.status === 401 && !signingIn) onSignedOut();
    return response;
  },
};

// The unit tests import this module in Node, which has no `location`.
export const api = createClient<paths>({ baseUrl: "location" in globalThis ? location.origin : "" });
api.use(csrfMiddleware);
