// The values of runs being compared, by column id as the search language names them
// (`params.lr`, `metrics.loss`, `tags.team`): numbers where a value parses as one.
import type { Run } from "../../api/responses";

export type Value = number | string;

export interface Keys {
  params: string[];
  metrics: string[];
  tags: string[];
}

/** The keys of `runs` (tags without the `mlflow.` system ones), sorted. */
export function keysOf(runs: readonly Run[]): Keys {
  const p = new Set<string>();
  const m = new Set<string>();
  const t = new Set<string>();
  for (const run of runs) {
    for (const x of run.data.params ?? []) p.add(x.key);
    for (const x of run.data.metrics ?? []) m.add(x.key);
    for (const x of run.data.tags ?? []) if (!x.key.startsWith("mlflow.")) t.add(x.key);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { params: sorted(p), metrics: sorted(m), tags: sorted(t) };
}

/** Every column id of `keys`: params, then metrics, then tags. */
export function columnIds(keys: Keys): string[] {
  return [
    ...keys.params.map((k) => `params.${k}`),
    ...keys.metrics.map((k) => `metrics.${k}`),
    ...keys.tags.map((k) => `tags.${k}`),
  ];
}

export function splitId(id: string): { prefix: string; key: string } {
  const dot = id.indexOf(".");
  return { prefix: id.slice(0, dot), key: id.slice(dot + 1) };
}

function asNumber(text: string): Value {
  const trimmed = text.trim();
  if (trimmed === "") return text;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : text;
}

/** The value of column `id` in `run`; undefined when the run lacks it. */
export function valueOf(run: Run, id: string): Value | undefined {
  const { prefix, key } = splitId(id);
  if (prefix === "metrics") {
    const value = run.data.metrics?.find((m) => m.key === key)?.value;
    if (value === undefined) return undefined;
    return typeof value === "number" ? value : value;
  }
  const list = prefix === "params" ? run.data.params : prefix === "tags" ? run.data.tags : null;
  const text = list?.find((x) => x.key === key)?.value;
  return text === undefined ? undefined : asNumber(text);
}

/** The text of column `id` in `run` as logged ("" when absent). */
export function textOf(run: Run, id: string): string {
  const value = valueOf(run, id);
  if (value === undefined) return "";
  if (typeof value === "number" && !Number.isInteger(value)) return String(Number(value.toPrecision(6)));
  return String(value);
}

export function label(id: string): string {
  return splitId(id).key;
}
