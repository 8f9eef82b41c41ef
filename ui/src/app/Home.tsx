// The experiments page before one is picked: a hint, or the quickstart for an empty store.
import { useQuery } from "@tanstack/react-query";
import { searchExperiments, searchRuns } from "../api/endpoints";
import { ErrorBox, Loading } from "../components/States";
import { Quickstart } from "../components/Quickstart";

export function Home() {
  // The store is "empty" when no experiment holds a run (the Default experiment always exists).
  const anyRun = useQuery({
    queryKey: ["home", "any-run"],
    queryFn: async ({ signal }) => {
      const page = await searchExperiments({ maxResults: 100 }, signal);
      const ids = (page.experiments ?? []).map((e) => e.experiment_id);
      if (ids.length === 0) return false;
      const runs = await searchRuns(
        { experimentIds: ids, filter: "", orderBy: [], maxResults: 1 },
        signal,
      );
      return (runs.runs ?? []).length > 0 || (page.experiments ?? []).length > 1;
    },
  });
  if (anyRun.isPending) return <Loading what="the store" />;
  if (anyRun.isError) return <ErrorBox error={anyRun.error} retry={() => void anyRun.refetch()} />;
  if (!anyRun.data) return <Quickstart title="Welcome to Runstone" />;
  return (
    <section className="page">
      <h1>Experiments</h1>
      <p className="muted">Pick an experiment on the left to see its runs.</p>
    </section>
  );
}
