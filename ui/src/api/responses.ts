// HAND-WRITTEN RESPONSE TYPES.
//
// The server's OpenAPI document describes request bodies (from the pydantic models in
// src/runstone/wire/) but not responses (handlers return plain dicts, built by
// src/runstone/wire/encode.py), nor the query parameters of GET endpoints. Until the server
// declares response models, the shapes the UI reads are typed here, in this one place,
// following encode.py. Unset or empty fields are left out by the server, hence the `?`.

export interface KeyValue {
  key: string;
  value: string;
}

export type LifecycleStage = "active" | "deleted";

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: LifecycleStage;
  last_update_time?: number;
  creation_time?: number;
  tags?: KeyValue[];
}

export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: LifecycleStage;
}

/** A double as MLflow writes it: a number, or a string for NaN and the infinities. */
export type Double = number | "NaN" | "Infinity" | "-Infinity";

export interface Metric {
  key: string;
  value: Double;
  timestamp: number;
  step: number;
}

export interface RunData {
  metrics?: Metric[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

export interface Page {
  next_page_token?: string;
}

export interface SearchExperimentsResponse extends Page {
  experiments?: Experiment[];
}

export interface GetExperimentResponse {
  experiment: Experiment;
}

export interface CreateExperimentResponse {
  experiment_id: string;
}

export interface SearchRunsResponse extends Page {
  runs?: Run[];
}

export interface GetRunResponse {
  run: Run;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: KeyValue[];
  aliases?: { alias: string; version: string }[];
}

export interface SearchRegisteredModelsResponse extends Page {
  registered_models?: RegisteredModel[];
}

export interface GetRegisteredModelResponse {
  registered_model: RegisteredModel;
}

export interface GetModelVersionResponse {
  model_version: ModelVersion;
}

/** Query parameters of the GET endpoints the UI calls (not described by the OpenAPI document). */
export interface GetQueries {
  "/experiments/get": { experiment_id: string };
  "/runs/get": { run_id: string };
  "/registered-models/search": { filter?: string; max_results?: number; page_token?: string };
  "/registered-models/get": { name: string };
  "/model-versions/get": { name: string; version: string };
  "/model-versions/get-download-uri": { name: string; version: string };
  "/model-versions/search": {
    filter?: string;
    max_results?: number;
    order_by?: string;
    page_token?: string;
  };
  "/runs/metric-summaries": { run_id: string };
}
