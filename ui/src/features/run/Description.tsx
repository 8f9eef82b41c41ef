// The run's description: Markdown in the `mlflow.note.content` tag, shown rendered (as text
// nodes only, see markdown.tsx) and edited in place.
import { useState } from "react";
import { errorMessage } from "../../api/errors";
import { Markdown } from "./markdown";
import { useTagEdit } from "./queries";

export const NOTE_TAG = "mlflow.note.content";

export function Description({ runId, note }: { runId: string; note: string }) {
  const [draft, setDraft] = useState<string | null>(null);
  const edit = useTagEdit(runId);
  const save = () => {
    if (draft === null) return;
    edit.mutate({ key: NOTE_TAG, value: draft }, { onSuccess: () => setDraft(null) });
  };
  return (
    <section className="description" aria-label="Description">
      <div className="section-head">
        <h2>Description</h2>
        {draft === null && (
          <button type="button" onClick={() => setDraft(note)}>
            Edit description
          </button>
        )}
      </div>
      {draft === null ? (
        note ? (
          <Markdown source={note} />
        ) : (
          <p className="muted">No description.</p>
        )
      ) : (
        <div className="description-editor">
          <textarea
            aria-label="Description (Markdown)"
            value={draft}
            rows={8}
            onChange={(e) => setDraft(e.target.value)}
          />
          <div className="description-preview" aria-label="Preview">
            <Markdown source={draft} />
          </div>
          <div className="row-actions">
            <button type="button" onClick={save} disabled={edit.isPending}>
              Save
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
          {edit.isError && <p className="inline-error">{errorMessage(edit.error)}</p>}
        </div>
      )}
    </section>
  );
}
