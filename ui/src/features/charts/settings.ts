// The chart grid's settings, kept in the query of the location hash next to the route, so a
// view can be shared: `#/experiments/1/runs/<id>?tab=charts&m=loss&m=acc&x=wall&smooth=0.6&log=1`.
// The app's route helpers do not model a run page's query, so this module reads and writes its
// own keys and leaves the path (and any other keys) alone.
import { useCallback, useMemo, useSyncExternalStore } from "react";
import type { XAxis } from "./data";

export interface ChartSettings {
  /** The metrics shown, in order; null means all of the runs' metrics. */
  metrics: string[] | null;
  xAxis: XAxis;
  /** EMA weight in [0, 0.99]; 0 is off. */
  smoothing: number;
  logScale: boolean;
}

export const DEFAULT_SETTINGS: ChartSettings = {
  metrics: null,
  xAxis: "step",
  smoothing: 0,
  logScale: false,
};

const NONE = "";

export function decodeChartSettings(params: URLSearchParams): ChartSettings {
  const raw = params.getAll("m");
  const x = params.get("x");
  const smooth = Number(params.get("smooth") ?? 0);
  return {
    metrics: raw.length === 0 ? null : raw.filter((m) => m !== NONE),
    xAxis: x === "wall" || x === "relative" ? x : "step",
    smoothing: Number.isFinite(smooth) ? Math.min(Math.max(smooth, 0), 0.99) : 0,
    logScale: params.get("log") === "1",
  };
}

/** `params` with the settings' keys replaced (defaults are left out). */
export function encodeChartSettings(s: ChartSettings, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of ["m", "x", "smooth", "log"]) next.delete(key);
  if (s.metrics) {
    if (s.metrics.length === 0) next.append("m", NONE);
    for (const m of s.metrics) next.append("m", m);
  }
  if (s.xAxis !== "step") next.set("x", s.xAxis);
  if (s.smoothing > 0) next.set("smooth", String(s.smoothing));
  if (s.logScale) next.set("log", "1");
  return next;
}

function splitHash(hash: string): [string, string] {
  const body = hash.replace(/^#/, "");
  const q = body.indexOf("?");
  return q < 0 ? [body, ""] : [body.slice(0, q), body.slice(q + 1)];
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The hash's query text; re-renders when it changes. */
export function useHashQueryText(): string {
  return useSyncExternalStore(subscribe, () => splitHash(window.location.hash)[1], () => "");
}

/** Replace the hash's query (same path), as a new history entry or in place. */
export function setHashQuery(params: URLSearchParams, replace = true): void {
  const [path] = splitHash(window.location.hash);
  const query = params.toString();
  const hash = `#${path}${query ? `?${query}` : ""}`;
  if (hash === window.location.hash) return;
  if (replace) {
    window.history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    window.location.hash = hash;
  }
}

/** One key of the hash's query, and a setter (null removes it). */
export function useHashParam(key: string): [string | null, (value: string | null) => void] {
  const text = useHashQueryText();
  const value = new URLSearchParams(text).get(key);
  const set = useCallback(
    (next: string | null) => {
      const params = new URLSearchParams(splitHash(window.location.hash)[1]);
      if (next === null) params.delete(key);
      else params.set(key, next);
      setHashQuery(params, false);
    },
    [key],
  );
  return [value, set];
}

/** The chart settings held by the URL, and a setter that writes them back. */
export function useChartSettingsFromHash(): [ChartSettings, (s: ChartSettings) => void] {
  const text = useHashQueryText();
  const settings = useMemo(() => decodeChartSettings(new URLSearchParams(text)), [text]);
  const set = useCallback((s: ChartSettings) => {
    const params = new URLSearchParams(splitHash(window.location.hash)[1]);
    setHashQuery(encodeChartSettings(s, params));
  }, []);
  return [settings, set];
}
