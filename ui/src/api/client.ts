// The typed fetch layer: POST bodies, GET queries and answers typed from the generated OpenAPI
// schema (answers and queries through responses.ts), every failure thrown as ApiError or
// NetworkError. Calls go to /ajax-api/, as MLflow's own UI does; the server serves the same API
// under /api/ and /ajax-api/.
import { fetchText } from "./session";
import type { GetQueries } from "./responses";
import type { paths } from "./schema";

export const API_PREFIX = "/ajax-api/2.0/mlflow";
/** The prefix under which the OpenAPI document lists the API. */
type SchemaPrefix = "/api/2.0/mlflow";

type JsonBody<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } }
  ? B
  : never;

/** Paths (without prefix) whose POST takes a JSON body, per the OpenAPI document. */
export type PostPath = {
  [P in keyof paths]: P extends `${SchemaPrefix}${infer Rest}`
    ? JsonBody<paths[P]["post"]> extends never
      ? never
      : Rest
    : never;
}[keyof paths];

/** The request body of `POST <path>`, generated from the server's pydantic models. */
export type PostBody<P extends PostPath> = JsonBody<paths[`${SchemaPrefix}${P}`]["post"]>;

async function send(url: string, init: RequestInit): Promise<unknown> {
  const text = await fetchText(url, init);
  return text ? (JSON.parse(text) as unknown) : {};
}

/** `POST <path>` with a JSON body; the caller names the answer's type (see responses.ts). */
export async function post<T, P extends PostPath = PostPath>(
  path: P,
  body: PostBody<P>,
  signal?: AbortSignal,
): Promise<T> {
  const init: RequestInit = {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  if (signal) init.signal = signal;
  return (await send(API_PREFIX + path, init)) as T;
}

/** `GET <path>?<query>`; the caller names the answer's type (see responses.ts). */
export async function get<T, P extends keyof GetQueries = keyof GetQueries>(
  path: P,
  query: GetQueries[P],
  signal?: AbortSignal,
): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) params.append(key, String(item));
    } else if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const init: RequestInit = { method: "GET" };
  if (signal) init.signal = signal;
  return (await send(`${API_PREFIX}${path}?${params.toString()}`, init)) as T;
}
