// A tiny SVG line of a metric's downsampled history (spikes included), for tables.
import type { SampledPoint } from "../../api/runs_api";
import { toNumber } from "./data";

interface Props {
  points: readonly SampledPoint[];
  width?: number;
  height?: number;
  color?: string;
  label: string;
}

/** The `points` attribute of a polyline scaled into width × height (y grows downwards). */
export function sparkPath(points: readonly SampledPoint[], width: number, height: number): string {
  const valid = points
    .map((p) => ({ x: p.step, y: toNumber(p.value) }))
    .filter((p): p is { x: number; y: number } => p.y !== null);
  if (valid.length === 0) return "";
  const xs = valid.map((p) => p.x);
  const ys = valid.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 === x0 ? width / 2 : ((x - x0) / (x1 - x0)) * width);
  const sy = (y: number) => (y1 === y0 ? height / 2 : height - ((y - y0) / (y1 - y0)) * height);
  return valid.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
}

export function Sparkline({ points, width = 120, height = 24, color = "currentColor", label }: Props) {
  const path = sparkPath(points, width, height - 2);
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 -1 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      {path && <polyline points={path} fill="none" stroke={color} strokeWidth={1.2} />}
    </svg>
  );
}
