// Server data of the run page, and its edits (which refresh the run).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  deleteRunTag,
  getChildRuns,
  getMetricSummaries,
  getRunDetail,
  getRunLoggedModels,
  getSampledHistory,
  setRunTag,
} from "../../api/runs_api";

export function useRun(runId: string) {
  return useQuery({
    queryKey: ["run", runId],
    queryFn: ({ signal }) => getRunDetail(runId, signal),
    select: (answer) => answer.run,
  });
}

export function useChildRuns(experimentId: string, runId: string) {
  return useQuery({
    queryKey: ["child-runs", experimentId, runId],
    queryFn: ({ signal }) => getChildRuns(experimentId, runId, signal),
  });
}

export function useMetricSummaries(runId: string) {
  return useQuery({
    queryKey: ["metric-summaries", runId],
    queryFn: ({ signal }) => getMetricSummaries(runId, signal),
  });
}

export function useSparkline(runId: string, metricKey: string) {
  return useQuery({
    queryKey: ["sampled-history", metricKey, [runId], 100],
    queryFn: ({ signal }) =>
      getSampledHistory({ runIds: [runId], metricKey, maxResults: 100 }, signal),
    staleTime: 60_000,
  });
}

export function useLoggedModels(experimentId: string, runId: string) {
  return useQuery({
    queryKey: ["logged-models", experimentId, runId],
    queryFn: ({ signal }) => getRunLoggedModels(experimentId, runId, signal),
  });
}

/** Set (value is a string) or delete (value is null) a run tag. */
export function useTagEdit(runId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ key, value }: { key: string; value: string | null }) =>
      value === null ? deleteRunTag(runId, key) : setRunTag(runId, key, value),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["run", runId] });
      void client.invalidateQueries({ queryKey: ["runs"] });
    },
  });
}
