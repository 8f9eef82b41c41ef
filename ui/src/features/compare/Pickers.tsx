// Small choosers of the compare page: one key (a select) or an ordered set of axes.
import { useState } from "react";
import { label } from "./values";

interface KeySelectProps {
  label: string;
  ids: string[];
  value: string;
  empty?: string;
  onChange: (id: string) => void;
}

export function KeySelect(p: KeySelectProps) {
  return (
    <label className="key-select">
      {p.label}{" "}
      <select value={p.value} onChange={(e) => p.onChange(e.target.value)}>
        {p.empty !== undefined && <option value="">{p.empty}</option>}
        {p.ids.map((id) => (
          <option key={id} value={id}>
            {id}
          </option>
        ))}
      </select>
    </label>
  );
}

interface AxisChooserProps {
  all: string[];
  chosen: string[];
  onChange: (axes: string[]) => void;
}

export function AxisChooser({ all, chosen, onChange }: AxisChooserProps) {
  const [open, setOpen] = useState(false);
  const toggle = (id: string) =>
    onChange(chosen.includes(id) ? chosen.filter((a) => a !== id) : [...chosen, id]);
  return (
    <div className="column-chooser">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Axes ({chosen.length})
      </button>
      {open && (
        <div className="chooser-panel" role="dialog" aria-label="Choose axes">
          <div className="axis-list">
            {all.map((id) => (
              <label key={id} className="checkbox" title={id}>
                <input type="checkbox" checked={chosen.includes(id)} onChange={() => toggle(id)} />
                {id.startsWith("metrics.") ? "metric " : "param "}
                {label(id)}
              </label>
            ))}
          </div>
          <div className="chooser-foot">
            <button type="button" onClick={() => onChange([])}>
              Default axes
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
