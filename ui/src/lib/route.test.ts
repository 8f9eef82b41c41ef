import { describe, expect, it } from "vitest";
import { decodeView, encodeView, formatRoute, parseHash, type Route } from "./route";

describe("parseHash", () => {
  it("reads MLflow's URL shapes", () => {
    expect(parseHash("#/experiments/12")).toEqual({
      page: "experiments",
      experimentId: "12",
      view: { filter: "", sort: null, columns: null },
    });
    expect(parseHash("#/experiments/12/runs/abc123")).toEqual({
      page: "run",
      experimentId: "12",
      runId: "abc123",
    });
    expect(parseHash("#/models/my%20model")).toEqual({ page: "model", name: "my model" });
    expect(parseHash("#/models/m/versions/3")).toEqual({
      page: "modelVersion",
      name: "m",
      version: "3",
    });
    expect(parseHash("#/models")).toEqual({ page: "models" });
  });

  it("sends empty and unknown locations to the right pages", () => {
    expect(parseHash("")).toMatchObject({ page: "experiments", experimentId: null });
    expect(parseHash("#/")).toMatchObject({ page: "experiments", experimentId: null });
    expect(parseHash("#/nope/1")).toEqual({ page: "notFound", path: "/nope/1" });
    expect(parseHash("#/experiments/1/runs")).toMatchObject({ page: "notFound" });
  });

  it("keeps a malformed escape as it is", () => {
    expect(parseHash("#/models/100%")).toEqual({ page: "model", name: "100%" });
  });
});

describe("view state in the URL", () => {
  it("round-trips filter, sort and columns", () => {
    const view = {
      filter: "metrics.x > 0.5 and params.`a b` = 'c&d'",
      sort: { column: "metrics.x", ascending: false },
      columns: ["params.a b", "metrics.x,y"],
    };
    const route: Route = { page: "experiments", experimentId: "7", view };
    const hash = formatRoute(route);
    expect(hash.startsWith("#/experiments/7?")).toBe(true);
    expect(parseHash(hash)).toEqual(route);
  });

  it("tells the default columns from none", () => {
    expect(decodeView(encodeView({ filter: "", sort: null, columns: null })).columns).toBeNull();
    expect(decodeView(encodeView({ filter: "", sort: null, columns: [] })).columns).toEqual([]);
  });

  it("writes ascending and descending sorts", () => {
    expect(encodeView({ filter: "", sort: { column: "attributes.start_time", ascending: true }, columns: null })).toBe(
      "sort=attributes.start_time",
    );
    expect(decodeView("sort=-metrics.loss").sort).toEqual({ column: "metrics.loss", ascending: false });
    expect(decodeView("sort=-").sort).toBeNull();
  });

  it("formats every page", () => {
    expect(formatRoute({ page: "run", experimentId: "1", runId: "r" })).toBe("#/experiments/1/runs/r");
    expect(formatRoute({ page: "modelVersion", name: "a/b", version: "2" })).toBe(
      "#/models/a%2Fb/versions/2",
    );
    expect(formatRoute({ page: "experiments", experimentId: null, view: decodeView("") })).toBe(
      "#/experiments",
    );
  });
});

describe("compare-runs URL", () => {
  it("reads MLflow's JSON lists and our settings, and writes them back", () => {
    const route = parseHash('#/compare-runs?runs=["a","b"]&experiments=["1"]&sx=params.lr&diff=1&axis=params.lr&axis=metrics.x');
    expect(route).toEqual({
      page: "compare",
      runIds: ["a", "b"],
      experimentIds: ["1"],
      settings: { axes: ["params.lr", "metrics.x"], x: "params.lr", y: null, diffOnly: true, groupBy: null },
    });
    expect(parseHash(formatRoute(route))).toEqual(route);
    expect(parseHash("#/compare-runs?runs=nope")).toMatchObject({ runIds: [] });
  });

  it("keeps the deleted-runs and min/max toggles of the runs view", () => {
    expect(decodeView(encodeView({ filter: "", sort: null, columns: null, deleted: true, minmax: true }))).toEqual({
      filter: "",
      sort: null,
      columns: null,
      deleted: true,
      minmax: true,
    });
  });
});

