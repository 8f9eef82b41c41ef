// The filter box: the search language, applied on Enter; key autocomplete from the loaded
// runs (↑/↓ choose, Tab or Enter accept, Escape closes); the server's error shown inline.
import { useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { errorPosition } from "../../lib/format";
import { applyCompletion, suggest } from "./autocomplete";

interface Props {
  filter: string;
  error: string | null;
  /** Every key the box can complete (see autocomplete.ts). */
  completions?: readonly string[];
  onApply: (filter: string) => void;
}

export function FilterBar({ filter, error, completions = [], onApply }: Props) {
  const [text, setText] = useState(filter);
  const [applied, setApplied] = useState(filter);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  if (applied !== filter) {
    // The URL changed under us (back button, a link): show its filter.
    setApplied(filter);
    setText(filter);
  }
  const options = open ? suggest(text, caret, completions) : [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setOpen(false);
    onApply(text.trim());
  };
  const accept = (completion: string) => {
    const next = applyCompletion(text, caret, completion);
    setText(next.text);
    setCaret(next.caret);
    setOpen(false);
    requestAnimationFrame(() => input.current?.setSelectionRange(next.caret, next.caret));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (options.length === 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + options.length) % options.length);
    } else if (event.key === "Tab" || (event.key === "Enter" && active >= 0)) {
      event.preventDefault();
      accept(options[Math.min(active, options.length - 1)]!);
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  };
  return (
    <form className="filter-bar" onSubmit={submit} role="search">
      <div className="filter-input">
        <input
          ref={input}
          type="text"
          className={error ? "invalid" : undefined}
          aria-label="Filter runs"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "filter-error" : undefined}
          aria-autocomplete="list"
          aria-controls="filter-suggestions"
          aria-expanded={options.length > 0}
          placeholder="metrics.loss < 0.5 and params.lr = '0.01'"
          value={text}
          spellCheck={false}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
        {options.length > 0 && (
          <ul id="filter-suggestions" className="suggestions" role="listbox" aria-label="Keys">
            {options.map((option, i) => (
              <li
                key={option}
                role="option"
                aria-selected={i === active}
                onMouseDown={(e) => {
                  e.preventDefault(); // keep the focus in the box
                  accept(option);
                }}
              >
                {option}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="submit">Search</button>
      {filter && (
        <button
          type="button"
          onClick={() => {
            setText("");
            onApply("");
          }}
        >
          Clear
        </button>
      )}
      {error && (
        <p id="filter-error" className="inline-error filter-error" role="alert">
          {error}
        </p>
      )}
      {error && <ErrorCaret filter={filter} position={errorPosition(error)} />}
    </form>
  );
}

/** The applied filter with a caret under the position the server names. */
function ErrorCaret({ filter, position }: { filter: string; position: number | null }) {
  if (position === null || position > filter.length) return null;
  return (
    <pre className="filter-caret" aria-hidden="true" data-testid="filter-caret">
      {filter}
      {"\n"}
      {" ".repeat(position)}^
    </pre>
  );
}
