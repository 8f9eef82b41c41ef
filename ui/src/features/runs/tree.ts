// Nested runs: a child names its parent in the tag `mlflow.parentRunId`. Among the loaded runs
// a child is shown under its parent (when the parent is loaded too), in the server's order;
// children of a collapsed parent are hidden.
import type { Run } from "../../api/responses";

export const PARENT_TAG = "mlflow.parentRunId";

export interface TreeRow {
  run: Run;
  depth: number;
  /** How many loaded runs name this one as parent. */
  childCount: number;
  expanded: boolean;
}

export function parentOf(run: Run): string | null {
  return run.data.tags?.find((t) => t.key === PARENT_TAG)?.value ?? null;
}

// Per run, found once: its parent, and its row when nothing is nested. Tables of 100,000 runs
// are rebuilt as each page arrives, and scanning every run's tags again made that a long frame.
const parents = new WeakMap<Run, string | null>();
const flatRows = new WeakMap<Run, TreeRow>();

function cachedParent(run: Run): string | null {
  let parent = parents.get(run);
  if (parent === undefined) {
    parent = parentOf(run);
    parents.set(run, parent);
  }
  return parent;
}

function flatRow(run: Run): TreeRow {
  let row = flatRows.get(run);
  if (!row) {
    row = { run, depth: 0, childCount: 0, expanded: false };
    flatRows.set(run, row);
  }
  return row;
}

/** The rows to display: roots in order, each followed by its (expanded) descendants. */
export function buildTree(runs: readonly Run[], expanded: ReadonlySet<string>): TreeRow[] {
  if (runs.every((run) => cachedParent(run) === null)) return runs.map(flatRow);
  const loaded = new Set(runs.map((r) => r.info.run_id));
  const children = new Map<string, Run[]>();
  const roots: Run[] = [];
  for (const run of runs) {
    const parent = cachedParent(run);
    if (parent !== null && parent !== run.info.run_id && loaded.has(parent)) {
      const list = children.get(parent);
      if (list) list.push(run);
      else children.set(parent, [run]);
    } else {
      roots.push(run);
    }
  }
  const rows: TreeRow[] = [];
  const seen = new Set<string>();
  const visit = (run: Run, depth: number) => {
    const id = run.info.run_id;
    if (seen.has(id)) return; // a cycle of parent tags: show each run once
    seen.add(id);
    const kids = children.get(id) ?? [];
    const open = expanded.has(id);
    rows.push({ run, depth, childCount: kids.length, expanded: open });
    if (open) for (const kid of kids) visit(kid, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

/** True when any loaded run is the parent of another loaded run. */
export function hasNesting(runs: readonly Run[]): boolean {
  const ids = new Set(runs.map((r) => r.info.run_id));
  return runs.some((r) => {
    const parent = parentOf(r);
    return parent !== null && ids.has(parent);
  });
}
