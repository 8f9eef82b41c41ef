// A button that opens a panel of checkboxes (the column, metric and axis choosers): the
// panel's body and extra footer buttons come from the caller, "Done" closes it.
import { useState, type ReactNode } from "react";

interface Props {
  /** The container's class (its place in the page's layout). */
  className: string;
  /** The button's text. */
  label: ReactNode;
  /** The panel's accessible name. */
  title: string;
  /** A search box above the body, when the caller filters what it lists. */
  search?: { label: string; placeholder: string; value: string; onChange: (value: string) => void };
  /** Buttons before "Done". */
  actions: ReactNode;
  children: ReactNode;
}

export function Chooser({ className, label, title, search, actions, children }: Props) {
  const [open, setOpen] = useState(false);
  return (
    <div className={className}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {label}
      </button>
      {open && (
        <div className="chooser-panel" role="dialog" aria-label={title}>
          {search && (
            <input
              type="search"
              aria-label={search.label}
              placeholder={search.placeholder}
              value={search.value}
              onChange={(e) => search.onChange(e.target.value)}
            />
          )}
          {children}
          <div className="chooser-foot">
            {actions}
            <button type="button" onClick={() => setOpen(false)}>
              Done
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
