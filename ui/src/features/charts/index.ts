// The charts feature's public face, used by the run page and the compare view.
//
//   <MetricCharts runIds={["a1…", "b2…"]} runLabels={{ "a1…": "baseline" }} />
//
// See MetricChartsProps: without `settings`, the grid keeps its settings in the URL hash
// (`m`, `x`, `smooth`, `log` keys of the hash's query), so a view can be shared.
export { MetricCharts, type MetricChartsProps } from "./MetricCharts";
export { Sparkline } from "./Sparkline";
export { assignColors, runColor, type XAxis } from "./data";
export type { ChartGroup } from "./bands";
export {
  type ChartSettings,
  DEFAULT_SETTINGS,
  decodeChartSettings,
  encodeChartSettings,
  useHashParam,
} from "./settings";
