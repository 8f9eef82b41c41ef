// A scatter plot of any two values (params or metrics), one dot per run in its colour.
import type { Run } from "../../api/responses";
import { scaleAxis } from "./parallel";
import { label, valueOf } from "./values";

interface Props {
  runs: Run[];
  x: string;
  y: string;
  colors: Map<string, string>;
}

const W = 480;
const H = 320;
const PAD = 48;

export function ScatterPlot({ runs, x, y, colors }: Props) {
  const sx = scaleAxis(x, runs.map((r) => valueOf(r, x)));
  const sy = scaleAxis(y, runs.map((r) => valueOf(r, y)));
  const px = (at: number) => PAD + at * (W - 2 * PAD);
  const py = (at: number) => H - PAD + -at * (H - 2 * PAD);
  return (
    <figure className="scatter" data-testid="scatter-plot">
      <svg width={W} height={H} role="img" aria-label={`Scatter of ${label(y)} against ${label(x)}`}>
        <line x1={PAD} x2={W - PAD} y1={H - PAD} y2={H - PAD} stroke="currentColor" strokeOpacity={0.5} />
        <line x1={PAD} x2={PAD} y1={PAD} y2={H - PAD} stroke="currentColor" strokeOpacity={0.5} />
        {sx.ticks.map((t) => (
          <text key={`x${t.text}`} x={px(t.at)} y={H - PAD + 16} textAnchor="middle" className="pc-tick">
            {t.text}
          </text>
        ))}
        {sy.ticks.map((t) => (
          <text key={`y${t.text}`} x={PAD - 6} y={py(t.at) + 4} textAnchor="end" className="pc-tick">
            {t.text}
          </text>
        ))}
        <text x={W / 2} y={H - 8} textAnchor="middle" className="pc-title">
          {label(x)}
        </text>
        <text x={12} y={H / 2} textAnchor="middle" className="pc-title" transform={`rotate(-90 12 ${H / 2})`}>
          {label(y)}
        </text>
        {runs.map((run) => {
          const ax = sx.position(valueOf(run, x));
          const ay = sy.position(valueOf(run, y));
          if (ax === null || ay === null) return null;
          const id = run.info.run_id;
          return (
            <circle key={id} cx={px(ax)} cy={py(ay)} r={5} fill={colors.get(id) ?? "currentColor"}>
              <title>{`${run.info.run_name ?? id}: ${String(valueOf(run, x))}, ${String(valueOf(run, y))}`}</title>
            </circle>
          );
        })}
      </svg>
    </figure>
  );
}
