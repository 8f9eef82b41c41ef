// Server data of the runs table: pages of runs/search, fetched as the user scrolls.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { getExperiment, searchRuns } from "../../api/endpoints";
import type { Run } from "../../api/responses";

export const PAGE_SIZE = 200;

export function useRunPages(experimentId: string, filter: string, orderBy: string[]) {
  return useInfiniteQuery({
    queryKey: ["runs", experimentId, filter, orderBy],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      searchRuns(
        {
          experimentIds: [experimentId],
          filter,
          orderBy,
          maxResults: PAGE_SIZE,
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
