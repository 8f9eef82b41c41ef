// Registry calls (registered models, versions, aliases, tags) and the raw-text artifact read
// the version page uses for MLmodel. Some of MLflow's registry calls are PATCH or DELETE, which
// the POST/GET helpers of client.ts do not cover: `request` below sends those.
import { API_PREFIX, get, post } from "./client";
import { fetchText } from "./session";
import type {
  GetModelVersionDownloadUriResponse,
  GetModelVersionResponse,
  GetRegisteredModelResponse,
  SearchModelVersionsResponse,
} from "./responses";

export type { SearchModelVersionsResponse } from "./responses";
export type CreateRegisteredModelResponse = GetRegisteredModelResponse;
export type DownloadUriResponse = GetModelVersionDownloadUriResponse;

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** `<method> <API_PREFIX><path>` with a JSON body (for the PATCH and DELETE calls). */
export async function request<T>(method: Method, path: string, body: object): Promise<T> {
  const text = await fetchText(API_PREFIX + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return (text ? JSON.parse(text) : {}) as T;
}

/** The text of a run's artifact (`GET /get-artifact`), for small files such as MLmodel. */
export function getRunArtifactText(runId: string, path: string, signal?: AbortSignal) {
  const query = new URLSearchParams({ run_id: runId, path });
  const init: RequestInit = { method: "GET" };
  if (signal) init.signal = signal;
  return fetchText(`/ajax-api/2.0/mlflow/get-artifact?${query.toString()}`, init);
}

/** The text of a proxied artifact (`mlflow-artifacts:/<path>`). */
export function getProxiedArtifactText(path: string, signal?: AbortSignal) {
  const init: RequestInit = { method: "GET" };
  if (signal) init.signal = signal;
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return fetchText(`/api/2.0/mlflow-artifacts/artifacts/${encoded}`, init);
}

export function createRegisteredModel(name: string) {
  return post<CreateRegisteredModelResponse, "/registered-models/create">(
    "/registered-models/create",
    { name },
  );
}

export function updateRegisteredModel(name: string, description: string) {
  return request<GetRegisteredModelResponse>("PATCH", "/registered-models/update", {
    name,
    description,
  });
}

export function setRegisteredModelTag(name: string, key: string, value: string) {
  return post<object, "/registered-models/set-tag">("/registered-models/set-tag", {
    name,
    key,
    value,
  });
}

export function deleteRegisteredModelTag(name: string, key: string) {
  return request<object>("DELETE", "/registered-models/delete-tag", { name, key });
}

export function setModelAlias(name: string, alias: string, version: string) {
  return post<object, "/registered-models/alias">("/registered-models/alias", {
    name,
    alias,
    version,
  });
}

export function deleteModelAlias(name: string, alias: string) {
  return request<object>("DELETE", "/registered-models/alias", { name, alias });
}

export function searchModelVersions(name: string, signal?: AbortSignal) {
  const filter = `name = '${name.replace(/'/g, "\\'")}'`;
  return get<SearchModelVersionsResponse, "/model-versions/search">(
    "/model-versions/search",
    { filter, max_results: 1000, order_by: ["version_number DESC"] },
    signal,
  );
}

export function createModelVersion(
  name: string,
  source: string,
  runId: string | null,
  modelId: string | null = null,
) {
  return post<GetModelVersionResponse, "/model-versions/create">("/model-versions/create", {
    name,
    source,
    run_id: runId,
    model_id: modelId,
  });
}

export function updateModelVersion(name: string, version: string, description: string) {
  return request<GetModelVersionResponse>("PATCH", "/model-versions/update", {
    name,
    version,
    description,
  });
}

export function transitionModelVersionStage(name: string, version: string, stage: string) {
  return post<GetModelVersionResponse, "/model-versions/transition-stage">(
    "/model-versions/transition-stage",
    { name, version, stage, archive_existing_versions: false },
  );
}

export function setModelVersionTag(name: string, version: string, key: string, value: string) {
  return post<object, "/model-versions/set-tag">("/model-versions/set-tag", {
    name,
    version,
    key,
    value,
  });
}

export function deleteModelVersionTag(name: string, version: string, key: string) {
  return request<object>("DELETE", "/model-versions/delete-tag", { name, version, key });
}

export function getModelVersionDownloadUri(name: string, version: string, signal?: AbortSignal) {
  return get<DownloadUriResponse, "/model-versions/get-download-uri">(
    "/model-versions/get-download-uri",
    { name, version },
    signal,
  );
}
