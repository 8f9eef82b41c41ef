import { describe, expect, it } from "vitest";
import type { Run } from "../../api/responses";
import { allCompletions, applyCompletion, suggest, wordAt } from "./autocomplete";
import { NO_SELECTION, clickRow, selectionState, toggleAll } from "./selection";
import { PARENT_TAG, buildTree, hasNesting } from "./tree";

const order = ["a", "b", "c", "d", "e"];

describe("selection", () => {
  it("toggles single rows and selects shift-click ranges both ways", () => {
    let s = clickRow(NO_SELECTION, order, "b", false);
    expect([...s.ids]).toEqual(["b"]);
    s = clickRow(s, order, "d", true);
    expect([...s.ids].sort()).toEqual(["b", "c", "d"]);
    s = clickRow(s, order, "a", true);
    expect([...s.ids].sort()).toEqual(["a", "b", "c", "d"]);
    s = clickRow(s, order, "c", false);
    expect(s.ids.has("c")).toBe(false);
    expect(selectionState(s, order)).toBe("some");
  });

  it("selects all loaded rows, then clears", () => {
    const all = toggleAll(NO_SELECTION, order);
    expect(selectionState(all, order)).toBe("all");
    expect(selectionState(toggleAll(all, order), order)).toBe("none");
  });

  it("treats a shift-click without an anchor as a plain click", () => {
    expect([...clickRow(NO_SELECTION, order, "c", true).ids]).toEqual(["c"]);
  });
});

function run(id: string, parent?: string): Run {
  return {
    info: {
      run_id: id,
      run_uuid: id,
      run_name: "",
      experiment_id: "1",
      user_id: "",
      status: "FINISHED",
      start_time: 0,
      artifact_uri: "",
      lifecycle_stage: "active",
    },
    data: { tags: parent ? [{ key: PARENT_TAG, value: parent }] : [] },
    inputs: {},
  };
}

describe("nested runs", () => {
  const runs = [run("c1", "p"), run("p"), run("g", "c1"), run("orphan", "missing"), run("c2", "p")];

  it("puts children under loaded parents, collapsed by default", () => {
    const rows = buildTree(runs, new Set());
    expect(rows.map((r) => [r.run.info.run_id, r.depth, r.childCount])).toEqual([
      ["p", 0, 2],
      ["orphan", 0, 0],
    ]);
    expect(hasNesting(runs)).toBe(true);
  });

  it("shows descendants of expanded parents in server order", () => {
    const rows = buildTree(runs, new Set(["p", "c1"]));
    expect(rows.map((r) => `${r.run.info.run_id}@${r.depth}`)).toEqual(["p@0", "c1@1", "g@2", "c2@1", "orphan@0"]);
  });

  it("keeps the rows of a flat table across rebuilds, so a new page re-renders no old row", () => {
    const flat = [run("a"), run("b")];
    const before = buildTree(flat, new Set());
    const after = buildTree([...flat, run("c")], new Set());
    expect(after.map((r) => r.run.info.run_id)).toEqual(["a", "b", "c"]);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(after[2]).toMatchObject({ depth: 0, childCount: 0, expanded: false });
  });

  it("survives a cycle of parent tags", () => {
    const cyclic = [run("x", "y"), run("y", "x")];
    expect(buildTree(cyclic, new Set(["x", "y"])).length).toBeLessThanOrEqual(2);
  });
});

describe("filter autocomplete", () => {
  const all = allCompletions({ params: ["lr"], metrics: ["loss", "val loss"], tags: ["team"] });

  it("offers keys by prefix and by bare key name", () => {
    expect(all).toContain("metrics.`val loss`");
    expect(suggest("metrics.l", 9, all)).toEqual(["metrics.loss"]);
    expect(suggest("metrics.x > 1 and lr", 20, all)).toEqual(["params.lr"]);
    expect(suggest("", 0, all)).toEqual([]);
  });

  it("replaces the word at the caret", () => {
    expect(wordAt("a and par", 9)).toEqual({ start: 6, prefix: "par" });
    expect(applyCompletion("a and par = 1", 9, "params.lr")).toEqual({ text: "a and params.lr = 1", caret: 15 });
  });
});
