// A CSV/TSV file as a table: parsed in the browser (first 10,000 rows), rows virtualised.
import { useMemo, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { parseDelimited } from "./csv";

const ROW_HEIGHT = 26;
export const MAX_ROWS = 10_000;

export function CsvTable({ text, delimiter }: { text: string; delimiter: string }) {
  const table = useMemo(() => parseDelimited(text, delimiter, MAX_ROWS), [text, delimiter]);
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: table.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    initialRect: { width: 800, height: 500 },
  });
  const columns = Math.max(table.header.length, ...table.rows.slice(0, 100).map((r) => r.length));
  const template = `48px repeat(${columns}, minmax(90px, 1fr))`;
  return (
    <div className="csv-preview">
      <p className="muted">
        {table.rows.length} rows × {table.header.length} columns
        {table.truncated && ` (the first ${MAX_ROWS.toLocaleString()} rows)`}
      </p>
      <div className="csv-scroll" ref={scroller} role="table" aria-label="Table preview" aria-rowcount={table.rows.length + 1}>
        <div className="csv-row csv-header" role="row" style={{ gridTemplateColumns: template }}>
          <span role="columnheader" className="csv-index">
            #
          </span>
          {table.header.map((h, i) => (
            <span role="columnheader" key={i}>
              {h}
            </span>
          ))}
        </div>
        <div className="csv-body" style={{ height: rows.getTotalSize() }}>
          {rows.getVirtualItems().map((item) => {
            const row = table.rows[item.index] ?? [];
            return (
              <div
                key={item.key}
                className="csv-row"
                role="row"
                style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)` }}
              >
                <span className="csv-index muted">{item.index + 1}</span>
                {row.map((cell, i) => (
                  <span role="cell" key={i} title={cell}>
                    {cell}
                  </span>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
