// Scales of the parallel-coordinates (and scatter) axes: numeric axes are linear from min to max;
// an axis with any non-numeric value is categorical, its distinct values spread evenly.
import type { Value } from "./values";

export interface Axis {
  id: string;
  kind: "numeric" | "categorical";
  /** Position of a value on the axis, 0 (bottom) to 1 (top); null for a missing value. */
  position: (value: Value | undefined) => number | null;
  /** Labelled ticks: text and position. */
  ticks: { text: string; at: number }[];
}

function formatTick(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(3)));
}

/** The scale of axis `id` over `values` (one per run; undefined when the run lacks the key). */
export function scaleAxis(id: string, values: readonly (Value | undefined)[]): Axis {
  const present = values.filter((v): v is Value => v !== undefined);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number" && Number.isFinite(v));
  if (numeric) {
    const nums = present as number[];
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    const span = max - min;
    const position = (v: Value | undefined) => {
      if (typeof v !== "number" || !Number.isFinite(v)) return null;
      return span === 0 ? 0.5 : (v - min) / span;
    };
    const ticks =
      span === 0
        ? [{ text: formatTick(min), at: 0.5 }]
        : [0, 0.25, 0.5, 0.75, 1].map((f) => ({ text: formatTick(min + f * span), at: f }));
    return { id, kind: "numeric", position, ticks };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    id,
    kind: "categorical",
    position: (v) => {
      if (v === undefined) return null;
      const i = index.get(String(v));
      return i === undefined ? null : at(i);
    },
    ticks: categories.map((text, i) => ({ text, at: at(i) })),
  };
}

/** The default axes: params (that vary) first, then metrics, at most `limit`. */
export function defaultAxes(params: string[], metrics: string[], limit = 8): string[] {
  const m = metrics.slice(0, Math.max(1, Math.floor(limit / 2)));
  const p = params.slice(0, limit - m.length);
  return [...p, ...m];
}
