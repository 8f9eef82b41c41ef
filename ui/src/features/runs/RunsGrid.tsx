// The runs table: TanStack Table for the column model, @tanstack/react-virtual for rows, server
// sorting by header click, and the keyboard (↑/↓ move the selection, Enter opens the run).
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { Run } from "../../api/responses";
import type { Sort } from "../../lib/route";
import { href, navigate } from "../../lib/router";
import { cellText, type RunColumn } from "./columns";

export const ROW_HEIGHT = 32;

interface Props {
  runs: Run[];
  columns: RunColumn[];
  sort: Sort | null;
  onSort: (columnId: string) => void;
  /** Called when the user scrolls near the end of the loaded rows. */
  onNearEnd: () => void;
}

function runRoute(run: Run) {
  return { page: "run", experimentId: run.info.experiment_id, runId: run.info.run_id } as const;
}

export function RunsGrid({ runs, columns, sort, onSort, onNearEnd }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState(-1);
  const defs = useMemo<ColumnDef<Run>[]>(
    () =>
      columns.map((column) => ({
        id: column.id,
        header: column.label,
        size: column.width,
        accessorFn: (run: Run) => cellText(run, column),
        cell: (ctx) =>
          column.id === "attributes.run_name" ? (
            <a href={href(runRoute(ctx.row.original))}>{ctx.getValue<string>()}</a>
          ) : column.id === "attributes.status" ? (
            <span className={`status status-${ctx.row.original.info.status.toLowerCase()}`}>
              {ctx.getValue<string>()}
            </span>
          ) : (
            ctx.getValue<string>()
          ),
      })),
    [columns],
  );
  const table = useReactTable({
    data: runs,
    columns: defs,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    getRowId: (run) => run.info.run_id,
  });
  const rows = table.getRowModel().rows;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    // Until the first measurement (and in tests without layout): a typical viewport.
    initialRect: { width: 1200, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;
  useEffect(() => {
    if (lastIndex >= rows.length - 40) onNearEnd();
  }, [lastIndex, rows.length, onNearEnd]);

  const totalWidth = columns.reduce((sum, c) => sum + c.width, 0);
  const byId = new Map(columns.map((c) => [c.id, c]));

  const target = (key: string): number | null => {
    switch (key) {
      case "ArrowDown":
        return Math.min(rows.length - 1, selected + 1);
      case "ArrowUp":
        return Math.max(0, selected - 1);
      case "Home":
        return 0;
      case "End":
        return rows.length - 1;
      default:
        return null;
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return;
    if (event.key === "Enter" && selected >= 0) {
      const row = rows[selected];
      if (row) navigate(runRoute(row.original));
      event.preventDefault();
      return;
    }
    const next = target(event.key);
    if (next === null) return;
    event.preventDefault();
    setSelected(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };

  return (
    <div
      ref={scroller}
      className="runs-grid"
      role="grid"
      aria-label="Runs"
      aria-rowcount={rows.length + 1}
      aria-activedescendant={selected >= 0 ? `run-row-${selected}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div className="grid-header" role="row" style={{ width: totalWidth }}>
        {table.getHeaderGroups()[0]?.headers.map((header) => {
          const column = byId.get(header.column.id);
          const active = sort?.column === header.column.id;
          const ariaSort = active ? (sort?.ascending ? "ascending" : "descending") : "none";
          return (
            <div
              key={header.id}
              role="columnheader"
              aria-sort={ariaSort}
              className={`cell header-cell${column?.numeric ? " numeric" : ""}`}
              style={{ width: header.getSize() }}
              title={column ? header.column.id : undefined}
            >
              {column?.sortable ? (
                <button type="button" onClick={() => onSort(header.column.id)}>
                  {flexRender(header.column.columnDef.header, header.getContext())}
                  <span className="sort-mark" aria-hidden="true">
                    {active ? (sort?.ascending ? "▲" : "▼") : ""}
                  </span>
                </button>
              ) : (
                flexRender(header.column.columnDef.header, header.getContext())
              )}
            </div>
          );
        })}
      </div>
      <div className="grid-body" style={{ height: virtualizer.getTotalSize(), width: totalWidth }}>
        {items.map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          return (
            <div
              key={row.id}
              id={`run-row-${item.index}`}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={item.index === selected}
              className={`grid-row${item.index === selected ? " selected" : ""}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              onClick={() => setSelected(item.index)}
              onDoubleClick={() => navigate(runRoute(row.original))}
            >
              {row.getVisibleCells().map((cell) => (
                <div
                  key={cell.id}
                  role="gridcell"
                  className={`cell${byId.get(cell.column.id)?.numeric ? " numeric" : ""}`}
                  style={{ width: cell.column.getSize() }}
                  title={cell.getValue<string>()}
                >
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
