import { describe, expect, it } from "vitest";
import type { Run } from "../../api/responses";
import {
  ATTRIBUTE_COLUMNS,
  cellText,
  collectKeys,
  defaultColumns,
  nextSort,
  orderByClause,
  parseColumnId,
  toggleColumn,
  visibleColumns,
} from "./columns";

function run(id: string, params: Record<string, string>, metrics: Record<string, number>): Run {
  return {
    info: {
      run_id: id,
      run_uuid: id,
      run_name: `name-${id}`,
      experiment_id: "1",
      status: "FINISHED",
      start_time: 1000,
      end_time: 4000,
      user_id: "u",
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

const runs = [run("a", { lr: "0.1", b: "x" }, { loss: 0.5 }), run("b", { depth: "3" }, { acc: 0.9, loss: 0.25 })];

describe("column model", () => {
  it("collects the keys found, sorted", () => {
    expect(collectKeys(runs)).toEqual({ params: ["b", "depth", "lr"], metrics: ["acc", "loss"], tags: [] });
  });

  it("shows a default set until the user chooses", () => {
    const keys = collectKeys(runs);
    expect(defaultColumns(keys, 2)).toEqual(["params.b", "params.depth", "metrics.acc", "metrics.loss"]);
    const ids = visibleColumns(null, keys).map((c) => c.id);
    expect(ids.slice(0, ATTRIBUTE_COLUMNS.length)).toEqual(ATTRIBUTE_COLUMNS.map((c) => c.id));
    expect(visibleColumns(["metrics.loss", "bogus", "attributes.status"], keys).map((c) => c.id)).toEqual([
      ...ATTRIBUTE_COLUMNS.map((c) => c.id),
      "metrics.loss",
    ]);
  });

  it("toggles a column starting from the default set", () => {
    const keys = collectKeys(runs);
    const off = toggleColumn(null, keys, "params.lr");
    expect(off).not.toContain("params.lr");
    expect(off).toContain("metrics.loss");
    expect(toggleColumn(off, keys, "params.lr")).toContain("params.lr");
  });

  it("parses ids whose key holds dots", () => {
    expect(parseColumnId("metrics.val.loss")).toMatchObject({ kind: "metric", name: "val.loss" });
    expect(parseColumnId("tags.x")).toMatchObject({ kind: "tag", name: "x" });
    expect(parseColumnId("nope.x")).toBeNull();
    expect(parseColumnId("metrics.")).toBeNull();
  });

  it("builds the server's order_by and cycles sorts", () => {
    expect(orderByClause({ column: "metrics.val loss", ascending: false })).toEqual(["metrics.`val loss` DESC"]);
    expect(orderByClause({ column: "attributes.start_time", ascending: true })).toEqual([
      "attributes.`start_time` ASC",
    ]);
    expect(orderByClause({ column: "attributes.duration", ascending: true })).toEqual([]);
    expect(orderByClause(null)).toEqual([]);
    const first = nextSort(null, "metrics.x");
    expect(first).toEqual({ column: "metrics.x", ascending: false });
    const second = nextSort(first, "metrics.x");
    expect(second).toEqual({ column: "metrics.x", ascending: true });
    expect(nextSort(second, "metrics.x")).toBeNull();
    expect(nextSort(second, "params.lr")).toEqual({ column: "params.lr", ascending: false });
  });

  it("adds min and max columns after each metric on demand", () => {
    const keys = collectKeys(runs);
    const ids = visibleColumns(["metrics.loss", "params.lr"], keys, true).map((c) => c.id);
    expect(ids.slice(ATTRIBUTE_COLUMNS.length)).toEqual([
      "metrics.loss",
      "min:metrics.loss",
      "max:metrics.loss",
      "params.lr",
    ]);
    const min = visibleColumns(["metrics.loss"], keys, true)[ATTRIBUTE_COLUMNS.length + 1]!;
    expect(cellText(runs[0]!, min, 0, (_id, _key, stat) => (stat === "min" ? 0.125 : 1))).toBe("0.125");
  });

  it("renders cells as text", () => {
    const [a] = runs;
    const col = (id: string) => parseColumnId(id)!;
    expect(cellText(a!, col("params.lr"))).toBe("0.1");
    expect(cellText(a!, col("params.depth"))).toBe("");
    expect(cellText(a!, col("metrics.loss"))).toBe("0.5");
    expect(cellText(a!, col("attributes.run_name"))).toBe("name-a");
    expect(cellText(a!, col("attributes.duration"))).toBe("3.0s");
  });
});
