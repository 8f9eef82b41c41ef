import { describe, expect, it } from "vitest";
import {
  FIRST_PAGE_SIZE,
  PAGE_SIZE,
  PREFETCH_ROWS,
  countText,
  pageSize,
  placeholderRows,
  wantNextPage,
} from "./paging";

describe("server paging of the runs table", () => {
  it("asks for a small first page, then big ones", () => {
    expect(pageSize(0)).toBe(FIRST_PAGE_SIZE);
    expect(pageSize(FIRST_PAGE_SIZE)).toBe(PAGE_SIZE);
    expect(pageSize(50_000)).toBe(PAGE_SIZE);
    expect(FIRST_PAGE_SIZE).toBeLessThan(PAGE_SIZE);
  });

  it("prefetches the next page well before the end of the loaded rows", () => {
    const state = { loaded: 5000, hasMore: true, fetching: false };
    expect(wantNextPage(state, 100)).toBe(false);
    expect(wantNextPage(state, 5000 - PREFETCH_ROWS - 1)).toBe(false);
    expect(wantNextPage(state, 5000 - PREFETCH_ROWS)).toBe(true);
    // Scrolled into the placeholder rows past the end.
    expect(wantNextPage(state, 5600)).toBe(true);
  });

  it("loads the second page at once when the first is short of the prefetch distance", () => {
    expect(wantNextPage({ loaded: FIRST_PAGE_SIZE, hasMore: true, fetching: false }, 25)).toBe(true);
  });

  it("asks for nothing while a page is on its way, after a failure, or at the end", () => {
    expect(wantNextPage({ loaded: 200, hasMore: true, fetching: true }, 199)).toBe(false);
    expect(wantNextPage({ loaded: 200, hasMore: true, fetching: false, failed: true }, 199)).toBe(false);
    expect(wantNextPage({ loaded: 200, hasMore: false, fetching: false }, 199)).toBe(false);
  });

  it("shows a page of placeholder rows while more pages exist, none at the end", () => {
    expect(placeholderRows({ loaded: 200, hasMore: true })).toBe(PAGE_SIZE);
    expect(placeholderRows({ loaded: 0, hasMore: true })).toBe(FIRST_PAGE_SIZE);
    expect(placeholderRows({ loaded: 1200, hasMore: false })).toBe(0);
  });

  it("counts loaded runs, with a plus while more exist", () => {
    expect(countText(200, true)).toBe("200+ runs");
    expect(countText(50, false)).toBe("50 runs");
  });
});
