// Failures of API calls as typed errors. The server answers MLflow's error JSON,
// `{"error_code": "...", "message": "..."}`; anything else becomes a generic ApiError.

/** MLflow's error codes that the UI treats specially; others pass through as strings. */
export type KnownErrorCode =
  | "INVALID_PARAMETER_VALUE"
  | "BAD_REQUEST"
  | "RESOURCE_DOES_NOT_EXIST"
  | "RESOURCE_ALREADY_EXISTS"
  | "INVALID_STATE"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "ENDPOINT_NOT_FOUND"
  | "TEMPORARILY_UNAVAILABLE"
  | "INTERNAL_ERROR";

export type ErrorCode = KnownErrorCode | (string & {});

export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: ErrorCode;

  constructor(status: number, errorCode: ErrorCode, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errorCode = errorCode;
  }

  /** A problem with what the user typed (a filter, a name), shown next to the input. */
  get isUserError(): boolean {
    return (
      this.errorCode === "INVALID_PARAMETER_VALUE" ||
      this.errorCode === "BAD_REQUEST" ||
      this.errorCode === "RESOURCE_ALREADY_EXISTS"
    );
  }

  get isNotFound(): boolean {
    return this.errorCode === "RESOURCE_DOES_NOT_EXIST" || this.status === 404;
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

function isErrorBody(value: unknown): value is { error_code: string; message?: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { error_code?: unknown }).error_code === "string"
  );
}

/** The typed error for a non-2xx answer with status `status` and body text `text`. */
export function toApiError(status: number, text: string): ApiError {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, say): fall through to the generic error.
  }
  if (isErrorBody(parsed)) {
    const message =
      typeof parsed.message === "string" && parsed.message ? parsed.message : parsed.error_code;
    return new ApiError(status, parsed.error_code, message);
  }
  const snippet = text.trim().slice(0, 200);
  const code: ErrorCode = status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
  return new ApiError(status, code, snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`);
}

/** A one-line message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
