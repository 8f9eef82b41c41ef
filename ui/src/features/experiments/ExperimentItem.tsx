// One experiment in the sidebar: its checkbox (show its runs together with the other checked
// experiments' runs), its link (its runs alone), and rename / delete / restore.
import { useState, type FormEvent, type MouseEvent } from "react";
import type { Experiment } from "../../api/responses";
import { errorMessage } from "../../api/errors";
import { EMPTY_VIEW } from "../../lib/route";
import { href } from "../../lib/router";
import { useDeleteExperiment, useRenameExperiment, useRestoreExperiment } from "./queries";

interface Props {
  experiment: Experiment;
  /** Its runs are on screen (alone or with others'). */
  selected: boolean;
  /** The checkbox was clicked (with Shift: select the range from the last one clicked). */
  onCheck: (experimentId: string, shift: boolean) => void;
}

export function ExperimentItem({ experiment, selected, onCheck }: Props) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(experiment.name);
  const rename = useRenameExperiment();
  const remove = useDeleteExperiment();
  const restore = useRestoreExperiment();
  const deleted = experiment.lifecycle_stage === "deleted";
  const id = experiment.experiment_id;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || trimmed === experiment.name) {
      setEditing(false);
      return;
    }
    rename.mutate({ id, name: trimmed }, { onSuccess: () => setEditing(false) });
  };

  if (editing) {
    return (
      <li className="experiment-item editing">
        <form onSubmit={submit} aria-label={`Rename ${experiment.name}`}>
          <input
            aria-label="New name"
            value={name}
            autoFocus
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
          />
          <button type="submit" disabled={rename.isPending}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
        {rename.error && <p className="inline-error">{errorMessage(rename.error)}</p>}
      </li>
    );
  }

  const failure = remove.error ?? restore.error;
  return (
    <li className={`experiment-item${selected ? " selected" : ""}`} data-experiment-id={id}>
      <input
        type="checkbox"
        className="experiment-check"
        aria-label={`Select experiment ${experiment.name}`}
        title="Show its runs together with the other checked experiments"
        checked={selected}
        onClick={(event: MouseEvent<HTMLInputElement>) => onCheck(id, event.shiftKey)}
        onChange={() => undefined}
      />
      <a
        href={href({ page: "experiments", experimentId: id, view: EMPTY_VIEW })}
        aria-current={selected ? "page" : undefined}
        title={experiment.name}
      >
        {experiment.name}
      </a>
      <span className="item-actions">
        {deleted ? (
          <button type="button" onClick={() => restore.mutate([id])} disabled={restore.isPending}>
            Restore
          </button>
        ) : (
          <>
            <button
              type="button"
              aria-label={`Rename ${experiment.name}`}
              onClick={() => {
                setName(experiment.name);
                setEditing(true);
              }}
            >
              Rename
            </button>
            <button
              type="button"
              aria-label={`Delete ${experiment.name}`}
              onClick={() => remove.mutate([id])}
              disabled={remove.isPending}
            >
              Delete
            </button>
          </>
        )}
      </span>
      {failure && <p className="inline-error">{errorMessage(failure)}</p>}
    </li>
  );
}
