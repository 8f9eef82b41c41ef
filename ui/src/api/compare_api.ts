// Reads for run comparison and the runs table's min/max columns.
import { get } from "./client";
import type { GetMetricSummariesResponse } from "./responses";

export type { MetricSummary } from "./responses";
export type MetricSummariesResponse = GetMetricSummariesResponse;

/** Per metric of one run: last, min, max and count (a UI endpoint under /ajax-api/). The
 * server answers one run per call; the table asks for the rows on screen only. */
export function getMetricSummaries(runId: string, signal?: AbortSignal) {
  return get<MetricSummariesResponse, "/runs/metric-summaries">(
    "/runs/metric-summaries",
    { run_id: runId },
    signal,
  );
}
