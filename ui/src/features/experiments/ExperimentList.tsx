// The experiments sidebar: search by name, create, and the list (active or deleted).
import { useState, type FormEvent } from "react";
import { useDebounced } from "../../lib/useDebounced";
import { errorMessage } from "../../api/errors";
import { EMPTY_VIEW } from "../../lib/route";
import { navigate } from "../../lib/router";
import { ErrorBox, Loading } from "../../components/States";
import { ExperimentItem } from "./ExperimentItem";
import { useCreateExperiment, useExperiments } from "./queries";

export function ExperimentList({ selectedId }: { selectedId: string | null }) {
  const [search, setSearch] = useState("");
  const [deleted, setDeleted] = useState(false);
  const deferred = useDebounced(search);
  const query = useExperiments(deferred, deleted);

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
      {query.isPending ? (
        <Loading what="experiments" />
      ) : query.isError ? (
        <ErrorBox error={query.error} retry={() => void query.refetch()} />
      ) : query.data.experiments.length === 0 ? (
        <p className="muted">{deleted ? "No deleted experiments." : "No experiments match."}</p>
      ) : (
        <ul>
          {query.data.experiments.map((e) => (
            <ExperimentItem
              key={e.experiment_id}
              experiment={e}
              selected={e.experiment_id === selectedId}
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
