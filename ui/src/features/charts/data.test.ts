import { describe, expect, it } from "vitest";
import type { SampledPoint } from "../../api/runs_api";
import {
  PALETTE,
  assignColors,
  ema,
  forLogScale,
  groupByRun,
  mergeSeries,
  runColor,
  stepRange,
  toNumber,
  xValues,
} from "./data";

function point(run_id: string, step: number, value: SampledPoint["value"], timestamp = 1000 + step): SampledPoint {
  return { key: "loss", run_id, step, value, timestamp };
}

describe("ema", () => {
  it("is the identity at weight 0", () => {
    expect(ema([1, 2, null, 4], 0)).toEqual([1, 2, null, 4]);
  });

  it("is debiased: a constant series stays constant", () => {
    for (const v of ema([5, 5, 5, 5], 0.9)) expect(v).toBeCloseTo(5, 10);
  });

  it("smooths a step and keeps gaps", () => {
    const out = ema([0, 10, null, 10], 0.5);
    expect(out[0]).toBe(0);
    // (0.5*0 + 0.5*10) / (1 - 0.25) = 6.67
    expect(out[1]).toBeCloseTo(20 / 3, 6);
    expect(out[2]).toBeNull();
    expect(out[3]).toBeGreaterThan(out[1] as number);
    expect(out[3]).toBeLessThan(10);
  });
});

describe("colours", () => {
  it("gives a run the same colour every time", () => {
    expect(runColor("abc")).toBe(runColor("abc"));
    expect(PALETTE).toContain(runColor("abc"));
  });

  it("gives runs shown together distinct colours, the same for the same set in any order", () => {
    const ids = Array.from({ length: 12 }, (_, i) => `run${i}`);
    const a = assignColors(ids);
    const b = assignColors([...ids].reverse());
    expect(new Set(a.values()).size).toBe(12);
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
  });

  it("keeps a run's own colour when nothing collides", () => {
    expect(assignColors(["only"]).get("only")).toBe(runColor("only"));
  });
});

describe("chart data", () => {
  it("reads NaN and infinities as gaps", () => {
    expect([toNumber(1.5), toNumber("NaN"), toNumber("Infinity"), toNumber("-Infinity")]).toEqual([1.5, null, null, null]);
  });

  it("groups points by run in the order asked, sorted by step", () => {
    const series = groupByRun([point("b", 2, 3), point("a", 1, 1), point("b", 0, "NaN"), point("a", 0, 0)], ["a", "b", "c"]);
    expect(series.map((s) => s.runId)).toEqual(["a", "b", "c"]);
    expect(series[0]?.steps).toEqual([0, 1]);
    expect(series[1]?.values).toEqual([null, 3]);
    expect(series[2]?.steps).toEqual([]);
  });

  it("derives x values for each axis mode", () => {
    const [s] = groupByRun([point("a", 0, 1, 5000), point("a", 1, 1, 7000)], ["a"]);
    expect(xValues(s!, "step")).toEqual([0, 1]);
    expect(xValues(s!, "wall")).toEqual([5, 7]);
    expect(xValues(s!, "relative")).toEqual([0, 2]);
  });

  it("merges series over the union of their x values", () => {
    const merged = mergeSeries([[0, 2, 4], [1, 2]], [[10, 20, 30], [5, 6]]);
    expect(merged).toEqual([
      [0, 1, 2, 4],
      [10, null, 20, 30],
      [null, 5, 6, null],
    ]);
  });

  it("keeps only positive values on a log scale", () => {
    expect(forLogScale([1, 0, -1, null, 2])).toEqual([1, null, null, null, 2]);
  });

  it("maps a zoomed x range back to steps", () => {
    const series = groupByRun([point("a", 0, 1, 0), point("a", 10, 1, 10_000), point("a", 20, 1, 20_000)], ["a"]);
    expect(stepRange(series, "relative", 5, 25)).toEqual({ start: 10, end: 20 });
    expect(stepRange(series, "step", 0, 10)).toEqual({ start: 0, end: 10 });
    expect(stepRange(series, "step", 11, 12)).toBeNull();
  });
});
