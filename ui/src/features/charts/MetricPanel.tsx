// One metric's panel: fetches the runs' downsampled points (finer ones when zoomed), smooths
// them and hands uPlot an aligned table. Panels fetch only once scrolled into view.
import { useEffect, useMemo, useRef, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getSampledHistory } from "../../api/runs_api";
import { ErrorBox } from "../../components/States";
import { bandPanelData, type ChartGroup } from "./bands";
import { ChartPanel, type PanelBand, type PanelSeries } from "./ChartPanel";
import {
  type Aligned,
  ema,
  forLogScale,
  groupByRun,
  mergeSeries,
  type RunSeries,
  stepRange,
  xValues,
} from "./data";
import type { ChartSettings } from "./settings";

export interface Zoom {
  start: number;
  end: number;
}

interface Props {
  metricKey: string;
  runIds: string[];
  runLabels: Record<string, string> | undefined;
  colors: Map<string, string>;
  /** When set, one mean line and min–max band per group instead of one line per run. */
  groups: readonly ChartGroup[] | null;
  groupColors: Map<string, string>;
  settings: ChartSettings;
  zoom: Zoom | null;
  maxPoints: number;
  onZoom: (zoom: Zoom) => void;
  onResetZoom: () => void;
}

function useInView(ref: React.RefObject<HTMLElement | null>): boolean {
  const [seen, setSeen] = useState(typeof IntersectionObserver === "undefined");
  useEffect(() => {
    const el = ref.current;
    if (seen || !el) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true);
      },
      { rootMargin: "300px" },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, seen]);
  return seen;
}

/** The aligned table and series styles of a panel. */
export function panelData(
  series: RunSeries[],
  settings: ChartSettings,
  labels: Record<string, string> | undefined,
  colors: Map<string, string>,
): { data: Aligned; styles: PanelSeries[] } {
  const xs: number[][] = [];
  const ys: (number | null)[][] = [];
  const styles: PanelSeries[] = [];
  for (const s of series) {
    const x = xValues(s, settings.xAxis);
    const raw = settings.logScale ? forLogScale(s.values) : s.values;
    const label = labels?.[s.runId] ?? s.runId;
    const color = colors.get(s.runId) ?? "#1f77b4";
    if (settings.smoothing > 0) {
      xs.push(x, x);
      ys.push(raw, ema(raw, settings.smoothing));
      styles.push({ label: `${label} (raw)`, color, faint: true }, { label, color });
    } else {
      xs.push(x);
      ys.push(raw);
      styles.push({ label, color });
    }
  }
  return { data: mergeSeries(xs, ys), styles };
}

export function MetricPanel(props: Props) {
  const { metricKey, runIds, zoom, maxPoints, settings } = props;
  const box = useRef<HTMLElement>(null);
  const inView = useInView(box);
  const history = useQuery({
    queryKey: ["sampled-history", metricKey, runIds, maxPoints, zoom?.start, zoom?.end],
    queryFn: ({ signal }) =>
      getSampledHistory(
        { runIds, metricKey, maxResults: maxPoints, startStep: zoom?.start, endStep: zoom?.end },
        signal,
      ),
    enabled: inView && runIds.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const series = useMemo(() => groupByRun(history.data ?? [], runIds), [history.data, runIds]);
  const { groups, groupColors, runLabels, colors } = props;
  const { data, styles, bands } = useMemo(
    (): { data: Aligned; styles: PanelSeries[]; bands?: PanelBand[] } =>
      groups
        ? bandPanelData(series, settings, groups, groupColors)
        : panelData(series, settings, runLabels, colors),
    [series, settings, groups, groupColors, runLabels, colors],
  );

  const onZoom = (x0: number, x1: number) => {
    const range = stepRange(series, settings.xAxis, x0, x1);
    if (range && range.end > range.start) props.onZoom(range);
  };
  return (
    <section className="chart-panel" ref={box} aria-label={`Chart ${metricKey}`} data-metric={metricKey}>
      <h3 className="chart-title" title={metricKey}>
        {metricKey}
        {history.isFetching && <span className="muted"> · loading…</span>}
      </h3>
      {history.isError ? (
        <ErrorBox error={history.error} retry={() => void history.refetch()} />
      ) : history.data === undefined ? (
        <div className="chart-placeholder muted">Loading…</div>
      ) : (
        <ChartPanel
          data={data}
          series={styles}
          bands={bands}
          xAxis={settings.xAxis}
          logScale={settings.logScale}
          onZoom={onZoom}
          onResetZoom={props.onResetZoom}
        />
      )}
    </section>
  );
}
