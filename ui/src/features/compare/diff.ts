// The diff table's rows: one per param, metric and tag, a value per run; "only differences"
// keeps the rows whose values are not all the same (a missing value counts as different).
import type { Run } from "../../api/responses";
import { keysOf, textOf } from "./values";

export interface DiffRow {
  id: string;
  section: "Params" | "Metrics" | "Tags";
  key: string;
  values: string[];
  differs: boolean;
}

export function diffRows(runs: readonly Run[]): DiffRow[] {
  const keys = keysOf(runs);
  const rows: DiffRow[] = [];
  const add = (section: DiffRow["section"], prefix: string, names: string[]) => {
    for (const key of names) {
      const id = `${prefix}.${key}`;
      const present = runs.map((r) => {
        const list =
          prefix === "params" ? r.data.params : prefix === "tags" ? r.data.tags : r.data.metrics;
        return list?.some((x) => x.key === key) ?? false;
      });
      const values = runs.map((r) => textOf(r, id));
      const differs = present.some((p) => !p) || new Set(values).size > 1;
      rows.push({ id, section, key, values, differs });
    }
  };
  add("Params", "params", keys.params);
  add("Metrics", "metrics", keys.metrics);
  add("Tags", "tags", keys.tags);
  return rows;
}

export function onlyDifferences(rows: readonly DiffRow[], only: boolean): DiffRow[] {
  return only ? rows.filter((r) => r.differs) : [...rows];
}
