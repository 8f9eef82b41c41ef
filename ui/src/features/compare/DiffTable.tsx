// The diff table: rows are params, metrics and tags, columns are runs; differing rows are
// marked, and "only differences" hides the rest.
import { Fragment, useMemo } from "react";
import type { Run } from "../../api/responses";
import { diffRows, onlyDifferences } from "./diff";

interface Props {
  runs: Run[];
  only: boolean;
  onOnly: (only: boolean) => void;
  colors: Map<string, string>;
}

export function DiffTable({ runs, only, onOnly, colors }: Props) {
  const all = useMemo(() => diffRows(runs), [runs]);
  const rows = onlyDifferences(all, only);
  const sections = ["Params", "Metrics", "Tags"] as const;
  return (
    <section aria-label="Diff table">
      <label className="checkbox">
        <input type="checkbox" checked={only} onChange={(e) => onOnly(e.target.checked)} />
        Only differences ({all.filter((r) => r.differs).length} of {all.length})
      </label>
      <div className="diff-scroll">
        <table className="kv-table diff-table" data-testid="diff-table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              {runs.map((r) => (
                <th key={r.info.run_id} scope="col">
                  <span className="swatch" style={{ background: colors.get(r.info.run_id) }} />
                  {r.info.run_name ?? r.info.run_id}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sections.map((section) => {
              const inSection = rows.filter((r) => r.section === section);
              if (inSection.length === 0) return null;
              return (
                <Fragment key={section}>
                  <tr className="diff-section">
                    <th colSpan={runs.length + 1}>{section}</th>
                  </tr>
                  {inSection.map((row) => (
                    <tr key={row.id} className={row.differs ? "differs" : undefined} data-key={row.id}>
                      <th scope="row">{row.key}</th>
                      {row.values.map((v, i) => (
                        <td key={runs[i]!.info.run_id}>{v}</td>
                      ))}
                    </tr>
                  ))}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
