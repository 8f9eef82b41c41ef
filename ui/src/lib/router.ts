// A tiny hash router: the current route as React state, and navigation.
import { useSyncExternalStore } from "react";
import { formatRoute, parseHash, type Route } from "./route";

function subscribe(onChange: () => void): () => void {
  // Back and forward between entries made by `navigate` fire popstate (and hashchange).
  window.addEventListener("hashchange", onChange);
  window.addEventListener("popstate", onChange);
  return () => {
    window.removeEventListener("hashchange", onChange);
    window.removeEventListener("popstate", onChange);
  };
}

function currentHash(): string {
  return window.location.hash;
}

/** The route of the current location; re-renders when it changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash, () => "");
  return parseHash(hash);
}

/** Go to `route`; `replace` edits the current history entry (for typing in a filter, say).
 * The new route renders at once (not after the browser's asynchronous hashchange), so a
 * controlled checkbox that navigates shows its new state as soon as it is clicked. */
export function navigate(route: Route, replace = false): void {
  const hash = formatRoute(route);
  if (hash === window.location.hash) return;
  if (replace) window.history.replaceState(null, "", hash);
  else window.history.pushState(null, "", hash);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

export function href(route: Route): string {
  return formatRoute(route);
}
