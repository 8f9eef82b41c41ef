// Small editors of the registry pages: a description (plain text, shown as text) and a tag list.
import { useState, type FormEvent } from "react";
import type { KeyValue } from "../../api/responses";

export function DescriptionEditor({ value, onSave }: { value: string; onSave: (text: string) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  if (draft === null) {
    return (
      <div className="description-view">
        {value ? <p className="description">{value}</p> : <p className="muted">No description.</p>}
        <button type="button" onClick={() => setDraft(value)}>
          Edit description
        </button>
      </div>
    );
  }
  return (
    <form
      className="description-edit"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(draft);
        setDraft(null);
      }}
    >
      <textarea aria-label="Description" rows={4} value={draft} onChange={(e) => setDraft(e.target.value)} />
      <div className="row-actions">
        <button type="submit">Save</button>
        <button type="button" onClick={() => setDraft(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface TagsProps {
  tags: KeyValue[];
  onSet: (key: string, value: string) => void;
  onDelete: (key: string) => void;
}

export function TagsEditor({ tags, onSet, onDelete }: TagsProps) {
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return;
    onSet(key.trim(), value);
    setKey("");
    setValue("");
  };
  return (
    <section aria-label="Tags">
      <h2>Tags</h2>
      {tags.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <table className="kv-table">
          <tbody>
            {tags.map((t) => (
              <tr key={t.key}>
                <th scope="row">{t.key}</th>
                <td>{t.value}</td>
                <td className="row-actions">
                  <button type="button" aria-label={`Delete tag ${t.key}`} onClick={() => onDelete(t.key)}>
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={add}>
        <input aria-label="Tag key" placeholder="key" value={key} onChange={(e) => setKey(e.target.value)} />
        <input aria-label="Tag value" placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} />
        <button type="submit">Set tag</button>
      </form>
    </section>
  );
}

interface AliasProps {
  aliases: string[];
  onAdd: (alias: string) => void;
  onRemove: (alias: string) => void;
}

export function AliasEditor({ aliases, onAdd, onRemove }: AliasProps) {
  const [alias, setAlias] = useState("");
  return (
    <div className="alias-editor">
      <ul className="chips" aria-label="Aliases">
        {aliases.map((a) => (
          <li key={a} className="chip">
            @{a}
            <button type="button" aria-label={`Remove alias ${a}`} onClick={() => onRemove(a)}>
              ✕
            </button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (alias.trim()) onAdd(alias.trim());
          setAlias("");
        }}
      >
        <input aria-label="New alias" placeholder="alias" value={alias} onChange={(e) => setAlias(e.target.value)} />
        <button type="submit">Add alias</button>
      </form>
    </div>
  );
}
