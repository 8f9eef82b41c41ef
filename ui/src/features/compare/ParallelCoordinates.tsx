// Parallel coordinates: one vertical axis per chosen key (params → metrics), one polyline per
// run in its colour. Hovering a line names the run. Plain SVG: a comparison has tens to a few
// hundred runs, well within what SVG draws fast.
import { useMemo, useState } from "react";
import type { Run } from "../../api/responses";
import { scaleAxis } from "./parallel";
import { label, valueOf } from "./values";

interface Props {
  runs: Run[];
  axes: string[];
  colors: Map<string, string>;
}

const HEIGHT = 320;
const PAD = { top: 28, bottom: 24, side: 60 };

export function ParallelCoordinates({ runs, axes, colors }: Props) {
  const [hover, setHover] = useState<string | null>(null);
  const scales = useMemo(
    () => axes.map((id) => scaleAxis(id, runs.map((r) => valueOf(r, id)))),
    [axes, runs],
  );
  if (axes.length < 2) return <p className="muted">Choose at least two axes.</p>;
  const width = Math.max(480, axes.length * 140);
  const x = (i: number) => PAD.side + (i * (width - 2 * PAD.side)) / (axes.length - 1);
  const y = (at: number) => PAD.top + (1 - at) * (HEIGHT - PAD.top - PAD.bottom);
  const hovered = runs.find((r) => r.info.run_id === hover);
  return (
    <figure className="parallel" data-testid="parallel-coordinates">
      <svg
        width={width}
        height={HEIGHT}
        role="img"
        aria-label={`Parallel coordinates of ${runs.length} runs over ${axes.length} axes`}
      >
        {runs.map((run) => {
          const points = scales
            .map((scale, i) => {
              const at = scale.position(valueOf(run, scale.id));
              return at === null ? null : `${x(i)},${y(at)}`;
            })
            .filter((p): p is string => p !== null);
          const id = run.info.run_id;
          return (
            <polyline
              key={id}
              className="pc-line"
              data-run-id={id}
              points={points.join(" ")}
              fill="none"
              stroke={colors.get(id) ?? "currentColor"}
              strokeWidth={hover === id ? 3 : 1.5}
              strokeOpacity={hover && hover !== id ? 0.25 : 0.9}
              onMouseEnter={() => setHover(id)}
              onMouseLeave={() => setHover(null)}
            >
              <title>{run.info.run_name ?? id}</title>
            </polyline>
          );
        })}
        {scales.map((scale, i) => (
          <g key={scale.id} className="pc-axis" transform={`translate(${x(i)},0)`}>
            <line y1={y(0)} y2={y(1)} stroke="currentColor" strokeOpacity={0.5} />
            <text y={PAD.top - 12} textAnchor="middle" className="pc-title">
              {label(scale.id)}
            </text>
            {scale.ticks.map((tick) => (
              <text key={tick.text} x={-6} y={y(tick.at) + 4} textAnchor="end" className="pc-tick">
                {tick.text.length > 12 ? `${tick.text.slice(0, 11)}…` : tick.text}
              </text>
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="muted">
        {hovered ? `${hovered.info.run_name ?? hovered.info.run_id}` : "Hover a line to name its run."}
      </figcaption>
    </figure>
  );
}
