"""Reading every page of a search."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from runstone.entities import Page

T = TypeVar("T")

PAGE_SIZE = 1000  # items per search request while paging through every result


def collect(
    fetch: Callable[[int, str | None], Page[T]],
    max_results: int | None,
    page_size: int | None = None,
) -> list[T]:
    """Every item of a paged search, or the first ``max_results``.

    ``fetch(page_size, page_token)`` reads one page.
    """
    size = page_size or PAGE_SIZE
    found: list[T] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        want = size if max_results is None else min(size, max_results - len(found))
        page = fetch(want, token)
        found.extend(page)
        token = page.next_page_token
        if token is None:
            break
    return found
