// The experiments sidebar: search by name, create, and the list (active or deleted). Each
// experiment has a checkbox: the checked ones' runs are shown together (the URL holds them, so
// the view can be shared). ↑/↓/Home/End move between the list's checkboxes (or links), Space
// checks, Shift-click checks a range.
import { useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useDebounced } from "../../lib/useDebounced";
import { errorMessage } from "../../api/errors";
import { EMPTY_VIEW, experimentsRoute, type RunsView } from "../../lib/route";
import { navigate } from "../../lib/router";
import { ErrorBox, Loading } from "../../components/States";
import { ExperimentItem } from "./ExperimentItem";
import { useCreateExperiment, useExperiments } from "./queries";
import { moveFocus } from "../../lib/keyboard";
import { toggleExperiment } from "./selection";
import "./experiments.css";

interface Props {
  /** The experiments whose runs are on screen. */
  open: string[];
  /** The runs view (filter, sort, columns) kept when experiments are checked or unchecked. */
  view: RunsView;
}

export function ExperimentList({ open, view }: Props) {
  const [search, setSearch] = useState("");
  const [deleted, setDeleted] = useState(false);
  const deferred = useDebounced(search);
  const query = useExperiments(deferred, deleted);
  const anchor = useRef<string | null>(null);
  const listed = query.data?.experiments.map((e) => e.experiment_id) ?? [];

  const onCheck = (id: string, shift: boolean) => {
    const next = toggleExperiment(open, listed, id, shift, anchor.current);
    anchor.current = id;
    navigate(experimentsRoute(next, next.length > 0 ? view : EMPTY_VIEW));
  };

  // Arrow keys move between the same kind of control (checkbox or link) of the next item.
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const target = event.target as HTMLElement;
    const kind = target.matches("input.experiment-check")
      ? "input.experiment-check"
      : target.matches(".experiment-item > a")
        ? ".experiment-item > a"
        : null;
    if (!kind) return;
    const controls = [...event.currentTarget.querySelectorAll<HTMLElement>(kind)];
    const next = moveFocus(event.key, controls.indexOf(target), controls.length);
    if (next === null) return;
    event.preventDefault();
    controls[next]?.focus();
  };

  return (
    <nav className="experiment-list" aria-label="Experiments">
      <div className="sidebar-head">
        <h2>Experiments</h2>
        <CreateExperiment />
      </div>
      <input
        type="search"
        className="experiment-search"
        placeholder="Search experiments"
        aria-label="Search experiments"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <label className="checkbox">
        <input type="checkbox" checked={deleted} onChange={(e) => setDeleted(e.target.checked)} />
        Show deleted
      </label>
      {open.length > 1 && (
        <p className="experiment-selection" aria-live="polite">
          <span>{open.length} experiments open</span>
          <button type="button" onClick={() => navigate(experimentsRoute([]))}>
            Clear
          </button>
        </p>
      )}
      {query.isPending ? (
        <Loading what="experiments" />
      ) : query.isError ? (
        <ErrorBox error={query.error} retry={() => void query.refetch()} />
      ) : query.data.experiments.length === 0 ? (
        <p className="muted">{deleted ? "No deleted experiments." : "No experiments match."}</p>
      ) : (
        <ul onKeyDown={onKeyDown}>
          {query.data.experiments.map((e) => (
            <ExperimentItem
              key={e.experiment_id}
              experiment={e}
              selected={open.includes(e.experiment_id)}
              onCheck={onCheck}
            />
          ))}
        </ul>
      )}
      {query.data?.more && <p className="muted">Only the first 1000 are listed; search to narrow.</p>}
    </nav>
  );
}

function CreateExperiment() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const create = useCreateExperiment();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    create.mutate([trimmed], {
      onSuccess: ({ experiment_id }) => {
        setOpen(false);
        setName("");
        navigate({ page: "experiments", experimentId: experiment_id, view: EMPTY_VIEW });
      },
    });
  };

  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        New
      </button>
    );
  }
  return (
    <form className="create-experiment" onSubmit={submit} aria-label="New experiment">
      <input
        aria-label="Experiment name"
        placeholder="Name"
        value={name}
        autoFocus
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
      />
      <button type="submit" disabled={create.isPending}>
        Create
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {create.error && <p className="inline-error">{errorMessage(create.error)}</p>}
    </form>
  );
}
