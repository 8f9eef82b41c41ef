"""Local files for artifact transfers: atomic writes with checksums, copying in chunks with
progress, local folder trees, and the thread pool that moves many files at once.

A write goes to a hidden ``.rs-tmp-…`` sibling, is fsynced, and is renamed into place: a reader
sees the whole file or none of it, whatever happens to the writer.

Large transfers do not pile up in the page cache: every ``WRITE_BEHIND`` bytes, what a write
has put on disk and what a large read has passed are dropped from the cache. Filling the
cache with a multi-GB upload can cost more kernel time than writing it (2.6 s per GB against
0.25 with the cache kept small, on the machine of bench/artifact_bench.py) and pushes out what
other readers use. Small files stay cached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, Protocol, TypeAlias, TypeVar, runtime_checkable

from runstone.errors import DataLoss, InvalidParameterValue

SHA256_XATTR = "user.runstone.sha256"  # a local file's checksum, recorded as it was written
TEMP_PREFIX = ".rs-tmp-"  # in-progress writes; never listed, downloaded or accepted as a name
CHUNK_SIZE = 1024 * 1024
WRITE_BEHIND = 64 * 1024 * 1024  # large transfers are flushed and uncached in steps of this
TRANSFER_THREADS = 8
HASH_THREADS = 2

_T = TypeVar("_T")


@runtime_checkable
class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


Source: TypeAlias = Readable | Iterable[bytes]
Progress: TypeAlias = Callable[[int], None]  # called with each piece's size in bytes
LocalPath: TypeAlias = str | os.PathLike[str]


def reported(source: Readable, progress: Progress | None) -> Source:
    """``source`` as is, or (with ``progress``) as chunks that report their size."""
    if progress is None:
        return source

    def chunks() -> Iterator[bytes]:
        while chunk := source.read(CHUNK_SIZE):
            progress(len(chunk))
            yield chunk

    return chunks()


def join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def local_tree(local: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The sub-folders (relative, POSIX) and files (absolute path, relative path) of ``local``."""
    folders: list[str] = []
    files: list[tuple[str, str]] = []
    for dirpath, _, filenames in os.walk(local):
        sub = os.path.relpath(dirpath, local)
        rel = "" if sub == os.curdir else sub.replace(os.sep, "/")
        folders.append(rel)
        files.extend((os.path.join(dirpath, name), join(rel, name)) for name in filenames)
    return folders, files


def in_parallel(work: Callable[[_T], None], items: Sequence[_T]) -> None:
    """Run ``work`` over ``items`` on a few threads; the first failure is raised."""
    if not items:
        return
    workers = min(TRANSFER_THREADS, len(items))
    with ThreadPoolExecutor(workers, thread_name_prefix="runstone-artifacts") as pool:
        futures = [pool.submit(work, item) for item in items]
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


@contextlib.contextmanager
def nothing_in_the_way(rel: str) -> Iterator[None]:
    """A file where a folder must go (or the reverse) is the caller's mistake, not a crash."""
    try:
        yield
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        raise InvalidParameterValue(
            f"Cannot write artifact {rel!r}: a folder or a file is in the way."
        ) from exc


def atomic_write(path: str, source: Source, sha256: str | None = None) -> str | None:
    """Write ``path`` through a temporary sibling and ``os.replace``: all of it or nothing.

    With ``sha256`` (the hex checksum the bytes should have) they are hashed on the way: a
    mismatch raises DataLoss and nothing appears; a match is recorded on the file (an extended
    attribute, where the file system has them) before it becomes visible, and returned.
    """
    directory = os.path.dirname(path)
    created = make_dirs(directory)
    temp = os.path.join(directory, TEMP_PREFIX + secrets.token_hex(8))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temp, flags, 0o666)  # 0o666 minus the umask, like any new file
        digest = hashlib.sha256() if sha256 else None
        with os.fdopen(fd, "wb") as out:
            behind = CacheRelease(out, flush=True)
            copy_chunks(source, out, digest, behind)
            out.flush()
            os.fsync(out.fileno())
            behind.finish()
        if digest is not None:
            if digest.hexdigest() != sha256:
                raise DataLoss(
                    f"The bytes received have SHA-256 {digest.hexdigest()}, not {sha256} as "
                    "the sender said; nothing was stored."
                )
            with contextlib.suppress(OSError, AttributeError):  # no xattrs: not recorded
                os.setxattr(temp, SHA256_XATTR, digest.hexdigest().encode())
        os.replace(temp, path)
        return digest.hexdigest() if digest is not None else None
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        for folder in created:  # deepest first; a folder in use by another write is not empty
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise


def sweep_temp_files(root: str, older_than_s: float, now: float | None = None) -> list[str]:
    """Remove the temporary files that writes killed half-way left under local folder ``root``:
    the ``.rs-tmp-…`` files not modified for more than ``older_than_s`` seconds. A write in
    progress (in this process or any other) touches its file as it goes, so younger ones stay.
    Links are not followed. Returns the paths removed."""
    cutoff = (time.time() if now is None else now) - older_than_s
    removed: list[str] = []
    for folder, _, names in os.walk(root):
        for name in names:
            if not name.startswith(TEMP_PREFIX):
                continue
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):  # gone already, or not ours to remove
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    os.remove(path)
                    removed.append(path)
    return removed


def make_dirs(directory: str) -> list[str]:
    """Create ``directory`` and its missing parents; the ones this call created, deepest first."""
    missing: list[str] = []
    folder = directory
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        missing.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(directory, exist_ok=True)
    return missing


def copy_chunks(
    source: Source, out: IO[bytes], digest: Any | None, behind: CacheRelease | None = None
) -> None:
    """Write ``source`` to ``out``; with ``digest``, the chunks are hashed on another thread, a
    megabyte or so at a time, while the next ones are read and written (hashlib lets go of the
    GIL as it hashes, so the checksum costs little more time than none)."""
    chunks = iter(lambda: source.read(CHUNK_SIZE), b"") if isinstance(source, Readable) else source
    hashed: Future[None] | None = None
    batch: list[bytes] = []
    size = 0
    try:
        for chunk in chunks:
            out.write(chunk)
            if behind is not None:
                behind.moved(len(chunk))
            if digest is not None:
                batch.append(chunk)
                size += len(chunk)
                if size >= CHUNK_SIZE:
                    hashed = _hash_after(hashed, digest, batch)
                    batch, size = [], 0
        if batch:
            hashed = _hash_after(hashed, digest, batch)
    finally:
        if hashed is not None:
            hashed.result()


def _hash_after(previous: Future[None] | None, digest: Any, batch: list[bytes]) -> Future[None]:
    """``batch`` hashed once ``previous`` is (the hash must see the bytes in order)."""
    if previous is not None:
        previous.result()
    return _hasher().submit(_update, digest, batch)


def _update(digest: Any, batch: list[bytes]) -> None:
    for chunk in batch:
        digest.update(chunk)


@functools.cache
def _hasher() -> ThreadPoolExecutor:
    """The threads that hash what is being written (shared by every write of this process)."""
    return ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="runstone-sha256")


if hasattr(os, "register_at_fork"):  # a forked child has none of its parent's threads
    os.register_at_fork(after_in_child=_hasher.cache_clear)


def read_chunks(stream: IO[bytes], remaining: int) -> Iterator[bytes]:
    """Up to ``remaining`` bytes of ``stream`` from where it stands, in chunks; closes it.

    A large local read drops the pages it has passed from the cache as it goes.
    """
    with stream:
        behind = CacheRelease(stream, flush=False)
        try:
            while remaining > 0:
                chunk = stream.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                behind.moved(len(chunk))
                yield chunk
        finally:
            behind.finish()


class CacheRelease:
    """Keeps a large transfer of a local file out of the page cache, ``WRITE_BEHIND`` at a time.

    At each step the pages of this step and the one before are advised away
    (``POSIX_FADV_DONTNEED``): clean ones (what was read, or written and already on disk) are
    dropped at once, dirty ones have their writeback started and go at the next step, once
    clean. The writer never waits for the disk before its final fsync, and the rest goes after
    it. Files smaller than ``WRITE_BEHIND`` are never touched, nor are streams that are not
    local files, nor systems without ``posix_fadvise``.
    """

    def __init__(self, stream: IO[bytes], *, flush: bool) -> None:
        self._stream = stream
        self._flush = flush  # a buffered writer hands its bytes to the kernel first
        self._fd = _file_descriptor(stream)
        self._first = self._behind = self._start = self._done = (
            stream.tell() if self._fd is not None else 0
        )

    def moved(self, size: int) -> None:
        self._done += size
        if self._fd is not None and self._done - self._start >= WRITE_BEHIND:
            if self._flush:
                self._stream.flush()
            self._drop(self._behind, self._done - self._behind)
            self._behind, self._start = self._start, self._done

    def finish(self) -> None:
        """After the last chunk (and, for a write, the fsync): drop the rest of a large
        transfer."""
        large = self._done - self._first >= WRITE_BEHIND
        if self._fd is not None and large and self._done > self._behind:
            self._drop(self._behind, self._done - self._behind)
            self._behind = self._start = self._done

    def _drop(self, offset: int, length: int) -> None:
        assert self._fd is not None
        with contextlib.suppress(OSError):  # advice only
            os.posix_fadvise(self._fd, offset, length, os.POSIX_FADV_DONTNEED)


def _file_descriptor(stream: IO[bytes]) -> int | None:
    if not hasattr(os, "posix_fadvise"):
        return None
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None
