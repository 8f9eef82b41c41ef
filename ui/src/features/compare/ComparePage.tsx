// Compare runs (`#/compare-runs?runs=[…]&experiments=[…]`, MLflow's URL): parallel coordinates,
// a scatter of any two values, a diff table, grouping with per-group stats, and the runs'
// metric charts overlaid (as per-group mean and min–max bands when grouped). Every setting
// lives in the URL.
import { useMemo } from "react";
import { useQueries } from "@tanstack/react-query";
import { getRun } from "../../api/endpoints";
import type { Run } from "../../api/responses";
import { ErrorBox, Loading } from "../../components/States";
import { EMPTY_VIEW, encodeCompare, type CompareSettings } from "../../lib/route";
import { href } from "../../lib/router";
import { MetricCharts, assignColors } from "../charts";
import { AxisChooser, KeySelect } from "./Pickers";
import { DiffTable } from "./DiffTable";
import { GroupSummary } from "./GroupSummary";
import { groupRuns } from "./grouping";
import { ParallelCoordinates } from "./ParallelCoordinates";
import { ScatterPlot } from "./ScatterPlot";
import { defaultAxes } from "./parallel";
import { keysOf, label, textOf } from "./values";
import "./compare.css";

interface Props {
  runIds: string[];
  experimentIds: string[];
  settings: CompareSettings;
}

const OWN_KEYS = ["runs", "experiments", "axis", "sx", "sy", "diff", "group"];

/** Write `settings` into the URL, keeping other keys of the hash query (the charts' own). */
function saveSettings(runIds: string[], experimentIds: string[], settings: CompareSettings) {
  const hash = window.location.hash;
  const q = hash.indexOf("?");
  const params = new URLSearchParams(q < 0 ? "" : hash.slice(q + 1));
  for (const key of OWN_KEYS) params.delete(key);
  const own = new URLSearchParams(encodeCompare(runIds, experimentIds, settings));
  for (const [k, v] of params) own.append(k, v);
  window.history.replaceState(null, "", `#/compare-runs?${own.toString()}`);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

function useRuns(runIds: string[]) {
  return useQueries({
    queries: runIds.map((runId) => ({
      queryKey: ["compare-run", runId],
      queryFn: ({ signal }: { signal: AbortSignal }) => getRun(runId, signal),
    })),
    combine: (answers) => ({
      runs: answers.map((a) => a.data?.run).filter((r): r is Run => r !== undefined),
      pending: answers.some((a) => a.isPending),
      error: answers.find((a) => a.isError)?.error ?? null,
    }),
  });
}

export function ComparePage({ runIds, experimentIds, settings }: Props) {
  const { runs, pending, error } = useRuns(runIds);
  const keys = useMemo(() => keysOf(runs), [runs]);
  const colors = useMemo(() => assignColors(runIds), [runIds]);
  const groupBy = settings.groupBy;
  const chartGroups = useMemo(
    () =>
      groupBy
        ? groupRuns(runs, groupBy, []).map((g) => ({ name: `${label(groupBy)}=${g.value}`, runIds: g.runIds }))
        : undefined,
    [runs, groupBy],
  );
  const set = (patch: Partial<CompareSettings>) =>
    saveSettings(runIds, experimentIds, { ...settings, ...patch });

  const back = experimentIds[0];
  const crumbs = (
    <nav className="breadcrumbs" aria-label="Breadcrumbs">
      {back !== undefined && (
        <a href={href({ page: "experiments", experimentId: back, view: EMPTY_VIEW })}>
          ← Experiment {back}
        </a>
      )}
    </nav>
  );
  if (runIds.length === 0) {
    return (
      <section className="page">
        {crumbs}
        <h1>Compare runs</h1>
        <p className="muted">No runs chosen: select runs in an experiment's table and press Compare.</p>
      </section>
    );
  }
  if (pending) return <Loading what={`${runIds.length} runs`} />;
  if (error) return <ErrorBox error={error} />;

  const paramIds = keys.params.map((k) => `params.${k}`);
  const metricIds = keys.metrics.map((k) => `metrics.${k}`);
  const numericIds = [...paramIds, ...metricIds];
  const axes = settings.axes.length ? settings.axes : defaultAxes(paramIds, metricIds);
  const sx = settings.x ?? paramIds[0] ?? metricIds[0] ?? "";
  const sy = settings.y ?? metricIds[0] ?? paramIds[1] ?? "";
  const groupIds = [...paramIds, ...keys.tags.map((k) => `tags.${k}`)];
  const runLabels = Object.fromEntries(
    runs.map((r) => {
      const name = r.info.run_name ?? r.info.run_id;
      const group = settings.groupBy ? `${label(settings.groupBy)}=${textOf(r, settings.groupBy)} · ` : "";
      return [r.info.run_id, group + name];
    }),
  );

  return (
    <section className="page compare-page" aria-label="Compare runs">
      {crumbs}
      <h1>Comparing {runs.length} runs</h1>
      <ul className="compare-runs-list">
        {runs.map((r) => (
          <li key={r.info.run_id}>
            <span className="swatch" style={{ background: colors.get(r.info.run_id) }} />
            <a href={href({ page: "run", experimentId: r.info.experiment_id, runId: r.info.run_id })}>
              {r.info.run_name ?? r.info.run_id}
            </a>
          </li>
        ))}
      </ul>

      <section className="compare-section" aria-labelledby="pc-title">
        <header className="compare-head">
          <h2 id="pc-title">Parallel coordinates</h2>
          <AxisChooser all={numericIds} chosen={axes} onChange={(next) => set({ axes: next })} />
        </header>
        <ParallelCoordinates runs={runs} axes={axes} colors={colors} />
      </section>

      <section className="compare-section" aria-labelledby="scatter-title">
        <header className="compare-head">
          <h2 id="scatter-title">Scatter</h2>
          <KeySelect label="X axis" ids={numericIds} value={sx} onChange={(x) => set({ x })} />
          <KeySelect label="Y axis" ids={numericIds} value={sy} onChange={(y) => set({ y })} />
        </header>
        {sx && sy ? <ScatterPlot runs={runs} x={sx} y={sy} colors={colors} /> : <p className="muted">No values to plot.</p>}
      </section>

      <section className="compare-section" aria-labelledby="diff-title">
        <h2 id="diff-title">Differences</h2>
        <DiffTable runs={runs} only={settings.diffOnly} onOnly={(diffOnly) => set({ diffOnly })} colors={colors} />
      </section>

      <section className="compare-section" aria-labelledby="group-title">
        <header className="compare-head">
          <h2 id="group-title">Groups</h2>
          <KeySelect
            label="Group by"
            ids={groupIds}
            value={settings.groupBy ?? ""}
            empty="(no grouping)"
            onChange={(groupBy) => set({ groupBy: groupBy || null })}
          />
        </header>
        {settings.groupBy ? (
          <GroupSummary runs={runs} by={settings.groupBy} metrics={keys.metrics} />
        ) : (
          <p className="muted">Group the runs by a param or tag to see each group's mean, min and max.</p>
        )}
      </section>

      <section className="compare-section" aria-labelledby="charts-title">
        <h2 id="charts-title">Metric charts</h2>
        <MetricCharts runIds={runIds} runLabels={runLabels} groups={chartGroups} />
      </section>
    </section>
  );
}
