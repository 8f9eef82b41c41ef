// The column chooser: every param, metric and tag key found, each a checkbox.
import { useState } from "react";
import { Chooser } from "../../components/Chooser";
import { columnId, type FoundKeys } from "./columns";

interface Props {
  keys: FoundKeys;
  visible: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onReset: () => void;
}

export function ColumnChooser({ keys, visible, onToggle, onReset }: Props) {
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
    <Chooser
      className="column-chooser"
      label="Columns"
      title="Choose columns"
      search={{ label: "Find a column", placeholder: "Find a key", value: search, onChange: setSearch }}
      actions={
        <button type="button" onClick={onReset}>
          Default columns
        </button>
      }
    >
      <div className="chooser-groups">
        {group("Params", "param", keys.params)}
        {group("Metrics", "metric", keys.metrics)}
        {group("Tags", "tag", keys.tags)}
      </div>
    </Chooser>
  );
}
