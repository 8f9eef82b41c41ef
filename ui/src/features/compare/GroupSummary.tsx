// Runs grouped by a param or tag: per group and metric, mean and [min, max] of the last values.
// (The overlaid charts draw the groups as mean lines in min–max bands: see charts/bands.ts.)
import type { Run } from "../../api/responses";
import { groupRuns } from "./grouping";
import { label } from "./values";

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

export function GroupSummary({ runs, by, metrics }: { runs: Run[]; by: string; metrics: string[] }) {
  const groups = groupRuns(runs, by, metrics);
  return (
    <div className="diff-scroll">
      <table className="kv-table" data-testid="group-summary">
        <thead>
          <tr>
            <th scope="col">{label(by)}</th>
            <th scope="col">Runs</th>
            {metrics.map((m) => (
              <th key={m} scope="col">
                {m} mean [min, max]
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.value}>
              <th scope="row">{g.value}</th>
              <td>{g.runIds.length}</td>
              {metrics.map((m) => {
                const s = g.stats.get(m);
                return <td key={m}>{s ? `${fmt(s.mean)} [${fmt(s.min)}, ${fmt(s.max)}]` : ""}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
