// Key autocomplete for the filter box: the word being typed at the caret, completed with
// `params.<key>`, `metrics.<key>`, `tags.<key>` and `attributes.<name>` found in the loaded runs.

export const ATTRIBUTE_KEYS = [
  "run_id",
  "run_name",
  "status",
  "start_time",
  "end_time",
  "user_id",
  "artifact_uri",
] as const;

export interface KeySets {
  params: readonly string[];
  metrics: readonly string[];
  tags: readonly string[];
}

/** Every completion, as the search language writes it (backquoted when needed). */
export function allCompletions(keys: KeySets): string[] {
  const quote = (k: string) => (/^[A-Za-z_][\w.]*$/.test(k) ? k : `\`${k}\``);
  return [
    ...keys.metrics.map((k) => `metrics.${quote(k)}`),
    ...keys.params.map((k) => `params.${quote(k)}`),
    ...keys.tags.map((k) => `tags.${quote(k)}`),
    ...ATTRIBUTE_KEYS.map((k) => `attributes.${k}`),
  ];
}

/** The word at the caret: where it starts and what has been typed. */
export function wordAt(text: string, caret: number): { start: number; prefix: string } {
  const before = text.slice(0, caret);
  const match = /[\w.`-]*$/.exec(before);
  const prefix = match ? match[0] : "";
  return { start: caret - prefix.length, prefix };
}

/** Up to `limit` completions of the word at the caret; none for an empty word. */
export function suggest(text: string, caret: number, all: readonly string[], limit = 8): string[] {
  const { prefix } = wordAt(text, caret);
  if (!prefix) return [];
  const lower = prefix.toLowerCase();
  const starts = all.filter((c) => c.toLowerCase().startsWith(lower) && c !== prefix);
  const bare = all.filter(
    (c) => !c.toLowerCase().startsWith(lower) && c.toLowerCase().split(".").slice(1).join(".").startsWith(lower),
  );
  return [...starts, ...bare].slice(0, limit);
}

/** `text` with the word at the caret replaced by `completion`; the new caret after it. */
export function applyCompletion(text: string, caret: number, completion: string) {
  const { start } = wordAt(text, caret);
  const next = text.slice(0, start) + completion + text.slice(caret);
  return { text: next, caret: start + completion.length };
}
