// The URL holds the view. Routes follow MLflow's hash URLs so links printed by the mlflow
// client keep working:
//   #/experiments/<id>?filter=…&sort=-metrics.x&c=params.lr&c=metrics.x
//   #/experiments/<id>/runs/<run_id>
//   #/models, #/models/<name>, #/models/<name>/versions/<v>

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
}

export type Route =
  | { page: "experiments"; experimentId: string | null; view: RunsView }
  | { page: "run"; experimentId: string; runId: string }
  | { page: "models" }
  | { page: "model"; name: string }
  | { page: "modelVersion"; name: string; version: string }
  | { page: "notFound"; path: string };

export const EMPTY_VIEW: RunsView = { filter: "", sort: null, columns: null };

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
  return params.toString();
}

export function decodeView(query: string): RunsView {
  const params = new URLSearchParams(query);
  const raw = params.getAll("c");
  return {
    filter: params.get("filter") ?? "",
    sort: decodeSort(params.get("sort")),
    columns: raw.length === 0 ? null : raw.filter((c) => c !== NO_COLUMNS),
  };
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
    case "run":
      return `#/experiments/${enc(route.experimentId)}/runs/${enc(route.runId)}`;
    case "models":
      return "#/models";
    case "model":
      return `#/models/${enc(route.name)}`;
    case "modelVersion":
      return `#/models/${enc(route.name)}/versions/${enc(route.version)}`;
    case "notFound":
      return `#${route.path}`;
  }
}
