// Grouped bands, free of React and uPlot: per group of runs and per step, the mean, min and max
// of the runs' values (a shaded min–max band around a mean line). Runs are aligned by step; a
// step some runs lack uses the runs that have it.
import { type Aligned, ema, forLogScale, mergeSeries, type RunSeries, xValues } from "./data";
import type { PanelBand, PanelSeries } from "./ChartPanel";
import type { ChartSettings } from "./settings";

/** A named set of runs drawn as one band. */
export interface ChartGroup {
  name: string;
  runIds: string[];
}

/** One run's points, ready to aggregate: x per point (steps or times) and finite values or null. */
export interface BandInput {
  steps: readonly number[];
  xs: readonly number[];
  values: readonly (number | null)[];
}

/** Per step (ascending): x (the mean of the runs' x there), mean, min, max and how many runs. */
export interface Band {
  steps: number[];
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
  count: number[];
}

interface Acc {
  sumX: number;
  sum: number;
  min: number;
  max: number;
  n: number;
}

/** Mean, min and max at each step over the runs with a finite value there; steps without any
 * are left out, so the output holds no NaN, null or infinity. */
export function aggregate(runs: readonly BandInput[]): Band {
  const bySteps = new Map<number, Acc>();
  for (const run of runs) {
    for (let i = 0; i < run.steps.length; i++) {
      const v = run.values[i];
      const x = run.xs[i];
      const step = run.steps[i] as number;
      if (v === null || v === undefined || !Number.isFinite(v) || x === undefined) continue;
      const acc = bySteps.get(step);
      if (acc) {
        acc.sumX += x;
        acc.sum += v;
        acc.min = Math.min(acc.min, v);
        acc.max = Math.max(acc.max, v);
        acc.n += 1;
      } else {
        bySteps.set(step, { sumX: x, sum: v, min: v, max: v, n: 1 });
      }
    }
  }
  const band: Band = { steps: [], x: [], mean: [], min: [], max: [], count: [] };
  for (const step of [...bySteps.keys()].sort((a, b) => a - b)) {
    const acc = bySteps.get(step) as Acc;
    band.steps.push(step);
    band.x.push(acc.sumX / acc.n);
    band.mean.push(acc.sum / acc.n);
    band.min.push(acc.min);
    band.max.push(acc.max);
    band.count.push(acc.n);
  }
  return band;
}

/** The aligned table, series styles and bands of a panel in band mode: per group a max, a min
 * (faint edges, the band filled between them) and a mean line. Each run is smoothed (and made
 * log-safe) before aggregating. */
export function bandPanelData(
  series: readonly RunSeries[],
  settings: ChartSettings,
  groups: readonly ChartGroup[],
  colors: Map<string, string>,
): { data: Aligned; styles: PanelSeries[]; bands: PanelBand[] } {
  const byRun = new Map(series.map((s) => [s.runId, s]));
  const xs: number[][] = [];
  const ys: (number | null)[][] = [];
  const styles: PanelSeries[] = [];
  const bands: PanelBand[] = [];
  for (const group of groups) {
    const inputs: BandInput[] = [];
    for (const id of group.runIds) {
      const s = byRun.get(id);
      if (!s) continue;
      const raw = settings.logScale ? forLogScale(s.values) : s.values;
      const values = settings.smoothing > 0 ? ema(raw, settings.smoothing) : raw;
      inputs.push({ steps: s.steps, xs: xValues(s, settings.xAxis), values });
    }
    const band = aggregate(inputs);
    const color = colors.get(group.name) ?? "#1f77b4";
    bands.push({ upper: styles.length, lower: styles.length + 1, color });
    xs.push(band.x, band.x, band.x);
    ys.push(band.max, band.min, band.mean);
    styles.push(
      { label: `${group.name} max`, color, faint: true },
      { label: `${group.name} min`, color, faint: true },
      { label: `${group.name} mean`, color },
    );
  }
  return { data: mergeSeries(xs, ys), styles, bands };
}
