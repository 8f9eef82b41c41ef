// Which experiments' runs are on screen: the checked ones of the sidebar. Checking or
// unchecking one gives the new set; Shift adds the range from the last one clicked (in the
// order of the list), like the runs table's selection.

/** The open experiments after clicking `id`'s checkbox. `listed` is the sidebar's order. */
export function toggleExperiment(
  open: readonly string[],
  listed: readonly string[],
  id: string,
  shift: boolean,
  anchor: string | null,
): string[] {
  const from = anchor === null ? -1 : listed.indexOf(anchor);
  const to = listed.indexOf(id);
  if (shift && from >= 0 && to >= 0 && from !== to) {
    const [lo, hi] = from < to ? [from, to] : [to, from];
    const range = listed.slice(lo, hi + 1);
    return [...open, ...range.filter((r) => !open.includes(r))];
  }
  return open.includes(id) ? open.filter((o) => o !== id) : [...open, id];
}
