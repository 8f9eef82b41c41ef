// Formatting of times, durations and metric values for display.
import type { Double } from "../api/responses";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `2026-11-27 06:29:11` in local time, or "" when unknown. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return "";
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A compact duration: `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 4h`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const totalSeconds = Math.floor(s);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(totalSeconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** The duration of a run: end − start, or now − start while it runs. */
export function runDuration(start?: number, end?: number, now = Date.now()): number | null {
  if (!start) return null;
  return (end ?? now) - start;
}

/** A metric value with up to 6 significant digits; NaN and infinities as words. */
export function formatValue(value: Double | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** The 0-based position a search-language error names ("… at position 11 …"), if any. */
export function errorPosition(message: string): number | null {
  const found = /\bat position (\d+)\b/.exec(message);
  return found ? Number(found[1]) : null;
}
