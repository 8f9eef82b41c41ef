// Which metrics the chart grid shows: a checkbox per key, with "all" and "none".
import { useState } from "react";

interface Props {
  keys: string[];
  shown: string[];
  /** The new choice; null means "all metrics" (also those logged later). */
  onChange: (metrics: string[] | null) => void;
}

export function MetricChooser({ keys, shown, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState("");
  const visible = keys.filter((k) => k.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (key: string) => {
    const next = shown.includes(key) ? shown.filter((k) => k !== key) : [...shown, key];
    onChange(next.length === keys.length ? null : keys.filter((k) => next.includes(k)));
  };
  return (
    <div className="metric-chooser">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Metrics ({shown.length}/{keys.length})
      </button>
      {open && (
        <div className="chooser-panel" role="dialog" aria-label="Choose metrics">
          <input
            type="search"
            aria-label="Filter metrics"
            placeholder="Filter metrics"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <div className="metric-chooser-list">
            {visible.map((key) => (
              <label key={key} className="checkbox">
                <input type="checkbox" checked={shown.includes(key)} onChange={() => toggle(key)} />
                {key}
              </label>
            ))}
          </div>
          <div className="chooser-foot">
            <button type="button" onClick={() => onChange(null)}>
              All
            </button>
            <button type="button" onClick={() => onChange([])}>
              None
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
