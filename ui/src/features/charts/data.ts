// Chart data logic, free of React and uPlot: colours, EMA smoothing, grouping the server's
// sampled points by run, x values per axis mode, and merging runs into one aligned table.
import type { Double } from "../../api/responses";
import type { SampledPoint } from "../../api/runs_api";

export type XAxis = "step" | "wall" | "relative";

export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#843c39", "#7b4173",
  "#3182bd", "#e6550d", "#31a354", "#756bb1",
] as const;

/** 32-bit FNV-1a of a string. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The colour of a run on its own: the same on every page and every visit. */
export function runColor(runId: string): string {
  return PALETTE[fnv1a(runId) % PALETTE.length] ?? PALETTE[0];
}

/** Colours for runs shown together: each run's own colour unless two collide, in which case
 * the later run (by id) takes the next free one. The same set always gets the same colours. */
export function assignColors(runIds: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  const taken = new Set<number>();
  for (const id of [...new Set(runIds)].sort()) {
    let slot = fnv1a(id) % PALETTE.length;
    if (taken.size < PALETTE.length) {
      while (taken.has(slot)) slot = (slot + 1) % PALETTE.length;
    }
    taken.add(slot);
    result.set(id, PALETTE[slot] ?? PALETTE[0]);
  }
  return result;
}

/** A metric value as a number; NaN and the infinities as null (a gap in the chart). */
export function toNumber(value: Double): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Exponential moving average, debiased as TensorBoard does; gaps stay gaps. */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null) return null;
    last = last * w + (1 - w) * v;
    count += 1;
    return last / (1 - w ** count);
  });
}

export interface RunSeries {
  runId: string;
  steps: number[];
  timestamps: number[];
  values: (number | null)[];
}

/** The server's points (any order, several runs) as one step-ordered series per run, in the
 * order of `runIds`; runs without points get an empty series. */
export function groupByRun(points: readonly SampledPoint[], runIds: readonly string[]): RunSeries[] {
  const byRun = new Map<string, SampledPoint[]>();
  for (const p of points) {
    const list = byRun.get(p.run_id);
    if (list) list.push(p);
    else byRun.set(p.run_id, [p]);
  }
  return runIds.map((runId) => {
    const list = (byRun.get(runId) ?? []).sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    return {
      runId,
      steps: list.map((p) => p.step),
      timestamps: list.map((p) => p.timestamp),
      values: list.map((p) => toNumber(p.value)),
    };
  });
}

/** X values of a series: steps, wall time (seconds since the epoch, as uPlot's time axis wants)
 * or seconds since the run's first point. */
export function xValues(series: RunSeries, axis: XAxis): number[] {
  if (axis === "step") return series.steps;
  if (axis === "wall") return series.timestamps.map((t) => t / 1000);
  const first = series.timestamps.length ? Math.min(...series.timestamps) : 0;
  return series.timestamps.map((t) => (t - first) / 1000);
}

export type Aligned = [number[], ...(number | null)[][]];

/** Several (x, y) series as one table over the union of their x values (uPlot's layout);
 * a series has null where it has no point. */
export function mergeSeries(xs: readonly number[][], ys: readonly (number | null)[][]): Aligned {
  const all = new Set<number>();
  for (const x of xs) for (const v of x) all.add(v);
  const union = [...all].sort((a, b) => a - b);
  const index = new Map<number, number>();
  union.forEach((x, i) => index.set(x, i));
  const columns = ys.map((y, s) => {
    const column: (number | null)[] = new Array<number | null>(union.length).fill(null);
    const x = xs[s] ?? [];
    for (let i = 0; i < x.length; i++) {
      const at = index.get(x[i] as number);
      if (at !== undefined) column[at] = y[i] ?? null;
    }
    return column;
  });
  return [union, ...columns];
}

/** Values a log scale can draw: positive ones; the rest become gaps. */
export function forLogScale(values: readonly (number | null)[]): (number | null)[] {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}

/** The step range covered by the points whose x lies in [x0, x1] (for zooming in time modes). */
export function stepRange(
  series: readonly RunSeries[],
  axis: XAxis,
  x0: number,
  x1: number,
): { start: number; end: number } | null {
  let start = Infinity;
  let end = -Infinity;
  for (const s of series) {
    const xs = xValues(s, axis);
    xs.forEach((x, i) => {
      const step = s.steps[i] as number;
      if (x >= x0 && x <= x1) {
        start = Math.min(start, step);
        end = Math.max(end, step);
      }
    });
  }
  return start <= end ? { start, end } : null;
}
