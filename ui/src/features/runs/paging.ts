// Server paging of the runs table. runs/search pages are read in order (page tokens are
// opaque), so every row is reachable by loading the pages before it: a small first page makes
// the first rows quick, bigger pages after it keep up with fast scrolling, and the next page is
// asked for well before the user reaches the end of what is loaded. Should the user still
// outrun the server, the table shows placeholder rows (never blank space) where the next page
// will land, so the scrollbar keeps going.

/** The first page: small, so the first rows are on screen quickly. */
export const FIRST_PAGE_SIZE = 200;
/** Every later page. */
export const PAGE_SIZE = 1000;
/** Ask for the next page once the last row on screen is this close to the end of the loaded
 * rows (about two seconds of fast scrolling). */
export const PREFETCH_ROWS = 1500;

/** The `max_results` of the page that follows `loaded` rows. */
export function pageSize(loaded: number): number {
  return loaded === 0 ? FIRST_PAGE_SIZE : PAGE_SIZE;
}

export interface PagingState {
  /** Rows loaded so far. */
  loaded: number;
  /** The server said there is more (a next page token). */
  hasMore: boolean;
  /** A page is on its way. */
  fetching: boolean;
  /** The last page failed: wait for the user to retry rather than hammer the server. */
  failed?: boolean;
}

/** Whether to ask for the next page, with the last row on screen at `lastVisible` (-1: none). */
export function wantNextPage(state: PagingState, lastVisible: number, ahead = PREFETCH_ROWS): boolean {
  if (!state.hasMore || state.fetching || state.failed) return false;
  return lastVisible >= state.loaded - ahead;
}

/** How many placeholder rows follow the loaded ones: one page's worth while there is more. */
export function placeholderRows(state: Pick<PagingState, "loaded" | "hasMore">): number {
  return state.hasMore ? pageSize(state.loaded) : 0;
}

/** The run count shown above the table: "200+ runs" while more pages exist. */
export function countText(loaded: number, hasMore: boolean): string {
  return `${loaded}${hasMore ? "+" : ""} runs`;
}
