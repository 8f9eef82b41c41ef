// One uPlot chart: a metric's series for one or more runs. Dragging across the plot selects an
// x range and calls onZoom (the grid then fetches finer points for it); double-click resets.
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Aligned, XAxis } from "./data";
import { formatTick } from "./ticks";

export interface PanelSeries {
  label: string;
  color: string;
  /** A faint line (the raw values under a smoothed one). */
  faint?: boolean;
}

/** A shaded area between two series (indices into `series`), filled with `color` at low alpha. */
export interface PanelBand {
  upper: number;
  lower: number;
  color: string;
}

interface Props {
  data: Aligned;
  series: PanelSeries[];
  bands?: PanelBand[];
  xAxis: XAxis;
  logScale: boolean;
  onZoom: (x0: number, x1: number) => void;
  onResetZoom: () => void;
}

const HEIGHT = 220;
const X_LABELS: Record<XAxis, string> = {
  step: "step",
  wall: "time",
  relative: "seconds since start",
};

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

function options(props: Props, width: number, onDrawn: () => void): uPlot.Options {
  const axisColor = cssVar("--fg-muted", "#5c6570");
  const gridColor = cssVar("--border", "#d7dbe0");
  const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
  return {
    width,
    height: HEIGHT,
    scales: {
      x: { time: props.xAxis === "wall" },
      y: props.logScale ? { distr: 3 } : {},
    },
    axes: [
      { ...axis, label: X_LABELS[props.xAxis] },
      { ...axis, size: 64, values: (_u: uPlot, splits: (number | null)[]) => splits.map(formatTick) },
    ],
    series: [
      { label: X_LABELS[props.xAxis] },
      ...props.series.map((s) => ({
        label: s.label,
        stroke: s.faint ? `${s.color}55` : s.color,
        width: s.faint ? 1 : 1.5,
        spanGaps: true,
        // uPlot draws point markers only where points are sparse (a one-step metric would
        // otherwise be invisible); faint series (raw lines under smoothing) never get them.
        ...(s.faint ? { points: { show: false } } : {}),
      })),
    ],
    bands: (props.bands ?? []).map((b) => ({
      series: [b.upper + 1, b.lower + 1] as [number, number],
      fill: `${b.color}33`,
    })),
    cursor: { drag: { x: true, y: false, setScale: false } },
    legend: { show: true },
    hooks: {
      setSelect: [
        (u) => {
          if (u.select.width < 3) return;
          const x0 = u.posToVal(u.select.left, "x");
          const x1 = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          props.onZoom(x0, x1);
        },
      ],
      draw: [onDrawn],
    },
  };
}

/** Bumps when the theme changes (the `data-theme` attribute), so charts pick up its colours. */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (typeof MutationObserver === "undefined") return;
    const observer = new MutationObserver(() => setVersion((v) => v + 1));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  return version;
}

export function ChartPanel(props: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const theme = useThemeVersion();
  const [drawn, setDrawn] = useState(false);
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });

  useEffect(() => {
    const target = plotRef.current;
    if (!target || width <= 0) return;
    const opts = options(
      {
        ...props,
        onZoom: (a, b) => latest.current.onZoom(a, b),
        onResetZoom: () => latest.current.onResetZoom(),
      },
      width,
      () => setDrawn(true),
    );
    const plot = new uPlot(opts, props.data as uPlot.AlignedData, target);
    return () => plot.destroy();
    // Rebuilt when what it draws changes; the callbacks are read through `latest`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.data, props.series, props.bands, props.xAxis, props.logScale, width, theme]);

  const points = props.data[0].length;
  return (
    <div
      className="chart-box"
      ref={box}
      data-state={drawn ? "drawn" : "pending"}
      data-points={points}
      onDoubleClick={() => props.onResetZoom()}
    >
      {points === 0 && <p className="muted chart-empty">No points.</p>}
      <div ref={plotRef} />
    </div>
  );
}
