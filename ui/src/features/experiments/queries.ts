// Server data of the experiments feature, through TanStack Query.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  ViewType,
  createExperiment,
  deleteExperiment,
  renameExperiment,
  restoreExperiment,
  searchExperiments,
} from "../../api/endpoints";

/** A LIKE filter on experiment names; quotes become `_` (any one character), since the
 * search language does not unescape quoted strings. */
export function nameFilter(text: string): string {
  const term = text.trim().replace(/['"]/g, "_");
  return term ? `name LIKE '%${term}%'` : "";
}

export function useExperiments(search: string, deleted: boolean) {
  const filter = nameFilter(search);
  return useQuery({
    queryKey: ["experiments", filter, deleted],
    queryFn: ({ signal }) =>
      searchExperiments(
        { filter, viewType: deleted ? ViewType.DELETED_ONLY : ViewType.ACTIVE_ONLY },
        signal,
      ),
    select: (page) => ({ experiments: page.experiments ?? [], more: !!page.next_page_token }),
    placeholderData: (previous) => previous,
  });
}

function useInvalidating<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (args: A) => fn(...args),
    onSuccess: () => client.invalidateQueries({ queryKey: ["experiments"] }),
  });
}

export function useCreateExperiment() {
  return useInvalidating((name: string) => createExperiment(name));
}

export function useRenameExperiment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) => renameExperiment(id, name),
    onSuccess: (_data, { id }) => {
      void client.invalidateQueries({ queryKey: ["experiments"] });
      void client.invalidateQueries({ queryKey: ["experiment", id] });
    },
  });
}

export function useDeleteExperiment() {
  return useInvalidating((id: string) => deleteExperiment(id));
}

export function useRestoreExperiment() {
  return useInvalidating((id: string) => restoreExperiment(id));
}
