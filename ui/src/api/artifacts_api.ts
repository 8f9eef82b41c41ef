// A run's artifacts: listing (artifacts/list), and the UI's download route, which MLflow's UI
// uses too (`get-artifact?run_uuid=…&path=…`). The server sends active types (HTML, SVG, JS)
// as text/plain with `nosniff`, so a file can never run as a page.
import { API_PREFIX, get } from "./client";
import type { ListArtifactsResponse } from "./responses";
import { fetchText } from "./session";

// A listing's entries (FileInfo): `path` is relative to the run's artifact root.
export type { FileInfo, ListArtifactsResponse } from "./responses";

export async function listArtifacts(runId: string, path: string, signal?: AbortSignal) {
  const query = path ? { run_id: runId, path } : { run_id: runId };
  const answer = await get<ListArtifactsResponse, "/artifacts/list">(
    "/artifacts/list",
    query,
    signal,
  );
  return answer.files ?? [];
}

/** The URL that downloads (or, for an image, shows) one artifact file of a run. */
export function artifactUrl(runId: string, path: string): string {
  const query = new URLSearchParams({ run_uuid: runId, path });
  return `${API_PREFIX}/get-artifact?${query.toString()}`;
}

/** The text of one artifact file (callers check its size first). */
export async function fetchArtifactText(
  runId: string,
  path: string,
  signal?: AbortSignal,
): Promise<string> {
  return fetchText(artifactUrl(runId, path), signal ? { signal } : {});
}
