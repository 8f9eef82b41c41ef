// A grid of metric charts for one or more runs: one panel per metric, runs overlaid in stable
// colours, with the x-axis, EMA smoothing, log scale and metric choice held by the URL (or by
// the caller). Zooming into a step range fetches finer points for it from the server. Given
// groups of runs, the charts draw each group's mean and min–max band (or, toggled, the runs).
import { useMemo, useState } from "react";
import { useQueries } from "@tanstack/react-query";
import { getRunDetail } from "../../api/runs_api";
import { Loading } from "../../components/States";
import type { ChartGroup } from "./bands";
import { assignColors } from "./data";
import { MetricChooser } from "./MetricChooser";
import { MetricPanel, type Zoom } from "./MetricPanel";
import { type ChartSettings, useChartSettingsFromHash } from "./settings";
import "./charts.css";

export interface MetricChartsProps {
  /** The runs to overlay (at most 100). */
  runIds: string[];
  /** Legend names by run id; the run id otherwise. */
  runLabels?: Record<string, string>;
  /** The metric keys to offer; when omitted, every metric the runs have (from runs/get). */
  metricKeys?: string[];
  /** Controlled settings; when omitted, the settings live in the URL hash (see settings.ts). */
  settings?: ChartSettings;
  onSettingsChange?: (settings: ChartSettings) => void;
  /** Groups of the runs: when given, each is drawn as a mean line in a min–max band, with a
   * toggle back to individual runs. */
  groups?: ChartGroup[];
  /** Points asked of the server per run and chart; it downsamples, keeping spikes. */
  maxPoints?: number;
}

function useRunMetricKeys(runIds: string[], given: string[] | undefined) {
  return useQueries({
    queries: runIds.map((runId) => ({
      queryKey: ["run", runId],
      queryFn: ({ signal }: { signal: AbortSignal }) => getRunDetail(runId, signal),
      enabled: given === undefined,
    })),
    combine: (runs) => {
      if (given) return { keys: given, pending: false };
      const all = new Set<string>();
      for (const r of runs) for (const m of r.data?.run.data.metrics ?? []) all.add(m.key);
      return { keys: [...all].sort(), pending: runs.some((r) => r.isPending) };
    },
  });
}

export function MetricCharts(props: MetricChartsProps) {
  const { runIds, runLabels, maxPoints = 1000 } = props;
  const [fromHash, setHash] = useChartSettingsFromHash();
  const settings = props.settings ?? fromHash;
  const setSettings = props.onSettingsChange ?? setHash;
  const [zoom, setZoom] = useState<Zoom | null>(null);
  const { keys, pending } = useRunMetricKeys(runIds, props.metricKeys);
  const colors = useMemo(() => assignColors(runIds), [runIds]);
  const [individual, setIndividual] = useState(false);
  const groups = props.groups;
  const groupColors = useMemo(() => assignColors((groups ?? []).map((g) => g.name)), [groups]);
  const banded = groups && groups.length > 0 && !individual ? groups : null;
  const shown = settings.metrics ? settings.metrics.filter((m) => keys.includes(m)) : keys;

  if (pending) return <Loading what="metrics" />;
  return (
    <section className="metric-charts" aria-label="Metric charts">
      <div className="chart-toolbar">
        <MetricChooser
          keys={keys}
          shown={shown}
          onChange={(metrics) => setSettings({ ...settings, metrics })}
        />
        <label>
          X-axis{" "}
          <select
            aria-label="X-axis"
            value={settings.xAxis}
            onChange={(e) => {
              setZoom(null);
              setSettings({ ...settings, xAxis: e.target.value as ChartSettings["xAxis"] });
            }}
          >
            <option value="step">Step</option>
            <option value="wall">Wall time</option>
            <option value="relative">Relative time</option>
          </select>
        </label>
        <label className="smoothing">
          Smoothing{" "}
          <input
            type="range"
            aria-label="Smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={settings.smoothing}
            onChange={(e) => setSettings({ ...settings, smoothing: Number(e.target.value) })}
          />
          <output>{settings.smoothing.toFixed(2)}</output>
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={settings.logScale}
            onChange={(e) => setSettings({ ...settings, logScale: e.target.checked })}
          />
          Log scale
        </label>
        {groups && groups.length > 0 && (
          <div className="band-toggle" role="radiogroup" aria-label="Grouped view">
            <label>
              <input type="radio" checked={!individual} onChange={() => setIndividual(false)} /> Bands
            </label>
            <label>
              <input type="radio" checked={individual} onChange={() => setIndividual(true)} /> Individual runs
            </label>
          </div>
        )}
        {zoom && (
          <button type="button" onClick={() => setZoom(null)}>
            Reset zoom (steps {zoom.start}–{zoom.end})
          </button>
        )}
      </div>
      {banded && (
        <ul className="band-legend" aria-label="Groups" data-testid="band-legend">
          {banded.map((g) => (
            <li key={g.name}>
              <span className="band-swatch" style={{ background: groupColors.get(g.name) }} />
              {g.name} <span className="muted">({g.runIds.length} run{g.runIds.length === 1 ? "" : "s"}: mean, min–max)</span>
            </li>
          ))}
        </ul>
      )}
      {keys.length === 0 ? (
        <p className="state state-empty">No metrics logged.</p>
      ) : shown.length === 0 ? (
        <p className="state state-empty">No metric chosen.</p>
      ) : (
        <div className="chart-grid">
          {shown.map((key) => (
            <MetricPanel
              key={key}
              metricKey={key}
              runIds={runIds}
              runLabels={runLabels}
              colors={colors}
              groups={banded}
              groupColors={groupColors}
              settings={settings}
              zoom={zoom}
              maxPoints={maxPoints}
              onZoom={setZoom}
              onResetZoom={() => setZoom(null)}
            />
          ))}
        </div>
      )}
    </section>
  );
}
