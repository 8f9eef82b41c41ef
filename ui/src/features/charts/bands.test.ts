import { describe, expect, it } from "vitest";
import { aggregate, bandPanelData } from "./bands";
import type { RunSeries } from "./data";
import { DEFAULT_SETTINGS } from "./settings";

function run(runId: string, steps: number[], values: (number | null)[]): RunSeries {
  return { runId, steps, timestamps: steps.map((s) => 1000 * s), values };
}

function finite(xs: readonly number[]): boolean {
  return xs.every((x) => Number.isFinite(x));
}

describe("aggregate", () => {
  it("takes mean, min and max per step over the runs that have it (ragged steps)", () => {
    const band = aggregate([
      { steps: [0, 1, 2], xs: [0, 1, 2], values: [1, 2, 3] },
      { steps: [1, 2, 3], xs: [1, 2, 3], values: [4, null, 6] },
      { steps: [2], xs: [2], values: [9] },
    ]);
    expect(band.steps).toEqual([0, 1, 2, 3]);
    expect(band.x).toEqual([0, 1, 2, 3]);
    expect(band.mean).toEqual([1, 3, 6, 6]);
    expect(band.min).toEqual([1, 2, 3, 6]);
    expect(band.max).toEqual([1, 4, 9, 6]);
    expect(band.count).toEqual([1, 2, 2, 1]);
  });

  it("is the run itself for a single-run group", () => {
    const band = aggregate([{ steps: [0, 5], xs: [0, 5], values: [0.5, 0.25] }]);
    expect(band.mean).toEqual([0.5, 0.25]);
    expect(band.min).toEqual(band.mean);
    expect(band.max).toEqual(band.mean);
  });

  it("leaves out steps with no finite value, so the output has no NaN", () => {
    const band = aggregate([
      { steps: [0, 1, 2], xs: [0, 1, 2], values: [null, Number.NaN, Infinity] },
      { steps: [2], xs: [2], values: [null] },
    ]);
    expect(band.steps).toEqual([]);
    const mixed = aggregate([
      { steps: [0, 1], xs: [0, 1], values: [Number.NaN, 2] },
      { steps: [0, 1], xs: [0, 1], values: [1, null] },
    ]);
    expect(mixed.mean).toEqual([1, 2]);
    for (const column of [mixed.x, mixed.mean, mixed.min, mixed.max]) expect(finite(column)).toBe(true);
  });

  it("averages the x of the runs at a step (time axes)", () => {
    const band = aggregate([
      { steps: [0], xs: [10], values: [1] },
      { steps: [0], xs: [20], values: [3] },
    ]);
    expect(band.x).toEqual([15]);
  });
});

describe("bandPanelData", () => {
  it("gives each group a max, min and mean series with a band between max and min", () => {
    const series = [run("a", [0, 1], [1, 2]), run("b", [1, 2], [4, 6]), run("c", [0], [7])];
    const groups = [
      { name: "lr=0.1", runIds: ["a", "b"] },
      { name: "lr=1", runIds: ["c"] },
    ];
    const colors = new Map([
      ["lr=0.1", "#111111"],
      ["lr=1", "#222222"],
    ]);
    const { data, styles, bands } = bandPanelData(series, DEFAULT_SETTINGS, groups, colors);
    expect(styles.map((s) => s.label)).toEqual([
      "lr=0.1 max",
      "lr=0.1 min",
      "lr=0.1 mean",
      "lr=1 max",
      "lr=1 min",
      "lr=1 mean",
    ]);
    expect(bands).toEqual([
      { upper: 0, lower: 1, color: "#111111" },
      { upper: 3, lower: 4, color: "#222222" },
    ]);
    expect(data).toEqual([
      [0, 1, 2],
      [1, 4, 6],
      [1, 2, 6],
      [1, 3, 6],
      [7, null, null],
      [7, null, null],
      [7, null, null],
    ]);
  });
});
