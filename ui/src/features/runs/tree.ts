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

/** The rows to display: roots in order, each followed by its (expanded) descendants. */
export function buildTree(runs: readonly Run[], expanded: ReadonlySet<string>): TreeRow[] {
  const loaded = new Set(runs.map((r) => r.info.run_id));
  const children = new Map<string, Run[]>();
  const roots: Run[] = [];
  for (const run of runs) {
    const parent = parentOf(run);
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
