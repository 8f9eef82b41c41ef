// The runs table's column model: fixed attribute columns, then param and metric columns named
// as the search language names them (`params.<key>`, `metrics.<key>`), so a column id is also
// what the server sorts by.
import type { Double, Run } from "../../api/responses";
import { formatDuration, formatTime, formatValue, runDuration } from "../../lib/format";
import type { Sort } from "../../lib/route";

export type ColumnKind = "attribute" | "param" | "metric";

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
}

const PREFIX: Record<ColumnKind, string> = {
  attribute: "attributes",
  param: "params",
  metric: "metrics",
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
  return null;
}

export interface FoundKeys {
  params: string[];
  metrics: string[];
}

/** The param and metric keys found in `runs`, sorted. */
export function collectKeys(runs: readonly Run[]): FoundKeys {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const run of runs) {
    for (const p of run.data.params ?? []) params.add(p.key);
    for (const m of run.data.metrics ?? []) metrics.add(m.key);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { params: sorted(params), metrics: sorted(metrics) };
}

/** The ids of the optional columns shown when the user has chosen none. */
export function defaultColumns(keys: FoundKeys, perKind = DEFAULT_PER_KIND): string[] {
  return [
    ...keys.params.slice(0, perKind).map((k) => columnId("param", k)),
    ...keys.metrics.slice(0, perKind).map((k) => columnId("metric", k)),
  ];
}

/** The columns to show: attributes, then the chosen (or default) optional columns. */
export function visibleColumns(chosen: readonly string[] | null, keys: FoundKeys): RunColumn[] {
  const ids = chosen ?? defaultColumns(keys);
  const optional = ids
    .map(parseColumnId)
    .filter((c): c is RunColumn => c !== null && c.kind !== "attribute");
  return [...ATTRIBUTE_COLUMNS, ...optional];
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

function metricValue(run: Run, key: string): Double | undefined {
  return run.data.metrics?.find((m) => m.key === key)?.value;
}

/** The text of one cell. */
export function cellText(run: Run, column: RunColumn, now = Date.now()): string {
  const info = run.info;
  switch (column.kind) {
    case "param":
      return run.data.params?.find((p) => p.key === column.name)?.value ?? "";
    case "metric":
      return formatValue(metricValue(run, column.name));
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
        default:
          return "";
      }
  }
}
