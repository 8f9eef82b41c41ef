// Server data of the runs table: pages of runs/search, fetched as the user scrolls; the
// metric summaries of the rows on screen (min/max columns); and the run edits.
import { useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { getMetricSummaries, type MetricSummary } from "../../api/compare_api";
import {
  ViewType,
  deleteRun,
  getExperiment,
  renameRun,
  restoreRun,
  searchRuns,
} from "../../api/endpoints";
import type { Double, Run } from "../../api/responses";
import type { StatLookup } from "./columns";

export const PAGE_SIZE = 200;

export function useRunPages(
  experimentId: string,
  filter: string,
  orderBy: string[],
  deleted = false,
) {
  return useInfiniteQuery({
    queryKey: ["runs", experimentId, filter, orderBy, deleted],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      searchRuns(
        {
          experimentIds: [experimentId],
          filter,
          orderBy,
          maxResults: PAGE_SIZE,
          viewType: deleted ? ViewType.DELETED_ONLY : ViewType.ACTIVE_ONLY,
          ...(pageParam ? { pageToken: pageParam } : {}),
        },
        signal,
      ),
    getNextPageParam: (last) => last.next_page_token || undefined,
    select: (data): Run[] => data.pages.flatMap((p) => p.runs ?? []),
    retry: (count, error) => count < 2 && !(error instanceof Error && error.name === "ApiError"),
  });
}

export function useExperiment(experimentId: string) {
  return useQuery({
    queryKey: ["experiment", experimentId],
    queryFn: ({ signal }) => getExperiment(experimentId, signal),
    select: (answer) => answer.experiment,
  });
}

/** Summaries (last/min/max) of `runIds`, one cached query per run; off when `enabled` is false.
 * The server has no bulk form yet, so only the rows on screen are asked for. */
export function useMetricStats(runIds: readonly string[], enabled: boolean): StatLookup {
  const results = useQueries({
    queries: (enabled ? runIds : []).map((runId) => ({
      queryKey: ["metric-summaries", runId],
      queryFn: ({ signal }: { signal: AbortSignal }) => getMetricSummaries(runId, signal),
      staleTime: 60_000,
    })),
    combine: (answers) => {
      const byRun = new Map<string, Map<string, MetricSummary>>();
      answers.forEach((answer, i) => {
        const id = runIds[i];
        if (id && answer.data) {
          byRun.set(id, new Map((answer.data.summaries ?? []).map((s) => [s.key, s])));
        }
      });
      return byRun;
    },
  });
  return useCallback(
    (runId: string, key: string, stat: "min" | "max"): Double | undefined => {
      const summary = results.get(runId)?.get(key);
      if (!summary) return undefined;
      return stat === "min" ? summary.min_value : summary.max_value;
    },
    [results],
  );
}

export type RunEdit =
  | { kind: "delete"; runIds: string[] }
  | { kind: "restore"; runIds: string[] }
  | { kind: "rename"; runId: string; name: string };

/** Delete, restore or rename runs; the experiment's run pages are refetched afterwards. */
export function useRunEdit(experimentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (edit: RunEdit) => {
      if (edit.kind === "rename") return renameRun(edit.runId, edit.name);
      const call = edit.kind === "delete" ? deleteRun : restoreRun;
      // One call per run (the REST API has no bulk form); a few at a time.
      for (let i = 0; i < edit.runIds.length; i += 8) {
        await Promise.all(edit.runIds.slice(i, i + 8).map((id) => call(id)));
      }
      return {};
    },
    onSettled: () => client.invalidateQueries({ queryKey: ["runs", experimentId] }),
  });
}
