"""What the benchmarks share: provenance, progress lines, verdicts and number formats, results."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

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
