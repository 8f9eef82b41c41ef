// The column chooser: every param, metric and tag key found, each a checkbox.
import { useState } from "react";
import { columnId, type FoundKeys } from "./columns";

interface Props {
  keys: FoundKeys;
  visible: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onReset: () => void;
}

export function ColumnChooser({ keys, visible, onToggle, onReset }: Props) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const match = (k: string) => k.toLowerCase().includes(search.toLowerCase());
  const group = (title: string, kind: "param" | "metric" | "tag", names: string[]) => (
    <fieldset>
      <legend>{title}</legend>
      {names.filter(match).map((name) => {
        const id = columnId(kind, name);
        return (
          <label key={id} className="checkbox">
            <input type="checkbox" checked={visible.has(id)} onChange={() => onToggle(id)} />
            {name}
          </label>
        );
      })}
      {names.length === 0 && <p className="muted">None in the loaded runs.</p>}
    </fieldset>
  );
  return (
    <div className="column-chooser">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns
      </button>
      {open && (
        <div className="chooser-panel" role="dialog" aria-label="Choose columns">
          <input
            type="search"
            aria-label="Find a column"
            placeholder="Find a key"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <div className="chooser-groups">
            {group("Params", "param", keys.params)}
            {group("Metrics", "metric", keys.metrics)}
            {group("Tags", "tag", keys.tags)}
          </div>
          <div className="chooser-foot">
            <button type="button" onClick={onReset}>
              Default columns
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Done
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
