// An experiment's runs: title, filter, column chooser, count and the virtualised table.
import { useCallback, useMemo } from "react";
import { ApiError, errorMessage } from "../../api/errors";
import { ErrorBox, Loading } from "../../components/States";
import { Quickstart } from "../../components/Quickstart";
import type { RunsView as View } from "../../lib/route";
import { navigate } from "../../lib/router";
import { ColumnChooser } from "./ColumnChooser";
import { FilterBar } from "./FilterBar";
import { RunsGrid } from "./RunsGrid";
import {
  collectKeys,
  nextSort,
  orderByClause,
  toggleColumn,
  visibleColumns,
} from "./columns";
import { useExperiment, useRunPages } from "./queries";

interface Props {
  experimentId: string;
  view: View;
}

export function RunsView({ experimentId, view }: Props) {
  const experiment = useExperiment(experimentId);
  const orderBy = useMemo(() => orderByClause(view.sort), [view.sort]);
  const runs = useRunPages(experimentId, view.filter, orderBy);
  const loaded = useMemo(() => runs.data ?? [], [runs.data]);
  const keys = useMemo(() => collectKeys(loaded), [loaded]);
  const columns = useMemo(() => visibleColumns(view.columns, keys), [view.columns, keys]);
  const visible = useMemo(() => new Set(columns.map((c) => c.id)), [columns]);

  const go = useCallback(
    (next: View, replace = false) =>
      navigate({ page: "experiments", experimentId, view: next }, replace),
    [experimentId],
  );
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = runs;
  const onNearEnd = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  // A bad filter is the user's to fix: its message goes next to the box, not over the page.
  const filterError =
    runs.error instanceof ApiError && runs.error.isUserError ? runs.error.message : null;

  if (experiment.isError) return <ErrorBox error={experiment.error} />;
  const title = experiment.data?.name ?? "…";
  const deleted = experiment.data?.lifecycle_stage === "deleted";

  return (
    <section className="runs-view" aria-label={`Runs of ${title}`}>
      <header className="runs-head">
        <h1 title={`Experiment ID ${experimentId}`}>{title}</h1>
        {deleted && <span className="badge">deleted</span>}
        <span className="muted">ID {experimentId}</span>
      </header>
      <div className="runs-toolbar">
        <FilterBar
          filter={view.filter}
          error={filterError}
          onApply={(filter) => go({ ...view, filter })}
        />
        <ColumnChooser
          keys={keys}
          visible={visible}
          onToggle={(id) => go({ ...view, columns: toggleColumn(view.columns, keys, id) }, true)}
          onReset={() => go({ ...view, columns: null }, true)}
        />
        <span className="run-count" aria-live="polite" data-testid="run-count">
          {runs.isSuccess && `${loaded.length}${hasNextPage ? "+" : ""} runs`}
          {isFetchingNextPage && " (loading more…)"}
        </span>
      </div>
      {runs.isPending ? (
        <Loading what="runs" />
      ) : runs.isError ? (
        filterError ? (
          <p className="muted">Fix the filter to see runs.</p>
        ) : (
          <ErrorBox error={runs.error} retry={() => void runs.refetch()} />
        )
      ) : loaded.length === 0 ? (
        view.filter ? (
          <p className="state state-empty">No runs match {JSON.stringify(view.filter)}.</p>
        ) : (
          <Quickstart title="No runs in this experiment yet" />
        )
      ) : (
        <RunsGrid
          runs={loaded}
          columns={columns}
          sort={view.sort}
          onSort={(id) => go({ ...view, sort: nextSort(view.sort, id) })}
          onNearEnd={onNearEnd}
        />
      )}
      {runs.isFetchNextPageError && <p className="inline-error">{errorMessage(runs.error)}</p>}
    </section>
  );
}
