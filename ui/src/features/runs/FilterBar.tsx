// The filter box: the search language, applied on Enter; the server's error shown inline.
import { useState, type FormEvent } from "react";
import { errorPosition } from "../../lib/format";

interface Props {
  filter: string;
  error: string | null;
  onApply: (filter: string) => void;
}

export function FilterBar({ filter, error, onApply }: Props) {
  const [text, setText] = useState(filter);
  const [applied, setApplied] = useState(filter);
  if (applied !== filter) {
    // The URL changed under us (back button, a link): show its filter.
    setApplied(filter);
    setText(filter);
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(text.trim());
  };
  return (
    <form className="filter-bar" onSubmit={submit} role="search">
      <input
        type="text"
        className={error ? "invalid" : undefined}
        aria-label="Filter runs"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "filter-error" : undefined}
        placeholder="metrics.loss < 0.5 and params.lr = '0.01'"
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
      />
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
