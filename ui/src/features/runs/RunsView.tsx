// The runs of one experiment or of several together: title, filter, column chooser, selection
// actions, count and the virtualised table (nested runs as a tree; an experiment column when
// several are open), its pages loaded from the server as the user scrolls.
import { useCallback, useMemo, useState } from "react";
import { ApiError, errorMessage } from "../../api/errors";
import type { Run } from "../../api/responses";
import { ErrorBox, Loading } from "../../components/States";
import { Quickstart } from "../../components/Quickstart";
import { experimentsRoute, type RunsView as View } from "../../lib/route";
import { href, navigate } from "../../lib/router";
import { ColumnChooser } from "./ColumnChooser";
import { FilterBar } from "./FilterBar";
import { RunsActions } from "./RunsActions";
import { RunsGrid } from "./RunsGrid";
import { allCompletions } from "./autocomplete";
import {
  nextSort,
  orderByClause,
  toggleColumn,
  visibleColumns,
  type FoundKeys,
} from "./columns";
import { countText, placeholderRows, wantNextPage } from "./paging";
import { useExperimentsById, useMetricStats, useRunEdit, useRunPages } from "./queries";
import { NO_SELECTION, clickRow, selectionState, toggleAll, type Selection } from "./selection";
import { buildTree } from "./tree";
import "./runs.css";

interface Props {
  /** One experiment, or several shown together. */
  experimentIds: string[];
  view: View;
}

const NO_RUNS: Run[] = [];
const NO_KEYS: FoundKeys = { params: [], metrics: [], tags: [] };

export function RunsView({ experimentIds, view }: Props) {
  const several = experimentIds.length > 1;
  const experiments = useExperimentsById(experimentIds);
  const names = useMemo(
    () => new Map(experiments.experiments.flatMap((e) => (e.experiment ? [[e.id, e.experiment.name]] : []))),
    [experiments.experiments],
  );
  const orderBy = useMemo(() => orderByClause(view.sort), [view.sort]);
  const deletedView = view.deleted ?? false;
  const runs = useRunPages(experimentIds, view.filter, orderBy, deletedView);
  const loaded = runs.data?.runs ?? NO_RUNS;
  const keys = runs.data?.keys ?? NO_KEYS;
  const completions = useMemo(() => allCompletions(keys), [keys]);
  const columns = useMemo(
    () => visibleColumns(view.columns, keys, view.minmax ?? false, several),
    [view.columns, keys, view.minmax, several],
  );
  const visible = useMemo(() => new Set(columns.map((c) => c.id)), [columns]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const tree = useMemo(() => buildTree(loaded, expanded), [loaded, expanded]);
  const order = useMemo(() => tree.map((r) => r.run.info.run_id), [tree]);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [onScreen, setOnScreen] = useState<string[]>([]);
  const stats = useMetricStats(onScreen, view.minmax ?? false);
  const edit = useRunEdit(experimentIds);

  const go = useCallback(
    (next: View, replace = false) => navigate(experimentsRoute(experimentIds, next), replace),
    [experimentIds],
  );
  const { hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage } = runs;
  const rowCount = tree.length;
  const onLastVisible = useCallback(
    (last: number) => {
      const state = {
        loaded: rowCount,
        hasMore: hasNextPage,
        fetching: isFetchingNextPage,
        failed: isFetchNextPageError,
      };
      if (wantNextPage(state, last)) void fetchNextPage();
    },
    [rowCount, hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage],
  );
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

  if (experiments.error && !several) return <ErrorBox error={experiments.error} />;
  const first = experiments.experiments[0];
  const title = several ? `${experimentIds.length} experiments` : (first?.experiment?.name ?? "…");

  return (
    <section className="runs-view" aria-label={`Runs of ${title}`}>
      {several ? (
        <header className="runs-head">
          <h1>{title}</h1>
          <ul className="open-experiments" aria-label="Open experiments">
            {experiments.experiments.map(({ id, experiment }) => (
              <li key={id}>
                <a href={href(experimentsRoute([id]))} title={`Experiment ID ${id}`}>
                  {experiment?.name ?? id}
                </a>
                {experiment?.lifecycle_stage === "deleted" && <span className="badge">deleted</span>}
              </li>
            ))}
          </ul>
        </header>
      ) : (
        <header className="runs-head">
          <h1 title={`Experiment ID ${experimentIds[0]}`}>{title}</h1>
          {first?.experiment?.lifecycle_stage === "deleted" && <span className="badge">deleted</span>}
          <span className="muted">ID {experimentIds[0]}</span>
        </header>
      )}
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
          {runs.isSuccess && countText(loaded.length, hasNextPage)}
          {isFetchingNextPage && " (loading more…)"}
        </span>
      </div>
      <RunsActions
        experimentIds={experimentIds}
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
          <Quickstart title={several ? "No runs in these experiments yet" : "No runs in this experiment yet"} />
        )
      ) : (
        <RunsGrid
          rows={tree}
          columns={columns}
          sort={view.sort}
          onSort={(id) => go({ ...view, sort: nextSort(view.sort, id) })}
          placeholders={placeholderRows({ loaded: rowCount, hasMore: hasNextPage })}
          onLastVisible={onLastVisible}
          {...(several ? { experimentNames: names } : {})}
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
