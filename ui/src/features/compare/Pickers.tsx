// Small choosers of the compare page: one key (a select) or an ordered set of axes.
import { Chooser } from "../../components/Chooser";
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
  const toggle = (id: string) =>
    onChange(chosen.includes(id) ? chosen.filter((a) => a !== id) : [...chosen, id]);
  return (
    <Chooser
      className="column-chooser"
      label={`Axes (${chosen.length})`}
      title="Choose axes"
      actions={
        <button type="button" onClick={() => onChange([])}>
          Default axes
        </button>
      }
    >
      <div className="axis-list">
        {all.map((id) => (
          <label key={id} className="checkbox" title={id}>
            <input type="checkbox" checked={chosen.includes(id)} onChange={() => toggle(id)} />
            {id.startsWith("metrics.") ? "metric " : "param "}
            {label(id)}
          </label>
        ))}
      </div>
    </Chooser>
  );
}
