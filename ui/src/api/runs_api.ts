// REST calls of the run page and the charts. Answers are typed by responses.ts (generated from
// the server's OpenAPI document); so are GET queries.
import { get, post } from "./client";
import { searchRuns } from "./endpoints";
import type {
  GetMetricSummariesResponse,
  GetMetricHistoryBulkResponse,
  MetricWithRunId,
  Run,
  SearchLoggedModelsResponse,
} from "./responses";

export type {
  Dataset,
  DatasetInput,
  LoggedModel,
  MetricSummary,
  SearchLoggedModelsResponse,
} from "./responses";

/** A run as runs/get answers it: with its inputs and outputs (every run answer has them). */
export type RunDetail = Run;

/** A point of the downsampled bulk read. */
export type SampledPoint = MetricWithRunId;

/** runs/get's answer (cached under `["run", runId]`, the key every page uses for it). */
export function getRunDetail(runId: string, signal?: AbortSignal) {
  return get<{ run: RunDetail }, "/runs/get">("/runs/get", { run_id: runId }, signal);
}

export function setRunTag(runId: string, key: string, value: string) {
  return post<object, "/runs/set-tag">("/runs/set-tag", { run_id: runId, key, value });
}

export function deleteRunTag(runId: string, key: string) {
  return post<object, "/runs/delete-tag">("/runs/delete-tag", { run_id: runId, key });
}

export async function getMetricSummaries(runId: string, signal?: AbortSignal) {
  const answer = await get<GetMetricSummariesResponse, "/runs/metric-summaries">(
    "/runs/metric-summaries",
    { run_id: runId },
    signal,
  );
  return answer.summaries ?? [];
}

export interface SampledQuery {
  runIds: string[];
  metricKey: string;
  maxResults: number;
  startStep?: number;
  endStep?: number;
}

/** Downsampled history of one metric for several runs; the server keeps every spike. */
export async function getSampledHistory(q: SampledQuery, signal?: AbortSignal) {
  const query: {
    run_ids: string[];
    metric_key: string;
    max_results: number;
    start_step?: number;
    end_step?: number;
  } = { run_ids: q.runIds, metric_key: q.metricKey, max_results: q.maxResults };
  if (q.startStep !== undefined) query.start_step = Math.floor(q.startStep);
  if (q.endStep !== undefined) query.end_step = Math.ceil(q.endStep);
  const answer = await get<GetMetricHistoryBulkResponse, "/metrics/get-history-bulk-interval">(
    "/metrics/get-history-bulk-interval",
    query,
    signal,
  );
  return answer.metrics ?? [];
}

/** Runs whose `mlflow.parentRunId` tag names `runId`. */
export async function getChildRuns(experimentId: string, runId: string, signal?: AbortSignal) {
  const answer = await searchRuns(
    {
      experimentIds: [experimentId],
      filter: `tags.mlflow.parentRunId = '${runId.replace(/'/g, "")}'`,
      orderBy: ["attributes.start_time DESC"],
      maxResults: 1000,
    },
    signal,
  );
  return answer.runs ?? [];
}

export async function getRunLoggedModels(
  experimentId: string,
  runId: string,
  signal?: AbortSignal,
) {
  const answer = await post<SearchLoggedModelsResponse, "/logged-models/search">(
    "/logged-models/search",
    {
      experiment_ids: [experimentId],
      filter: `source_run_id = '${runId.replace(/'/g, "")}'`,
      max_results: 100,
    },
    signal,
  );
  return answer.models ?? [];
}
