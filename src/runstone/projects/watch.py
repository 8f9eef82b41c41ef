"""Supervising a project's command: start it, pass interrupts on, record how it ended.

The command runs in a process group of its own, so an interrupt reaches all of it (a shell
command's children too) and nothing else. SIGINT or SIGTERM to the supervisor is passed on to
that group, SIGKILL follows after :data:`GRACE_S` seconds, and the run is marked KILLED. Otherwise
the exit code decides: FINISHED on 0, FAILED on anything else.

``runstone run`` supervises in its own process. A detached run (``--detach``) is supervised by
``python -m runstone.projects.watch RUN_ID TRACKING_URI -- COMMAND...``, started in a session of
its own so that it outlives the shell that launched it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Final

from runstone.client.client import RunstoneClient
from runstone.entities import RunStatus

GRACE_S: Final = 10.0  # how long an interrupted command may take to stop before SIGKILL
_FORWARDED: Final = (signal.SIGINT, signal.SIGTERM)


class _Interrupts:
    """While active (main thread only), SIGINT and SIGTERM stop ``process``'s group."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.received: int | None = None
        self._previous: dict[int, object] = {}
        self._timer: threading.Timer | None = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in _FORWARDED:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        if self._timer is not None:
            self._timer.cancel()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        stop_group(self.process, signum)
        if self._timer is None:
            self._timer = threading.Timer(GRACE_S, stop_group, (self.process, signal.SIGKILL))
            self._timer.daemon = True
            self._timer.start()


def stop_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the process group of ``process`` (started in a session of its own)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):  # it ended meanwhile
        os.killpg(process.pid, signum)


def start(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session (its own process group), with ``env`` (None: this
    process's environment); never through a shell."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL if output is not None else None,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )


def supervise(
    process: subprocess.Popen[bytes], tracking_uri: str, run_id: str
) -> tuple[RunStatus, int]:
    """Wait for ``process``, then record its outcome as the run's status; returns the status
    and the exit code (negative: killed by that signal)."""
    with _Interrupts(process) as interrupts:
        code = process.wait()
    if interrupts.received is not None:
        status = RunStatus.KILLED
    else:
        status = RunStatus.FINISHED if code == 0 else RunStatus.FAILED
    with RunstoneClient(tracking_uri) as client:
        client.set_terminated(run_id, status)
    return status, code


def main(argv: Sequence[str]) -> int:
    """``python -m runstone.projects.watch RUN_ID TRACKING_URI -- COMMAND...``: run COMMAND
    in this process's working directory and environment, and record its end."""
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    run_id, tracking_uri, command = argv[0], argv[1], argv[3:]
    try:
        process = start(command, Path.cwd())
    except OSError as exc:
        print(f"runstone: cannot start {command[0]!r}: {exc}", file=sys.stderr)
        with RunstoneClient(tracking_uri) as client:
            client.set_terminated(run_id, RunStatus.FAILED)
        return 1
    status, code = supervise(process, tracking_uri, run_id)
    print(f"runstone: run {run_id} {status.name} (exit status {code})", file=sys.stderr)
    return 0 if status is RunStatus.FINISHED else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
