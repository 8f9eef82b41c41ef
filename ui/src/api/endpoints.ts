// One typed function per REST call the UI makes.
import { get, post } from "./client";
import type {
  CreateExperimentResponse,
  GetExperimentResponse,
  GetModelVersionResponse,
  GetRegisteredModelResponse,
  GetRunResponse,
  SearchExperimentsResponse,
  SearchRegisteredModelsResponse,
  SearchRunsResponse,
} from "./responses";

/** MLflow's ViewType (the schema types it by number). */
export const ViewType = { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 } as const;
export type ViewTypeValue = (typeof ViewType)[keyof typeof ViewType];

export interface ExperimentSearch {
  filter?: string;
  viewType?: ViewTypeValue;
  pageToken?: string;
  maxResults?: number;
}

export function searchExperiments(q: ExperimentSearch, signal?: AbortSignal) {
  return post<SearchExperimentsResponse, "/experiments/search">(
    "/experiments/search",
    {
      filter: q.filter || null,
      view_type: q.viewType ?? ViewType.ACTIVE_ONLY,
      max_results: q.maxResults ?? 1000,
      order_by: ["name ASC"],
      page_token: q.pageToken ?? null,
    },
    signal,
  );
}

export function getExperiment(experimentId: string, signal?: AbortSignal) {
  return get<GetExperimentResponse, "/experiments/get">(
    "/experiments/get",
    { experiment_id: experimentId },
    signal,
  );
}

export function createExperiment(name: string) {
  return post<CreateExperimentResponse, "/experiments/create">("/experiments/create", { name });
}

export function renameExperiment(experimentId: string, newName: string) {
  return post<object, "/experiments/update">("/experiments/update", {
    experiment_id: experimentId,
    new_name: newName,
  });
}

export function deleteExperiment(experimentId: string) {
  return post<object, "/experiments/delete">("/experiments/delete", {
    experiment_id: experimentId,
  });
}

export function restoreExperiment(experimentId: string) {
  return post<object, "/experiments/restore">("/experiments/restore", {
    experiment_id: experimentId,
  });
}

export interface RunSearch {
  experimentIds: string[];
  filter: string;
  orderBy: string[];
  pageToken?: string;
  maxResults: number;
  viewType?: ViewTypeValue;
}

export function searchRuns(q: RunSearch, signal?: AbortSignal) {
  return post<SearchRunsResponse, "/runs/search">(
    "/runs/search",
    {
      experiment_ids: q.experimentIds,
      filter: q.filter || null,
      run_view_type: q.viewType ?? ViewType.ACTIVE_ONLY,
      max_results: q.maxResults,
      order_by: q.orderBy,
      page_token: q.pageToken ?? null,
    },
    signal,
  );
}

export function deleteRun(runId: string) {
  return post<object, "/runs/delete">("/runs/delete", { run_id: runId });
}

export function restoreRun(runId: string) {
  return post<object, "/runs/restore">("/runs/restore", { run_id: runId });
}

export function renameRun(runId: string, runName: string) {
  return post<object, "/runs/update">("/runs/update", { run_id: runId, run_name: runName });
}

export function getRun(runId: string, signal?: AbortSignal) {
  return get<GetRunResponse, "/runs/get">("/runs/get", { run_id: runId }, signal);
}

export function searchRegisteredModels(filter: string, signal?: AbortSignal) {
  const query = filter ? { filter, max_results: 1000 } : { max_results: 1000 };
  return get<SearchRegisteredModelsResponse, "/registered-models/search">(
    "/registered-models/search",
    query,
    signal,
  );
}

export function getRegisteredModel(name: string, signal?: AbortSignal) {
  return get<GetRegisteredModelResponse, "/registered-models/get">(
    "/registered-models/get",
    { name },
    signal,
  );
}

export function getModelVersion(name: string, version: string, signal?: AbortSignal) {
  return get<GetModelVersionResponse, "/model-versions/get">(
    "/model-versions/get",
    { name, version },
    signal,
  );
}
