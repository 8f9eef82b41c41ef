import { describe, expect, it } from "vitest";
import type { Run } from "../../api/responses";
import { diffRows, onlyDifferences } from "./diff";
import { groupRuns, stats } from "./grouping";
import { defaultAxes, scaleAxis } from "./parallel";

function run(id: string, params: Record<string, string>, metrics: Record<string, number>): Run {
  return {
    info: {
      run_id: id,
      run_uuid: id,
      run_name: id,
      experiment_id: "1",
      user_id: "",
      status: "FINISHED",
      start_time: 0,
      artifact_uri: "",
      lifecycle_stage: "active",
    },
    data: {
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })),
    },
    inputs: {},
  };
}

const runs = [
  run("a", { lr: "0.1", opt: "adam", seed: "1" }, { loss: 1 }),
  run("b", { lr: "0.3", opt: "sgd", seed: "1" }, { loss: 3 }),
  run("c", { lr: "0.1", opt: "adam", seed: "1" }, { loss: 2, acc: 0.5 }),
];

describe("parallel-coordinate scales", () => {
  it("scales numbers linearly from min to max", () => {
    const axis = scaleAxis("params.lr", [0.1, 0.3, 0.2]);
    expect(axis.kind).toBe("numeric");
    expect(axis.position(0.1)).toBe(0);
    expect(axis.position(0.3)).toBe(1);
    expect(axis.position(0.2)).toBeCloseTo(0.5);
    expect(axis.position(undefined)).toBeNull();
    expect(axis.ticks[0]).toEqual({ text: "0.1", at: 0 });
  });

  it("centres a constant axis and spreads categories evenly", () => {
    expect(scaleAxis("x", [2, 2]).position(2)).toBe(0.5);
    const cat = scaleAxis("params.opt", ["sgd", "adam", "sgd", 3]);
    expect(cat.kind).toBe("categorical");
    expect(cat.ticks.map((t) => t.text)).toEqual(["3", "adam", "sgd"]);
    expect(cat.position("adam")).toBe(0.5);
  });

  it("chooses params then metrics by default", () => {
    expect(defaultAxes(["params.a", "params.b"], ["metrics.m"], 8)).toEqual(["params.a", "params.b", "metrics.m"]);
  });
});

describe("diff table", () => {
  it("marks rows whose values differ, a missing value included", () => {
    const rows = diffRows(runs);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId["params.seed"]!.differs).toBe(false);
    expect(byId["params.lr"]!.differs).toBe(true);
    expect(byId["metrics.acc"]!.values).toEqual(["", "", "0.5"]);
    expect(byId["metrics.acc"]!.differs).toBe(true);
    expect(onlyDifferences(rows, true).map((r) => r.id)).toEqual([
      "params.lr",
      "params.opt",
      "metrics.acc",
      "metrics.loss",
    ]);
    expect(onlyDifferences(rows, false)).toHaveLength(rows.length);
  });
});

describe("grouping", () => {
  it("computes mean, min and max per group", () => {
    const groups = groupRuns(runs, "params.opt", ["loss", "acc"]);
    expect(groups.map((g) => [g.value, g.runIds])).toEqual([
      ["adam", ["a", "c"]],
      ["sgd", ["b"]],
    ]);
    expect(groups[0]!.stats.get("loss")).toEqual({ mean: 1.5, min: 1, max: 2, count: 2 });
    expect(groups[0]!.stats.get("acc")).toEqual({ mean: 0.5, min: 0.5, max: 0.5, count: 1 });
    expect(groups[1]!.stats.has("acc")).toBe(false);
    expect(groupRuns(runs, "tags.none", ["loss"])[0]!.value).toBe("(none)");
    expect(stats([])).toBeNull();
  });
});
