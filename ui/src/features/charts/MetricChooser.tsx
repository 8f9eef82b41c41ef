// Which metrics the chart grid shows: a checkbox per key, with "all" and "none".
import { useState } from "react";
import { Chooser } from "../../components/Chooser";

interface Props {
  keys: string[];
  shown: string[];
  /** The new choice; null means "all metrics" (also those logged later). */
  onChange: (metrics: string[] | null) => void;
}

export function MetricChooser({ keys, shown, onChange }: Props) {
  const [filter, setFilter] = useState("");
  const visible = keys.filter((k) => k.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (key: string) => {
    const next = shown.includes(key) ? shown.filter((k) => k !== key) : [...shown, key];
    onChange(next.length === keys.length ? null : keys.filter((k) => next.includes(k)));
  };
  return (
    <Chooser
      className="metric-chooser"
      label={`Metrics (${shown.length}/${keys.length})`}
      title="Choose metrics"
      search={{ label: "Filter metrics", placeholder: "Filter metrics", value: filter, onChange: setFilter }}
      actions={
        <>
          <button type="button" onClick={() => onChange(null)}>
            All
          </button>
          <button type="button" onClick={() => onChange([])}>
            None
          </button>
        </>
      }
    >
      <div className="metric-chooser-list">
        {visible.map((key) => (
          <label key={key} className="checkbox">
            <input type="checkbox" checked={shown.includes(key)} onChange={() => toggle(key)} />
            {key}
          </label>
        ))}
      </div>
    </Chooser>
  );
}
