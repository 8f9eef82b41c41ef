import { describe, expect, it } from "vitest";
import {
  decodeView,
  encodeView,
  experimentsRoute,
  formatRoute,
  openExperiments,
  parseHash,
  type Route,
} from "./route";

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


describe("runs of several experiments", () => {
  it("reads MLflow's compare-experiments URL, with or without escapes", () => {
    expect(parseHash('#/compare-experiments/s?experiments=["1","2"]')).toEqual({
      page: "experimentsRuns",
      experimentIds: ["1", "2"],
      view: { filter: "", sort: null, columns: null },
    });
    expect(parseHash("#/compare-experiments/s?experiments=%5B%223%22%2C%224%22%5D")).toMatchObject({
      experimentIds: ["3", "4"],
    });
    expect(parseHash('#/compare-experiments?experiments=["5","6"]')).toMatchObject({
      page: "experimentsRuns",
      experimentIds: ["5", "6"],
    });
  });

  it("round-trips the experiments with the view's filter, sort and columns", () => {
    const route: Route = {
      page: "experimentsRuns",
      experimentIds: ["10", "2", "x y"],
      view: {
        filter: "params.lr = '0.1'",
        sort: { column: "metrics.loss", ascending: true },
        columns: ["metrics.loss"],
        minmax: true,
      },
    };
    const hash = formatRoute(route);
    expect(hash.startsWith("#/compare-experiments/s?experiments=")).toBe(true);
    expect(parseHash(hash)).toEqual(route);
  });

  it("drops repeats and blanks, and opens one experiment's own page for a list of one", () => {
    expect(parseHash('#/compare-experiments/s?experiments=["1","1","","2"]')).toMatchObject({
      experimentIds: ["1", "2"],
    });
    expect(parseHash('#/compare-experiments/s?experiments=["4"]&filter=a')).toEqual({
      page: "experiments",
      experimentId: "4",
      view: { filter: "a", sort: null, columns: null },
    });
    expect(parseHash("#/compare-experiments/s?experiments=oops")).toMatchObject({
      page: "experiments",
      experimentId: null,
    });
    expect(parseHash("#/compare-experiments/s/extra")).toMatchObject({ page: "notFound" });
  });

  it("builds the route of a set of experiments and tells which ones a route shows", () => {
    const view = { filter: "f", sort: null, columns: null };
    expect(experimentsRoute([])).toMatchObject({ page: "experiments", experimentId: null });
    expect(experimentsRoute(["3"], view)).toEqual({ page: "experiments", experimentId: "3", view });
    expect(experimentsRoute(["3", "4", "3"], view)).toEqual({
      page: "experimentsRuns",
      experimentIds: ["3", "4"],
      view,
    });
    expect(openExperiments(parseHash('#/compare-experiments/s?experiments=["1","2"]'))).toEqual(["1", "2"]);
    expect(openExperiments(parseHash("#/experiments/7?filter=x"))).toEqual(["7"]);
    expect(openExperiments(parseHash("#/models"))).toEqual([]);
  });

  it("keeps single-experiment links as they were", () => {
    expect(formatRoute(experimentsRoute(["7"]))).toBe("#/experiments/7");
    expect(parseHash("#/experiments/7")).toMatchObject({ page: "experiments", experimentId: "7" });
  });
});
