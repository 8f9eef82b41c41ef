"""Local files for artifact transfers: atomic writes with checksums, copying in chunks with
progress, local folder trees, and the thread pool that moves many files at once.

A write goes to a hidden ``.rs-tmp-…`` sibling, is fsynced, and is renamed into place: a reader
sees the whole file or none of it, whatever happens to the writer.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Protocol, TypeAlias, TypeVar, runtime_checkable

from runstone.errors import DataLoss, InvalidParameterValue

SHA256_XATTR = "user.runstone.sha256"  # a local file's checksum, recorded as it was written
TEMP_PREFIX = ".rs-tmp-"  # in-progress writes; never listed, downloaded or accepted as a name
CHUNK_SIZE = 1024 * 1024
TRANSFER_THREADS = 8

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
            copy_chunks(source, out, digest)
            out.flush()
            os.fsync(out.fileno())
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


def make_dirs(directory: str) -> list[str]:
    """Create ``directory`` and its missing parents; the ones this call created, deepest first."""
    missing: list[str] = []
    folder = directory
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        missing.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(directory, exist_ok=True)
    return missing


def copy_chunks(source: Source, out: IO[bytes], digest: Any | None) -> None:
    chunks = iter(lambda: source.read(CHUNK_SIZE), b"") if isinstance(source, Readable) else source
    if digest is None:
        for chunk in chunks:
            out.write(chunk)
        return
    for chunk in chunks:
        digest.update(chunk)
        out.write(chunk)
