// An experiment's runs: title, filter, column chooser, selection actions, count and the
// virtualised table (nested runs as a tree).
import { useCallback, useMemo, useState } from "react";
import { ApiError, errorMessage } from "../../api/errors";
import { ErrorBox, Loading } from "../../components/States";
import { Quickstart } from "../../components/Quickstart";
import type { RunsView as View } from "../../lib/route";
import { navigate } from "../../lib/router";
import { ColumnChooser } from "./ColumnChooser";
import { FilterBar } from "./FilterBar";
import { RunsActions } from "./RunsActions";
import { RunsGrid } from "./RunsGrid";
import { allCompletions } from "./autocomplete";
import { collectKeys, nextSort, orderByClause, toggleColumn, visibleColumns } from "./columns";
import { useExperiment, useMetricStats, useRunEdit, useRunPages } from "./queries";
import { NO_SELECTION, clickRow, selectionState, toggleAll, type Selection } from "./selection";
import { buildTree } from "./tree";

interface Props {
  experimentId: string;
  view: View;
}

export function RunsView({ experimentId, view }: Props) {
  const experiment = useExperiment(experimentId);
  const orderBy = useMemo(() => orderByClause(view.sort), [view.sort]);
  const deletedView = view.deleted ?? false;
  const runs = useRunPages(experimentId, view.filter, orderBy, deletedView);
  const loaded = useMemo(() => runs.data ?? [], [runs.data]);
  const keys = useMemo(() => collectKeys(loaded), [loaded]);
  const completions = useMemo(() => allCompletions(keys), [keys]);
  const columns = useMemo(
    () => visibleColumns(view.columns, keys, view.minmax ?? false),
    [view.columns, keys, view.minmax],
  );
  const visible = useMemo(() => new Set(columns.map((c) => c.id)), [columns]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const tree = useMemo(() => buildTree(loaded, expanded), [loaded, expanded]);
  const order = useMemo(() => tree.map((r) => r.run.info.run_id), [tree]);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [onScreen, setOnScreen] = useState<string[]>([]);
  const stats = useMetricStats(onScreen, view.minmax ?? false);
  const edit = useRunEdit(experimentId);

  const go = useCallback(
    (next: View, replace = false) =>
      navigate({ page: "experiments", experimentId, view: next }, replace),
    [experimentId],
  );
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = runs;
  const onNearEnd = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const onToggleExpand = useCallback((id: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const onSelect = useCallback(
    (id: string, shift: boolean) => setSelection((s) => clickRow(s, order, id, shift)),
    [order],
  );
  const onRename = useCallback(
    (runId: string, name: string) => edit.mutate({ kind: "rename", runId, name }),
    // `edit.mutate` is stable; `edit` itself is a new object every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [edit.mutate],
  );
  const selectedIds = [...selection.ids];
  const changeView = (next: View) => {
    setSelection(NO_SELECTION);
    go(next);
  };

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
          completions={completions}
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
      <RunsActions
        experimentId={experimentId}
        selected={selectedIds}
        deletedView={deletedView}
        minmax={view.minmax ?? false}
        busy={edit.isPending}
        onDelete={() => edit.mutate({ kind: "delete", runIds: selectedIds }, { onSuccess: () => setSelection(NO_SELECTION) })}
        onRestore={() => edit.mutate({ kind: "restore", runIds: selectedIds }, { onSuccess: () => setSelection(NO_SELECTION) })}
        onClear={() => setSelection(NO_SELECTION)}
        onDeletedView={(on) => changeView({ ...view, deleted: on })}
        onMinmax={(on) => go({ ...view, minmax: on }, true)}
      />
      {edit.isError && <p className="inline-error" role="alert">{errorMessage(edit.error)}</p>}
      {runs.isPending ? (
        <Loading what="runs" />
      ) : runs.isError ? (
        filterError ? (
          <p className="muted">Fix the filter to see runs.</p>
        ) : (
          <ErrorBox error={runs.error} retry={() => void runs.refetch()} />
        )
      ) : loaded.length === 0 ? (
        view.filter || deletedView ? (
          <p className="state state-empty">
            No {deletedView ? "deleted " : ""}runs{view.filter ? ` match ${JSON.stringify(view.filter)}` : ""}.
          </p>
        ) : (
          <Quickstart title="No runs in this experiment yet" />
        )
      ) : (
        <RunsGrid
          rows={tree}
          columns={columns}
          sort={view.sort}
          onSort={(id) => go({ ...view, sort: nextSort(view.sort, id) })}
          onNearEnd={onNearEnd}
          selected={selection.ids}
          allState={selectionState(selection, order)}
          onSelect={onSelect}
          onSelectAll={() => setSelection((s) => toggleAll(s, order))}
          onToggleExpand={onToggleExpand}
          onRename={onRename}
          {...(view.minmax ? { onVisibleRows: setOnScreen } : {})}
          stats={stats}
        />
      )}
      {runs.isFetchNextPageError && <p className="inline-error">{errorMessage(runs.error)}</p>}
    </section>
  );
}
