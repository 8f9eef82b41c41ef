// CSV/TSV parsing for previews: RFC 4180 quoting (quoted fields may hold the delimiter,
// doubled quotes and newlines), at most `maxRows` data rows.

export interface Table {
  header: string[];
  rows: string[][];
  /** True when the file has more rows than were parsed. */
  truncated: boolean;
}

export function parseDelimited(text: string, delimiter = ",", maxRows = 10_000): Table {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const limit = maxRows + 1; // the header, then maxRows rows
  let truncated = false;
  const endRecord = () => {
    record.push(field);
    field = "";
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 1;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") {
      quoted = true;
    } else if (ch === delimiter) {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      endRecord();
      if (records.length >= limit) {
        truncated = i + 1 < text.length;
        break;
      }
    } else field += ch;
    i += 1;
  }
  if (records.length < limit && (field !== "" || record.length > 0)) endRecord();
  const [header = [], ...rows] = records;
  return { header, rows, truncated };
}
