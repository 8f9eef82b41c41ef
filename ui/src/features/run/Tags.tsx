// The run's tags: user tags can be added, edited and deleted; system tags (`mlflow.*`) are
// listed separately and read-only.
import { useState } from "react";
import { errorMessage } from "../../api/errors";
import type { KeyValue } from "../../api/responses";
import { NOTE_TAG } from "./Description";
import { useTagEdit } from "./queries";

function byKey(a: KeyValue, b: KeyValue) {
  return a.key.localeCompare(b.key);
}

export function Tags({ runId, tags }: { runId: string; tags: KeyValue[] }) {
  const user = tags.filter((t) => !t.key.startsWith("mlflow.")).sort(byKey);
  const system = tags.filter((t) => t.key.startsWith("mlflow.") && t.key !== NOTE_TAG).sort(byKey);
  const edit = useTagEdit(runId);
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState("");
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState("");
  const add = (e: React.FormEvent) => {
    e.preventDefault();
    const key = newKey.trim();
    if (!key) return;
    edit.mutate(
      { key, value: newValue },
      {
        onSuccess: () => {
          setNewKey("");
          setNewValue("");
        },
      },
    );
  };
  return (
    <section aria-label="Tags">
      <h2>Tags</h2>
      <table className="kv-table">
        <tbody>
          {user.map((t) => (
            <tr key={t.key}>
              <th scope="row">{t.key}</th>
              {editing === t.key ? (
                <td>
                  <form
                    className="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      edit.mutate({ key: t.key, value }, { onSuccess: () => setEditing(null) });
                    }}
                  >
                    <input aria-label={`Value of ${t.key}`} value={value} onChange={(e) => setValue(e.target.value)} />
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </form>
                </td>
              ) : (
                <td>
                  <span className="tag-value">{t.value}</span>
                  <span className="row-actions">
                    <button
                      type="button"
                      aria-label={`Edit tag ${t.key}`}
                      onClick={() => {
                        setEditing(t.key);
                        setValue(t.value);
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      aria-label={`Delete tag ${t.key}`}
                      onClick={() => edit.mutate({ key: t.key, value: null })}
                    >
                      Delete
                    </button>
                  </span>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {user.length === 0 && <p className="muted">No tags.</p>}
      <form className="inline-form add-tag" onSubmit={add}>
        <input aria-label="New tag key" placeholder="key" value={newKey} onChange={(e) => setNewKey(e.target.value)} />
        <input aria-label="New tag value" placeholder="value" value={newValue} onChange={(e) => setNewValue(e.target.value)} />
        <button type="submit" disabled={!newKey.trim() || edit.isPending}>
          Add tag
        </button>
      </form>
      {edit.isError && <p className="inline-error">{errorMessage(edit.error)}</p>}
      {system.length > 0 && (
        <details className="system-tags">
          <summary>System tags ({system.length})</summary>
          <table className="kv-table" aria-label="System tags">
            <tbody>
              {system.map((t) => (
                <tr key={t.key}>
                  <th scope="row">{t.key}</th>
                  <td>{t.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}
