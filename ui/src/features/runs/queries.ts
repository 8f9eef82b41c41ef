// Server data of the runs table: pages of runs/search, fetched as the user scrolls; the
// metric summaries of the rows on screen (min/max columns); and the run edits.
import {
  useInfiniteQuery,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type UseQueryResult,
} from "@tanstack/react-query";
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
import type { Double, GetExperimentResponse, Run, SearchRunsResponse } from "../../api/responses";
import { collectKeys, mergeKeys, type FoundKeys, type StatLookup } from "./columns";
import { FIRST_PAGE_SIZE, pageSize } from "./paging";

interface PageParam {
  token: string | undefined;
  size: number;
}

const FIRST_PARAM: PageParam = { token: undefined, size: FIRST_PAGE_SIZE };

export interface LoadedRuns {
  runs: Run[];
  keys: FoundKeys;
}

// The keys of each page, found once: with 100,000 runs loaded, going through every run again
// whenever a page arrives would stall the scrolling.
const pageKeys = new WeakMap<SearchRunsResponse, FoundKeys>();

function keysOf(page: SearchRunsResponse): FoundKeys {
  let keys = pageKeys.get(page);
  if (!keys) {
    keys = collectKeys(page.runs ?? []);
    pageKeys.set(page, keys);
  }
  return keys;
}

/** The runs of all loaded pages, in order, and the keys found in them. Module-level, so
 * TanStack Query runs it only when the pages change. */
function loadedRuns(data: InfiniteData<SearchRunsResponse, PageParam>): LoadedRuns {
  return { runs: data.pages.flatMap((p) => p.runs ?? []), keys: mergeKeys(data.pages.map(keysOf)) };
}

/** The query key of the runs table of `experimentIds` (a prefix of every page's key). */
export function runsKey(experimentIds: readonly string[]): string[] {
  return ["runs", experimentIds.join(",")];
}

export function useRunPages(
  experimentIds: readonly string[],
  filter: string,
  orderBy: string[],
  deleted = false,
) {
  return useInfiniteQuery({
    queryKey: [...runsKey(experimentIds), filter, orderBy, deleted],
    initialPageParam: FIRST_PARAM,
    queryFn: ({ pageParam, signal }) =>
      searchRuns(
        {
          experimentIds: [...experimentIds],
          filter,
          orderBy,
          maxResults: pageParam.size,
          viewType: deleted ? ViewType.DELETED_ONLY : ViewType.ACTIVE_ONLY,
          ...(pageParam.token ? { pageToken: pageParam.token } : {}),
        },
        signal,
      ),
    getNextPageParam: (last, pages): PageParam | undefined => {
      if (!last.next_page_token) return undefined;
      const loaded = pages.reduce((n, p) => n + (p.runs?.length ?? 0), 0);
      return { token: last.next_page_token, size: pageSize(loaded) };
    },
    select: loadedRuns,
    // Pages are kept as they came; comparing 100,000 loaded runs deeply with the previous
    // answer each time a page arrives would cost a frame for nothing.
    structuralSharing: false,
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

/** The experiments of `experimentIds` (same cache entries as `useExperiment`), in order. */
export function useExperimentsById(experimentIds: readonly string[]) {
  // A stable `combine`, so its result keeps its identity while the answers do.
  const combine = useCallback(
    (answers: UseQueryResult<GetExperimentResponse>[]) => ({
      experiments: answers.map((a, i) => ({ id: experimentIds[i]!, experiment: a.data?.experiment })),
      error: answers.find((a) => a.isError)?.error ?? null,
    }),
    [experimentIds],
  );
  return useQueries({
    queries: experimentIds.map((id) => ({
      queryKey: ["experiment", id],
      queryFn: ({ signal }: { signal: AbortSignal }) => getExperiment(id, signal),
    })),
    combine,
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
export function useRunEdit(experimentIds: readonly string[]) {
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
    onSettled: () => client.invalidateQueries({ queryKey: runsKey(experimentIds) }),
  });
}
