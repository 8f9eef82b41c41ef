// Reads for run comparison and the runs table's min/max columns.
import { get } from "./client";
import type { Double } from "./responses";

export interface MetricSummary {
  key: string;
  last_value: Double;
  last_timestamp?: number;
  last_step?: number;
  min_value: Double;
  max_value: Double;
  count: number;
}

export interface MetricSummariesResponse {
  summaries?: MetricSummary[];
}

/** Per metric of one run: last, min, max and count (a UI endpoint under /ajax-api/). The
 * server answers one run per call; the table asks for the rows on screen only. */
export function getMetricSummaries(runId: string, signal?: AbortSignal) {
  return get<MetricSummariesResponse, "/runs/metric-summaries">(
    "/runs/metric-summaries",
    { run_id: runId },
    signal,
  );
}
