// The web UI's sign-in session when the server runs with --auth: the server sets an HttpOnly
// session cookie and a script-readable CSRF cookie at sign-in; every state-changing call sends
// the CSRF token back in X-CSRF-Token. A 401 from any call asks the app to show the sign-in form.
import { NetworkError, toApiError } from "./errors";

export const LOGIN_PATH = "/api/2.0/runstone/auth/login";
export const LOGOUT_PATH = "/api/2.0/runstone/auth/logout";
const CSRF_COOKIE = "runstone_csrf";
const UNAUTHENTICATED_EVENT = "runstone:unauthenticated";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The CSRF token of the current session, read from its cookie (null when signed out). */
export function csrfToken(cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE && rest.length > 0) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** `init` with the CSRF header added to a state-changing request of a signed-in session. */
export function withCsrf(init: RequestInit): RequestInit {
  const method = (init.method ?? "GET").toUpperCase();
  const token = csrfToken();
  if (SAFE_METHODS.has(method) || token === null) return init;
  const headers = new Headers(init.headers);
  headers.set("X-CSRF-Token", token);
  return { ...init, headers };
}

/** Tell the app that the server wants a signed-in user. */
export function announceUnauthenticated(): void {
  window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
}

/** Call `listener` whenever a call was refused for want of a signed-in user. */
export function onUnauthenticated(listener: () => void): () => void {
  window.addEventListener(UNAUTHENTICATED_EVENT, listener);
  return () => window.removeEventListener(UNAUTHENTICATED_EVENT, listener);
}

/** `fetch` for the API: same-origin credentials, the CSRF header, typed failures, and the
 * sign-in form on 401. Answers the body's text. */
export async function fetchText(url: string, init: RequestInit): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...withCsrf(init) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new NetworkError(`The server could not be reached (${reason}).`);
  }
  const text = await response.text();
  if (response.status === 401) announceUnauthenticated();
  if (!response.ok) throw toApiError(response.status, text);
  return text;
}

/** Sign in; the server sets the session cookies. */
export async function signIn(username: string, password: string): Promise<void> {
  await fetchText(LOGIN_PATH, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
}

/** Sign out (the session ends on the server, its cookies are cleared). */
export async function signOut(): Promise<void> {
  await fetchText(LOGOUT_PATH, { method: "POST" });
}
