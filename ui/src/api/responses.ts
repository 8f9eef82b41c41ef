// The REST API's answers and GET queries, named for the rest of the UI.
//
// Every type here comes from the generated schema.ts: `npm run gen:api` writes it from the
// server's OpenAPI document, whose response models are the pydantic models of
// src/runstone/wire/responses.py and responses_registry.py (a test checks them against what
// the server really sends, another that schema.ts is fresh). To change a shape, change those
// models and regenerate; do not type answers by hand. Fields the server leaves out when unset
// or empty are optional (`?`); the server never sends `null`.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

export type KeyValue = Schemas["KeyValue"];
export type ErrorResponse = Schemas["ErrorResponse"];
/** The answer of an operation that returns nothing (`{}`). */
export type Empty = Schemas["Empty"];

// -- experiments and runs ----------------------------------------------------------------------

export type Experiment = Schemas["Experiment"];
export type LifecycleStage = Experiment["lifecycle_stage"];
export type RunInfo = Schemas["RunInfo"];
export type RunStatus = RunInfo["status"];
export type Metric = Schemas["Metric"];
/** A double as MLflow writes it: a number, or a string for NaN and the infinities. */
export type Double = Metric["value"];
export type RunData = Schemas["RunData"];
export type Dataset = Schemas["Dataset"];
export type DatasetInput = Schemas["DatasetInput"];
export type RunInputs = Schemas["RunInputs"];
export type RunOutputs = Schemas["RunOutputs"];
export type Run = Schemas["Run"];

/** The paging part of a search's answer. */
export type Page = Pick<Schemas["SearchRunsResponse"], "next_page_token">;

export type SearchExperimentsResponse = Schemas["SearchExperimentsResponse"];
export type GetExperimentResponse = Schemas["GetExperimentResponse"];
export type CreateExperimentResponse = Schemas["CreateExperimentResponse"];
export type SearchRunsResponse = Schemas["SearchRunsResponse"];
export type GetRunResponse = Schemas["GetRunResponse"];
export type UpdateRunResponse = Schemas["UpdateRunResponse"];

// -- metrics and artifacts ---------------------------------------------------------------------

export type GetMetricHistoryResponse = Schemas["GetMetricHistoryResponse"];
/** A point of the bulk reads (several runs at once), downsampled or whole. */
export type MetricWithRunId = Schemas["MetricWithRunId"];
export type GetMetricHistoryBulkResponse = Schemas["GetMetricHistoryBulkResponse"];
export type MetricSummary = Schemas["MetricSummary"];
export type GetMetricSummariesResponse = Schemas["GetMetricSummariesResponse"];
export type FileInfo = Schemas["FileInfo"];
export type ListArtifactsResponse = Schemas["ListArtifactsResponse"];

// -- the model registry and logged models ------------------------------------------------------

export type ModelVersion = Schemas["ModelVersion"];
export type ModelStage = ModelVersion["current_stage"];
export type ModelVersionStatus = ModelVersion["status"];
export type RegisteredModel = Schemas["RegisteredModel"];
export type RegisteredModelAlias = Schemas["RegisteredModelAlias"];
export type SearchRegisteredModelsResponse = Schemas["SearchRegisteredModelsResponse"];
export type GetRegisteredModelResponse = Schemas["GetRegisteredModelResponse"];
export type GetModelVersionResponse = Schemas["GetModelVersionResponse"];
export type SearchModelVersionsResponse = Schemas["SearchModelVersionsResponse"];
export type GetModelVersionDownloadUriResponse = Schemas["GetModelVersionDownloadUriResponse"];
export type LoggedModel = Schemas["LoggedModel"];
export type LoggedModelStatus = Schemas["LoggedModelInfo"]["status"];
export type GetLoggedModelResponse = Schemas["GetLoggedModelResponse"];
export type SearchLoggedModelsResponse = Schemas["SearchLoggedModelsResponse"];

// -- users, tokens and the sign-in session (servers with --auth) -------------------------------

export type User = Schemas["User"];
export type CurrentUserResponse = Schemas["CurrentUserResponse"];
export type LoginResponse = Schemas["LoginResponse"];
export type AccessToken = Schemas["AccessToken"];
export type CreateTokenResponse = Schemas["CreateTokenResponse"];
export type ListTokensResponse = Schemas["ListTokensResponse"];
export type ServerInfo = Schemas["ServerInfo"];

// -- GET queries -------------------------------------------------------------------------------

type Prefix = "/api/2.0/mlflow" | "/ajax-api/2.0/mlflow";
type QueryOf<Op> = Op extends { parameters: { query?: infer Q } }
  ? [NonNullable<Q>] extends [never]
    ? Record<string, never>
    : NonNullable<Q>
  : never;

/** The query parameters of every GET endpoint, by path without prefix (schema.ts). */
type SchemaGetQueries = {
  [P in keyof paths as P extends `${Prefix}${infer Rest}`
    ? paths[P] extends { get: object }
      ? Rest
      : never
    : never]: paths[P] extends { get: infer Op } ? QueryOf<Op> : never;
};

/** Query parameters of the GET endpoints, generated. An interface, so that a module may
 * narrow an entry by declaration merging (say, make a parameter the server also accepts under
 * another name required). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface GetQueries extends SchemaGetQueries {}
