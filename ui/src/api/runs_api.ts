// REST calls of the run page and the charts, with their hand-typed answers (see responses.ts for
// why answers are typed by hand). GET query types extend `GetQueries` by declaration merging, so
// this module adds endpoints without editing the shared files.
import { get, post } from "./client";
import { searchRuns } from "./endpoints";
import type { Double, KeyValue, Page, Run } from "./responses";

declare module "./responses" {
  interface GetQueries {
    "/runs/metric-summaries": { run_id: string };
    "/metrics/get-history-bulk-interval": {
      run_ids: string[];
      metric_key: string;
      start_step?: number;
      end_step?: number;
      max_results?: number;
    };
  }
}

export interface Dataset {
  name: string;
  digest: string;
  source_type?: string;
  source?: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags?: KeyValue[];
  dataset: Dataset;
}

/** A run as runs/get answers it: with its inputs and outputs. */
export interface RunDetail extends Run {
  inputs?: { dataset_inputs?: DatasetInput[] };
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}

export interface MetricSummary {
  key: string;
  last_value: Double;
  last_timestamp: number;
  last_step: number;
  min_value: Double;
  max_value: Double;
  count: number;
}

export interface SampledPoint {
  key: string;
  value: Double;
  timestamp: number;
  step: number;
  run_id: string;
}

export interface LoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms?: number;
    artifact_uri?: string;
    status?: string;
    model_type?: string;
    source_run_id?: string;
    tags?: KeyValue[];
  };
  data?: { params?: KeyValue[] };
}

export interface SearchLoggedModelsResponse extends Page {
  models?: LoggedModel[];
}

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
  const answer = await get<{ summaries?: MetricSummary[] }, "/runs/metric-summaries">(
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
  const answer = await get<{ metrics?: SampledPoint[] }, "/metrics/get-history-bulk-interval">(
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
