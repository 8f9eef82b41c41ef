// The actions on the selected runs (compare, delete or restore) and the view toggles (deleted
// runs, min/max columns).
import { navigate } from "../../lib/router";
import { DEFAULT_COMPARE } from "../../lib/route";

interface Props {
  experimentIds: string[];
  selected: string[];
  deletedView: boolean;
  minmax: boolean;
  busy: boolean;
  onDelete: () => void;
  onRestore: () => void;
  onClear: () => void;
  onDeletedView: (on: boolean) => void;
  onMinmax: (on: boolean) => void;
}

export function RunsActions(p: Props) {
  const n = p.selected.length;
  const compare = () =>
    navigate({
      page: "compare",
      runIds: p.selected,
      experimentIds: p.experimentIds,
      settings: DEFAULT_COMPARE,
    });
  return (
    <div className="runs-actions" role="toolbar" aria-label="Selected runs">
      <button type="button" disabled={n < 2} onClick={compare}>
        Compare ({n})
      </button>
      {p.deletedView ? (
        <button type="button" disabled={n === 0 || p.busy} onClick={p.onRestore}>
          Restore ({n})
        </button>
      ) : (
        <button type="button" className="danger" disabled={n === 0 || p.busy} onClick={p.onDelete}>
          Delete ({n})
        </button>
      )}
      {n > 0 && (
        <button type="button" onClick={p.onClear}>
          Clear selection
        </button>
      )}
      <label className="checkbox">
        <input
          type="checkbox"
          checked={p.deletedView}
          onChange={(e) => p.onDeletedView(e.target.checked)}
        />
        Deleted runs
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={p.minmax} onChange={(e) => p.onMinmax(e.target.checked)} />
        Min/max
      </label>
    </div>
  );
}
