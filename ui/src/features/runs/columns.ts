// The runs table's column model: fixed attribute columns, then param and metric columns named
// as the search language names them (`params.<key>`, `metrics.<key>`), so a column id is also
// what the server sorts by.
import type { Double, Run } from "../../api/responses";
import { formatDuration, formatTime, formatValue, runDuration } from "../../lib/format";
import type { Sort } from "../../lib/route";

export type ColumnKind = "attribute" | "param" | "metric" | "tag";

export interface RunColumn {
  id: string;
  kind: ColumnKind;
  /** The key (param/metric name) or attribute name. */
  name: string;
  label: string;
  width: number;
  /** False for columns the server cannot order by (duration). */
  sortable: boolean;
  numeric: boolean;
  /** For the on-demand min/max columns of a metric (values from runs/metric-summaries). */
  stat?: "min" | "max";
}

const PREFIX: Record<ColumnKind, string> = {
  attribute: "attributes",
  param: "params",
  metric: "metrics",
  tag: "tags",
};

export const ATTRIBUTE_COLUMNS: readonly RunColumn[] = [
  attr("run_name", "Run name", 220, true),
  attr("status", "Status", 100, true),
  attr("start_time", "Started", 175, true),
  attr("duration", "Duration", 90, false),
  attr("user_id", "User", 110, true),
];

/** How many param and metric columns each the table shows before the user chooses. */
export const DEFAULT_PER_KIND = 8;

function attr(name: string, label: string, width: number, sortable: boolean): RunColumn {
  return { id: `attributes.${name}`, kind: "attribute", name, label, width, sortable, numeric: false };
}

export function columnId(kind: ColumnKind, name: string): string {
  return `${PREFIX[kind]}.${name}`;
}

/** The column of an id such as `metrics.loss`; null for an id of no known kind. */
export function parseColumnId(id: string): RunColumn | null {
  const dot = id.indexOf(".");
  if (dot <= 0) return null;
  const prefix = id.slice(0, dot);
  const name = id.slice(dot + 1);
  if (!name) return null;
  if (prefix === "attributes") return ATTRIBUTE_COLUMNS.find((c) => c.id === id) ?? null;
  if (prefix === "params") {
    return { id, kind: "param", name, label: name, width: 120, sortable: true, numeric: false };
  }
  if (prefix === "metrics") {
    return { id, kind: "metric", name, label: name, width: 120, sortable: true, numeric: true };
  }
  if (prefix === "tags") {
    return { id, kind: "tag", name, label: name, width: 140, sortable: true, numeric: false };
  }
  return null;
}

/** The min and max columns shown after metric column `column` when min/max is on. */
export function statColumns(column: RunColumn): RunColumn[] {
  return (["min", "max"] as const).map((stat) => ({
    ...column,
    id: `${stat}:${column.id}`,
    label: `${column.label} (${stat})`,
    sortable: false,
    stat,
  }));
}

export interface FoundKeys {
  params: string[];
  metrics: string[];
  /** Tag keys, without the `mlflow.` system tags. */
  tags: string[];
}

/** The param, metric and (user) tag keys found in `runs`, sorted. */
export function collectKeys(runs: readonly Run[]): FoundKeys {
  const params = new Set<string>();
  const metrics = new Set<string>();
  const tags = new Set<string>();
  for (const run of runs) {
    for (const p of run.data.params ?? []) params.add(p.key);
    for (const m of run.data.metrics ?? []) metrics.add(m.key);
    for (const t of run.data.tags ?? []) if (!t.key.startsWith("mlflow.")) tags.add(t.key);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { params: sorted(params), metrics: sorted(metrics), tags: sorted(tags) };
}

/** The union of several `FoundKeys` (of the pages of a table), sorted. */
export function mergeKeys(parts: readonly FoundKeys[]): FoundKeys {
  if (parts.length === 1) return parts[0]!;
  const union = (pick: (k: FoundKeys) => string[]) =>
    [...new Set(parts.flatMap(pick))].sort((a, b) => a.localeCompare(b));
  return { params: union((k) => k.params), metrics: union((k) => k.metrics), tags: union((k) => k.tags) };
}

/** The column of the experiment a run belongs to, shown when several experiments are open.
 * The server cannot order by it. */
export const EXPERIMENT_COLUMN: RunColumn = attr("experiment_id", "Experiment", 160, false);

/** The ids of the optional columns shown when the user has chosen none. */
export function defaultColumns(keys: FoundKeys, perKind = DEFAULT_PER_KIND): string[] {
  return [
    ...keys.params.slice(0, perKind).map((k) => columnId("param", k)),
    ...keys.metrics.slice(0, perKind).map((k) => columnId("metric", k)),
  ];
}

/** The columns to show: attributes, then the chosen (or default) optional columns. */
export function visibleColumns(
  chosen: readonly string[] | null,
  keys: FoundKeys,
  minmax = false,
  withExperiment = false,
): RunColumn[] {
  const ids = chosen ?? defaultColumns(keys);
  const optional = ids
    .map(parseColumnId)
    .filter((c): c is RunColumn => c !== null && c.kind !== "attribute");
  const withStats = minmax
    ? optional.flatMap((c) => (c.kind === "metric" ? [c, ...statColumns(c)] : [c]))
    : optional;
  if (!withExperiment) return [...ATTRIBUTE_COLUMNS, ...withStats];
  const [name, ...rest] = ATTRIBUTE_COLUMNS;
  return [name!, EXPERIMENT_COLUMN, ...rest, ...withStats];
}

/** `chosen` with `id` switched on or off (starting from the default set). */
export function toggleColumn(chosen: readonly string[] | null, keys: FoundKeys, id: string): string[] {
  const current = chosen ?? defaultColumns(keys);
  return current.includes(id) ? current.filter((c) => c !== id) : [...current, id];
}

/** The server's `order_by` clause for a sort; keys are backquoted so any name works. */
export function orderByClause(sort: Sort | null): string[] {
  if (!sort) return [];
  const column = parseColumnId(sort.column);
  if (!column || !column.sortable) return [];
  const direction = sort.ascending ? "ASC" : "DESC";
  return [`${PREFIX[column.kind]}.\`${column.name}\` ${direction}`];
}

/** The sort after clicking `columnId`'s header: descending, ascending, then off. */
export function nextSort(current: Sort | null, id: string): Sort | null {
  if (!current || current.column !== id) return { column: id, ascending: false };
  if (!current.ascending) return { column: id, ascending: true };
  return null;
}

interface RunIndex {
  params: Map<string, string>;
  metrics: Map<string, Double>;
  tags: Map<string, string>;
}

// Key → value maps per run, built once: a wide run has thousands of keys, and a linear search
// per cell would make rendering quadratic.
const indexes = new WeakMap<Run, RunIndex>();

export function runIndex(run: Run): RunIndex {
  let index = indexes.get(run);
  if (!index) {
    index = {
      params: new Map((run.data.params ?? []).map((p) => [p.key, p.value])),
      metrics: new Map((run.data.metrics ?? []).map((m) => [m.key, m.value])),
      tags: new Map((run.data.tags ?? []).map((t) => [t.key, t.value])),
    };
    indexes.set(run, index);
  }
  return index;
}

/** min/max of a run's metric (from runs/metric-summaries), when loaded. */
export type StatLookup = (runId: string, key: string, stat: "min" | "max") => Double | undefined;

/** The text of one cell. */
export function cellText(
  run: Run,
  column: RunColumn,
  now = Date.now(),
  stats?: StatLookup,
): string {
  const info = run.info;
  switch (column.kind) {
    case "param":
      return runIndex(run).params.get(column.name) ?? "";
    case "tag":
      return runIndex(run).tags.get(column.name) ?? "";
    case "metric":
      if (column.stat) return formatValue(stats?.(info.run_id, column.name, column.stat));
      return formatValue(runIndex(run).metrics.get(column.name));
    case "attribute":
      switch (column.name) {
        case "run_name":
          return info.run_name ?? info.run_id;
        case "status":
          return info.status;
        case "start_time":
          return formatTime(info.start_time);
        case "duration":
          return formatDuration(runDuration(info.start_time, info.end_time, now));
        case "user_id":
          return info.user_id ?? "";
        case "experiment_id":
          return info.experiment_id;
        default:
          return "";
      }
  }
}
