"""A progress bar for large artifact transfers, on the terminal only.

Uploads and downloads of at least :data:`SHOW_FROM` bytes show a bar on stderr (bytes, speed,
time left) while they run, when stderr is a terminal; otherwise nothing is drawn, so logs and
pipes stay clean. rich loads only when a bar is drawn.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SHOW_FROM = 32 * 1024 * 1024


def interactive() -> bool:
    """Whether a bar would be seen: stderr is a terminal."""
    return sys.stderr.isatty()


def local_files(path: str | os.PathLike[str]) -> tuple[int, int]:
    """The number of files at or under local ``path`` and their bytes (0, 0 when absent)."""
    if os.path.isfile(path):
        return 1, os.path.getsize(path)
    count = size = 0
    for folder, _, names in os.walk(path):
        for name in names:
            file = os.path.join(folder, name)
            if os.path.isfile(file):
                count += 1
                size += os.path.getsize(file)
    return count, size


@contextmanager
def transfer_progress(
    description: str, total: int | None
) -> Iterator[Callable[[int], None] | None]:
    """A function to report bytes moved to (the bar, when one is drawn), else None."""
    if total is None or total < SHOW_FROM or not interactive():
        yield None
        return
    from rich.console import Console  # only for a bar that is drawn
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda size: bar.advance(task, size)
