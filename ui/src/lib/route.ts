// The URL holds the view. Routes follow MLflow's hash URLs so links printed by the mlflow
// client keep working:
//   #/experiments/<id>?filter=…&sort=-metrics.x&c=params.lr&c=metrics.x
//   #/experiments/<id>/runs/<run_id>
//   #/models, #/models/<name>, #/models/<name>/versions/<v>
//   #/compare-runs?runs=["<id>",…]&experiments=["<id>",…]  (plus the view's settings)
//   #/compare-experiments/s?experiments=["<id>",…]&filter=…  (the runs of several experiments;
//   MLflow's shape: a JSON list of ids, after the literal segment `s`)

export interface Sort {
  /** A column id, as the search language names it: `metrics.x`, `attributes.start_time`. */
  column: string;
  ascending: boolean;
}

export interface RunsView {
  filter: string;
  sort: Sort | null;
  /** The chosen columns in order; null means "the default set". */
  columns: string[] | null;
  /** Show deleted runs instead of active ones (`deleted=1`). */
  deleted?: boolean;
  /** Show min and max next to each metric column (`mm=1`). */
  minmax?: boolean;
}

/** The settings of the compare page, all kept in its URL. */
export interface CompareSettings {
  /** Parallel-coordinates axes (column ids); empty means "params, then metrics, as found". */
  axes: string[];
  /** Scatter plot axes (column ids). */
  x: string | null;
  y: string | null;
  /** Diff table: only rows whose values differ. */
  diffOnly: boolean;
  /** Group runs by this column id (`params.x` or `tags.x`). */
  groupBy: string | null;
}

export type Route =
  | { page: "experiments"; experimentId: string | null; view: RunsView }
  | { page: "run"; experimentId: string; runId: string }
  | { page: "models" }
  | { page: "model"; name: string }
  | { page: "modelVersion"; name: string; version: string }
  | { page: "experimentsRuns"; experimentIds: string[]; view: RunsView }
  | { page: "compare"; runIds: string[]; experimentIds: string[]; settings: CompareSettings }
  | { page: "notFound"; path: string };

export const EMPTY_VIEW: RunsView = { filter: "", sort: null, columns: null };
export const DEFAULT_COMPARE: CompareSettings = {
  axes: [],
  x: null,
  y: null,
  diffOnly: false,
  groupBy: null,
};

/** An empty `c=` parameter stands for "no optional columns"; no `c` at all for the default. */
const NO_COLUMNS = "";

export function encodeSort(sort: Sort): string {
  return (sort.ascending ? "" : "-") + sort.column;
}

export function decodeSort(text: string | null): Sort | null {
  if (!text) return null;
  const ascending = !text.startsWith("-");
  const column = ascending ? text : text.slice(1);
  return column ? { column, ascending } : null;
}

export function encodeView(view: RunsView): string {
  const params = new URLSearchParams();
  if (view.filter) params.set("filter", view.filter);
  if (view.sort) params.set("sort", encodeSort(view.sort));
  if (view.columns) {
    if (view.columns.length === 0) params.append("c", NO_COLUMNS);
    for (const column of view.columns) params.append("c", column);
  }
  if (view.deleted) params.set("deleted", "1");
  if (view.minmax) params.set("mm", "1");
  return params.toString();
}

export function decodeView(query: string): RunsView {
  const params = new URLSearchParams(query);
  const raw = params.getAll("c");
  return {
    filter: params.get("filter") ?? "",
    sort: decodeSort(params.get("sort")),
    columns: raw.length === 0 ? null : raw.filter((c) => c !== NO_COLUMNS),
    ...(params.get("deleted") === "1" ? { deleted: true } : {}),
    ...(params.get("mm") === "1" ? { minmax: true } : {}),
  };
}

/** A JSON array of strings from the URL (MLflow writes `runs=["a","b"]`); [] when malformed. */
function jsonList(text: string | null): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export function encodeCompare(runIds: string[], experimentIds: string[], s: CompareSettings) {
  const params = new URLSearchParams();
  params.set("runs", JSON.stringify(runIds));
  params.set("experiments", JSON.stringify(experimentIds));
  for (const axis of s.axes) params.append("axis", axis);
  if (s.x) params.set("sx", s.x);
  if (s.y) params.set("sy", s.y);
  if (s.diffOnly) params.set("diff", "1");
  if (s.groupBy) params.set("group", s.groupBy);
  return params.toString();
}

export function decodeCompare(query: string): Extract<Route, { page: "compare" }> {
  const params = new URLSearchParams(query);
  return {
    page: "compare",
    runIds: jsonList(params.get("runs")),
    experimentIds: jsonList(params.get("experiments")),
    settings: {
      axes: params.getAll("axis").filter((a) => a !== ""),
      x: params.get("sx") || null,
      y: params.get("sy") || null,
      diffOnly: params.get("diff") === "1",
      groupBy: params.get("group") || null,
    },
  };
}

/** `ids` without blanks and repeats, in their first order. */
export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => id !== ""))];
}

/** The page of the runs of `experimentIds`: none is the home page, one its experiment's page,
 * several the multi-experiment page. */
export function experimentsRoute(experimentIds: readonly string[], view: RunsView = EMPTY_VIEW): Route {
  const ids = uniqueIds(experimentIds);
  if (ids.length === 0) return { page: "experiments", experimentId: null, view: EMPTY_VIEW };
  if (ids.length === 1) return { page: "experiments", experimentId: ids[0]!, view };
  return { page: "experimentsRuns", experimentIds: ids, view };
}

/** The experiments whose runs `route` shows ([] for pages other than runs tables). */
export function openExperiments(route: Route): string[] {
  if (route.page === "experimentsRuns") return route.experimentIds;
  if (route.page === "experiments" && route.experimentId !== null) return [route.experimentId];
  return [];
}

function segments(path: string): string[] {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** The route of a location hash such as `#/experiments/1?filter=…`. */
export function parseHash(hash: string): Route {
  const body = hash.replace(/^#/, "");
  const q = body.indexOf("?");
  const path = q < 0 ? body : body.slice(0, q);
  const query = q < 0 ? "" : body.slice(q + 1);
  const parts = segments(path);
  const [head, a, b, c, d] = parts;
  if (parts.length === 0) return { page: "experiments", experimentId: null, view: EMPTY_VIEW };
  if (head === "experiments") {
    if (a === undefined) return { page: "experiments", experimentId: null, view: EMPTY_VIEW };
    if (b === undefined) return { page: "experiments", experimentId: a, view: decodeView(query) };
    if (b === "runs" && c !== undefined && d === undefined) {
      return { page: "run", experimentId: a, runId: c };
    }
  }
  if (head === "compare-runs" && a === undefined) return decodeCompare(query);
  // MLflow writes `compare-experiments/s?experiments=[…]`; the `s` is optional here.
  if (head === "compare-experiments" && (a === undefined || a === "s") && b === undefined) {
    const params = new URLSearchParams(query);
    const ids = uniqueIds(jsonList(params.get("experiments")));
    params.delete("experiments");
    return experimentsRoute(ids, decodeView(params.toString()));
  }
  if (head === "models") {
    if (a === undefined) return { page: "models" };
    if (b === undefined) return { page: "model", name: a };
    if (b === "versions" && c !== undefined && d === undefined) {
      return { page: "modelVersion", name: a, version: c };
    }
  }
  return { page: "notFound", path };
}

const enc = encodeURIComponent;

/** The hash (with its leading `#`) of `route`. */
export function formatRoute(route: Route): string {
  switch (route.page) {
    case "experiments": {
      if (route.experimentId === null) return "#/experiments";
      const query = encodeView(route.view);
      return `#/experiments/${enc(route.experimentId)}${query ? `?${query}` : ""}`;
    }
    case "experimentsRuns": {
      const view = encodeView(route.view);
      const ids = new URLSearchParams({ experiments: JSON.stringify(route.experimentIds) });
      return `#/compare-experiments/s?${ids.toString()}${view ? `&${view}` : ""}`;
    }
    case "run":
      return `#/experiments/${enc(route.experimentId)}/runs/${enc(route.runId)}`;
    case "models":
      return "#/models";
    case "model":
      return `#/models/${enc(route.name)}`;
    case "modelVersion":
      return `#/models/${enc(route.name)}/versions/${enc(route.version)}`;
    case "compare":
      return `#/compare-runs?${encodeCompare(route.runIds, route.experimentIds, route.settings)}`;
    case "notFound":
      return `#${route.path}`;
  }
}
