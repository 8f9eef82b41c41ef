"""What the benchmarks share: provenance, progress lines, verdicts and number formats, results,
and the process tree of a server under test."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def source_revision() -> str | None:
    """The commit of the Runstone tree measured (with "+dirty" for uncommitted changes)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--", "src")
    except OSError:
        return None
    return (head + ("+dirty" if dirty else "")) or None


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def rate(x: float) -> str:
    return f"{x:,.0f} pts/s"


def ratio(x: float) -> str:
    return f"{x:,.1f}x" if x >= 1 else f"{x:.2f}x (slower)"


def timestamp() -> str:
    """The <timestamp> of results file names."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def write_results(name: str, report: dict[str, Any], stamp: str | None = None) -> Path:
    """Save ``report`` as bench/results/<name>-<stamp>.json (git-ignored); ``stamp`` defaults
    to now (pass one to match other files a bench writes next to it)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{name}-{stamp or timestamp()}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Figures written to {out}")
    return out


class ProcessTree:
    """For a server the bench started: ``proc`` (None when stopped) and ``log_path`` (where its
    output goes) are set by the subclass."""

    proc: subprocess.Popen[bytes] | None
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's output, for an error message."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def tree(self) -> list[psutil.Process]:
        """The server process and all its descendants (workers), while it runs."""
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_s(self) -> float:
        """User + system CPU seconds of the live process tree so far."""
        total = 0.0
        for proc in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = proc.cpu_times()
                total += times.user + times.system
        return total
