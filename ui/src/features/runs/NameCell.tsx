// The run-name cell: tree indent and expand toggle for nested runs, the link to the run, and
// inline renaming (the ✎ button, Enter to save, Escape to cancel).
import { useState, type KeyboardEvent } from "react";
import type { Run } from "../../api/responses";
import { href } from "../../lib/router";
import type { TreeRow } from "./tree";

export function runRoute(run: Run) {
  return { page: "run", experimentId: run.info.experiment_id, runId: run.info.run_id } as const;
}

interface Props {
  row: TreeRow;
  onToggle: (runId: string) => void;
  onRename: (runId: string, name: string) => void;
}

export function NameCell({ row, onToggle, onRename }: Props) {
  const { run } = row;
  const name = run.info.run_name ?? run.info.run_id;
  const [editing, setEditing] = useState<string | null>(null);
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    event.stopPropagation(); // the grid's arrow keys must not move the row cursor
    if (event.key === "Escape") setEditing(null);
    if (event.key === "Enter" && editing !== null) {
      const next = editing.trim();
      if (next && next !== name) onRename(run.info.run_id, next);
      setEditing(null);
    }
  };
  return (
    <span className="name-cell" style={{ paddingLeft: row.depth * 16 }}>
      {row.childCount > 0 ? (
        <button
          type="button"
          className="tree-toggle"
          aria-expanded={row.expanded}
          aria-label={`${row.expanded ? "Collapse" : "Expand"} ${name} (${row.childCount} child runs)`}
          onClick={(e) => {
            e.stopPropagation();
            onToggle(run.info.run_id);
          }}
        >
          {row.expanded ? "▾" : "▸"}
        </button>
      ) : (
        <span className="tree-spacer" aria-hidden="true" />
      )}
      {editing !== null ? (
        <input
          className="rename-input"
          aria-label={`New name for ${name}`}
          value={editing}
          autoFocus
          onChange={(e) => setEditing(e.target.value)}
          onKeyDown={onKey}
          onBlur={() => setEditing(null)}
          onClick={(e) => e.stopPropagation()}
        />
      ) : (
        <>
          <a href={href(runRoute(run))}>{name}</a>
          {row.childCount > 0 && (
            // The count is drawn by CSS (attr()), so the cell's text stays the run's name.
            <span className="muted child-count" data-count={row.childCount} aria-hidden="true" />
          )}
          <button
            type="button"
            className="rename-button"
            aria-label={`Rename ${name}`}
            title="Rename"
            onClick={(e) => {
              e.stopPropagation();
              setEditing(name);
            }}
          />
        </>
      )}
    </span>
  );
}
