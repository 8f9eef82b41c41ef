// Multi-select over the table's rows: click toggles one, shift-click selects the range from the
// last clicked row, "all" takes every loaded row. Selections are sets of run ids, so they survive
// loading more pages and re-sorting.

export interface Selection {
  ids: ReadonlySet<string>;
  /** The id of the row clicked last (the anchor of a shift-click range). */
  anchor: string | null;
}

export const NO_SELECTION: Selection = { ids: new Set(), anchor: null };

/** The selection after clicking row `id` of `order` (the displayed row ids). */
export function clickRow(
  current: Selection,
  order: readonly string[],
  id: string,
  shift: boolean,
): Selection {
  const from = current.anchor === null ? -1 : order.indexOf(current.anchor);
  const to = order.indexOf(id);
  if (shift && from >= 0 && to >= 0) {
    const ids = new Set(current.ids);
    const [lo, hi] = from < to ? [from, to] : [to, from];
    for (let i = lo; i <= hi; i += 1) ids.add(order[i]!);
    return { ids, anchor: id };
  }
  const ids = new Set(current.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { ids, anchor: id };
}

/** Select every loaded row, or clear when all are already selected. */
export function toggleAll(current: Selection, order: readonly string[]): Selection {
  const all = order.length > 0 && order.every((id) => current.ids.has(id));
  return all ? NO_SELECTION : { ids: new Set(order), anchor: current.anchor };
}

/** "all", "some" or "none" of `order` selected (for the header checkbox). */
export function selectionState(current: Selection, order: readonly string[]) {
  let n = 0;
  for (const id of order) if (current.ids.has(id)) n += 1;
  if (n === 0) return "none";
  return n === order.length ? "all" : "some";
}
