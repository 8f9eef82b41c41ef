// Loading, error and empty states, used by every page.
import type { ReactNode } from "react";
import { ApiError, NetworkError, errorMessage } from "../api/errors";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const title =
    error instanceof ApiError
      ? error.isNotFound
        ? "Not found"
        : `Error ${error.errorCode}`
      : error instanceof NetworkError
        ? "Server unreachable"
        : "Something went wrong";
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p className="error-message">{errorMessage(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}
