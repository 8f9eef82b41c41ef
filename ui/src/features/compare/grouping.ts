// Grouping the compared runs by a param or tag: per group and metric, the mean, min and max of
// the runs' last values.
import type { Run } from "../../api/responses";
import { valueOf } from "./values";

export interface GroupStats {
  mean: number;
  min: number;
  max: number;
  count: number;
}

export interface Group {
  /** The grouping value ("(none)" for runs without it). */
  value: string;
  runIds: string[];
  /** By metric key. */
  stats: Map<string, GroupStats>;
}

export const NO_VALUE = "(none)";

export function stats(values: readonly number[]): GroupStats | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const sum = finite.reduce((a, b) => a + b, 0);
  return {
    mean: sum / finite.length,
    min: Math.min(...finite),
    max: Math.max(...finite),
    count: finite.length,
  };
}

export function groupRuns(runs: readonly Run[], by: string, metricKeys: readonly string[]): Group[] {
  const buckets = new Map<string, Run[]>();
  for (const run of runs) {
    const v = valueOf(run, by);
    const key = v === undefined ? NO_VALUE : String(v);
    const list = buckets.get(key);
    if (list) list.push(run);
    else buckets.set(key, [run]);
  }
  const groups: Group[] = [];
  for (const [value, members] of buckets) {
    const byMetric = new Map<string, GroupStats>();
    for (const key of metricKeys) {
      const values = members
        .map((r) => valueOf(r, `metrics.${key}`))
        .filter((v): v is number => typeof v === "number");
      const s = stats(values);
      if (s) byMetric.set(key, s);
    }
    groups.push({ value, runIds: members.map((r) => r.info.run_id), stats: byMetric });
  }
  return groups.sort((a, b) => a.value.localeCompare(b.value, undefined, { numeric: true }));
}
