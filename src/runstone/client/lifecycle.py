"""How a process ending takes its runs with it: FINISHED, FAILED or KILLED, never a lie.

Installed when the first fluent run starts (not at import): an uncaught exception marks the
runs still active FAILED (KILLED for Ctrl-C) when the interpreter exits; SIGTERM ends them as
KILLED, then lets the default action terminate the process.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType

from runstone.entities import RunStatus

_state = {"status": RunStatus.FINISHED}


def exit_status() -> RunStatus:
    """FINISHED, unless an uncaught exception is ending the interpreter."""
    return _state["status"]


def install(end_all: Callable[[RunStatus], None]) -> None:
    previous = sys.excepthook

    def on_uncaught(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        failed = not issubclass(exc_type, KeyboardInterrupt)
        _state["status"] = RunStatus.FAILED if failed else RunStatus.KILLED
        previous(exc_type, exc, tb)

    sys.excepthook = on_uncaught
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            try:
                end_all(RunStatus.KILLED)
            finally:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)
