"""The web UI at scale: 100,000 runs in the runs table, and a 1,000,000-point metric chart.

A SQLite store is seeded, ``runstone server`` serves it, and Debian's Chromium (driven by
Playwright, as in tests/e2e) measures:

1. first rows: from navigation to the first rows of the runs table on screen, for an experiment
   of 100,000 runs (median of a few fresh page loads; target < 1 s);
2. scrolling far: the table scrolled by half a viewport per animation frame until row 20,000
   (``--scroll-rows``; 0 scrolls to the last run) is on screen, the table loading further server
   pages on the way. Each frame is timed (long frames > 50 ms) and hit-tested at five points: a
   point on no row makes a blank frame (target: none), a point on a placeholder row (a page not
   loaded yet) a placeholder frame, and a frame where the scroll position could not move (the
   end of what is loaded) a stalled frame. Rows reached, time taken and rows per second say how
   well the paging kept up;
3. chart: from navigation to the run page's charts tab until the chart of a 1,000,000-point
   metric is drawn (target < 1 s).

Seeding: 1,000 template runs (5 params, 5 metrics) go through ``SqlStore.create_run`` and
``log_batch``; they are then replicated in SQL (``INSERT … SELECT`` over the runs, params, tags
and metric tables, with new run ids) up to the run count, since 100,000 store calls of one
transaction each take half an hour on SQLite. The long metric goes through ``log_batch`` in
1,000-point batches.

Usage: ``python bench/ui_bench.py [--runs 100000] [--points 1000000] [--scroll-rows 20000]``.
The table goes to stdout, progress to stderr, the figures to ``bench/results/ui_bench-<time>.json``.
Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import progress, source_revision, verdict, write_results
from runstone.entities import Metric, Param, RunStatus
from runstone.store.sql.store import SqlStore

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.e2e.browser import CHROMIUM, MISSING, launch_chromium  # noqa: E402 - as below
from tests.server.processes import start_server, stop  # noqa: E402 - needs ROOT on the path

TEMPLATE_RUNS = 1_000
T0 = 1_790_000_000_000
TARGET_FIRST_ROWS_S = 1.0
TARGET_CHART_S = 1.0
LONG_FRAME_MS = 50.0
TIMEOUT_MS = 120_000
# Tables keyed by run whose rows are copied with each replicated run (the rest are per-store).
RUN_TABLES = ("run_tags", "params", "metric_summaries", "metric_chunks")


def seed_template(store: SqlStore, experiment_id: str) -> None:
    for i in range(TEMPLATE_RUNS):
        run = store.create_run(experiment_id, "bench", T0 + i, None, f"run-{i:06d}")
        rid = run.info.run_id
        metrics = [Metric(f"m{k}", (i * 7919 % 1000) / 1000 + k, T0 + i, 0) for k in range(5)]
        params = [Param(f"p{k}", str(i % (k + 3))) for k in range(5)]
        store.log_batch(rid, metrics=metrics, params=params)
        store.update_run_info(rid, RunStatus.FINISHED, T0 + i + 60_000, None)


def replicate(db: Path, experiment_id: str, total: int) -> None:
    """Copy the template runs (and their rows) until the experiment holds ``total`` runs."""
    con = sqlite3.connect(db)
    try:
        cols = {
            t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in ("runs", *RUN_TABLES)
        }
        # Fresh random ids, mapped from the template's: a template's own id cannot come back.
        con.execute("CREATE TEMP TABLE idmap (old TEXT PRIMARY KEY, new TEXT NOT NULL)")
        new_id = "idmap.new"
        k = 0
        while TEMPLATE_RUNS * (k + 1) < total:
            k += 1
            limit = min(TEMPLATE_RUNS, total - TEMPLATE_RUNS * k)
            con.execute("DELETE FROM idmap")
            con.execute(
                "INSERT INTO idmap SELECT run_uuid, lower(hex(randomblob(16))) FROM runs"
                " WHERE experiment_id = :e AND name GLOB 'run-[0-9][0-9][0-9][0-9][0-9][0-9]'"
                f" ORDER BY run_uuid LIMIT {limit}",
                {"e": experiment_id},
            )
            exprs = []
            for c in cols["runs"]:
                exprs.append(
                    {
                        "run_uuid": new_id,
                        "name": "name || '-' || :k",
                        "start_time": "start_time + :k * 1000",
                        "artifact_uri": f"replace(artifact_uri, run_uuid, {new_id})",
                    }.get(c, c)
                )
            con.execute(
                f"INSERT INTO runs ({', '.join(cols['runs'])}) SELECT {', '.join(exprs)} FROM runs"
                " JOIN idmap ON idmap.old = runs.run_uuid",
                {"k": k},
            )
            for table in RUN_TABLES:
                names = [c for c in cols[table] if c != "chunk_id"]
                select = [new_id if c == "run_uuid" else c for c in names]
                con.execute(
                    f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(select)}"
                    f" FROM {table} JOIN idmap ON idmap.old = {table}.run_uuid"
                )
            con.commit()
    finally:
        con.close()


def seed(root: Path, runs: int, points: int) -> dict[str, str]:
    store = SqlStore(str(root))
    big = store.create_experiment("ui-bench-100k")
    t = time.perf_counter()
    seed_template(store, big)
    progress(f"{TEMPLATE_RUNS} template runs through SqlStore in {time.perf_counter() - t:.1f}s")
    long_exp = store.create_experiment("ui-bench-long-metric")
    long_run = store.create_run(long_exp, "bench", T0, None, "long-metric").info.run_id
    t = time.perf_counter()
    for start in range(0, points, 1000):
        batch = [
            Metric("loss", 1.0 / (1 + s / 1000) + (0.5 if s % 99_991 == 0 else 0.0), T0 + s, s)
            for s in range(start, min(points, start + 1000))
        ]
        store.log_batch(long_run, metrics=batch)
    progress(f"{points:,} points through log_batch in {time.perf_counter() - t:.1f}s")
    store.close()
    t = time.perf_counter()
    replicate(root / "runstone.db", big, runs)
    progress(f"replicated to {runs:,} runs in {time.perf_counter() - t:.1f}s")
    return {"big": big, "long_exp": long_exp, "long_run": long_run}


FIRST_ROWS_JS = """() => {
  const row = document.querySelector('.grid-row .name-cell a');
  return row && row.textContent ? performance.now() : null;
}"""

# Scroll the grid by `step` viewports per frame until row `target` (0: the last row) is on
# screen or `timeoutMs` passes. Per frame: its time, and five points down the viewport
# hit-tested: on no row (blank), on a placeholder row (page not loaded yet), or on a run's row.
SCROLL_JS = """async ({ target, step, timeoutMs }) => {
  const grid = document.querySelector('.runs-grid');
  const head = grid.querySelector('.grid-header').getBoundingClientRect().height;
  const box = grid.getBoundingClientRect();
  const rowHeight = 32;
  const delta = (box.height - head) * step;
  const times = [];
  const milestones = {};
  let blank = 0, placeholder = 0, stalled = 0, reached = 0, reason = 'timeout';
  const t0 = performance.now();
  let prev = t0;
  while (performance.now() - t0 < timeoutMs) {
    const before = grid.scrollTop;
    grid.scrollTop = before + delta;
    const moved = grid.scrollTop !== before;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    times.push(now - prev);
    prev = now;
    if (!moved) stalled += 1;
    const body = grid.querySelector('.grid-body').getBoundingClientRect();
    let empty = false, waiting = false;
    for (let f = 0.1; f < 1; f += 0.2) {
      const y = box.top + head + f * (box.height - head);
      if (y > body.bottom - 2) continue;
      const hit = document.elementFromPoint(box.left + 150, y);
      const row = hit && hit.closest('.grid-row');
      if (!row) empty = true;
      else if (row.classList.contains('placeholder-row')) waiting = true;
    }
    if (empty) blank += 1;
    else if (waiting) placeholder += 1;
    const loaded = Number(grid.dataset.loadedRows || 0);
    const bottom = Math.floor((grid.scrollTop + grid.clientHeight - head) / rowHeight);
    reached = Math.min(bottom, loaded);
    for (let m = 5000; m <= reached; m += 5000) {
      if (!(m in milestones)) milestones[m] = Math.round(now - t0);
    }
    if (target > 0 && reached >= target) { reason = 'target'; break; }
    const more = grid.getAttribute('aria-busy') === 'true';
    if (!more && !moved && reached >= loaded) { reason = 'end'; break; }
  }
  const heap = performance.memory ? performance.memory.usedJSHeapSize : null;
  return {
    times, blank, placeholder, stalled, rows: reached, reason, milestones,
    elapsed_ms: performance.now() - t0,
    loaded: Number(grid.dataset.loadedRows || 0), heap_bytes: heap,
  };
}"""

CHART_JS = """() => {
  const canvas = document.querySelector('.metric-charts canvas');
  return canvas && canvas.width > 0 ? performance.now() : null;
}"""


def measure(url: str, ids: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # bench-only dependency

    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            first: list[float] = []
            for _ in range(args.repeats):
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                page.goto(f"{url}/#/experiments/{ids['big']}")
                handle = page.wait_for_function(FIRST_ROWS_JS, timeout=TIMEOUT_MS)
                first.append(float(handle.json_value()) / 1000)
                ctx.close()
            out["first_rows_s"] = first
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            page.goto(f"{url}/#/experiments/{ids['big']}")
            page.wait_for_function(FIRST_ROWS_JS, timeout=TIMEOUT_MS)
            page.screenshot(path=str(RESULTS_SHOTS / "ui_bench_runs_100k.png"))
            progress(f"scrolling to row {args.scroll_rows:,} (0: the end)")
            scroll = page.evaluate(
                SCROLL_JS,
                {
                    "target": args.scroll_rows,
                    "step": args.scroll_step,
                    "timeoutMs": args.scroll_timeout * 1000,
                },
            )
            page.screenshot(path=str(RESULTS_SHOTS / "ui_bench_runs_scrolled.png"))
            out["scroll"] = summarise_frames(scroll)
            ctx.close()
            charts: list[float] = []
            for _ in range(args.repeats):
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                page.goto(
                    f"{url}/#/experiments/{ids['long_exp']}/runs/{ids['long_run']}?tab=charts"
                )
                handle = page.wait_for_function(CHART_JS, timeout=TIMEOUT_MS)
                charts.append(float(handle.json_value()) / 1000)
                page.screenshot(path=str(RESULTS_SHOTS / "ui_bench_chart_1m.png"))
                ctx.close()
            out["chart_s"] = charts
        finally:
            browser.close()
    return out


def summarise_frames(scroll: dict[str, Any]) -> dict[str, Any]:
    times = sorted(scroll["times"]) or [0.0]
    elapsed = scroll["elapsed_ms"] / 1000
    return {
        "frames": len(scroll["times"]),
        "blank_frames": scroll["blank"],
        "placeholder_frames": scroll["placeholder"],
        "stalled_frames": scroll["stalled"],
        "long_frames": sum(1 for t in times if t > LONG_FRAME_MS),
        "frame_ms_p50": statistics.median(times),
        "frame_ms_p95": times[int(0.95 * (len(times) - 1))],
        "frame_ms_max": times[-1],
        "rows_reached": scroll["rows"],
        "rows_loaded": scroll["loaded"],
        "stopped_by": scroll["reason"],
        "seconds": elapsed,
        "rows_per_s": scroll["rows"] / elapsed if elapsed > 0 else 0.0,
        "ms_to_rows": scroll["milestones"],
        "js_heap_mb": scroll["heap_bytes"] / 1e6 if scroll["heap_bytes"] else None,
    }


RESULTS_SHOTS = Path(__file__).resolve().parent / "results"


def load() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument(
        "--scroll-rows",
        type=int,
        default=20_000,
        help="scroll until this row is on screen; 0 scrolls to the last run (default 20000)",
    )
    parser.add_argument(
        "--scroll-step",
        type=float,
        default=0.5,
        help="how far each frame scrolls, in viewports (default 0.5)",
    )
    parser.add_argument(
        "--scroll-timeout", type=float, default=300, help="give up scrolling after this many s"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(MISSING)
    RESULTS_SHOTS.mkdir(parents=True, exist_ok=True)
    load_before = load()
    with tempfile.TemporaryDirectory(prefix="rs_ui_bench_") as tmp:
        root = Path(tmp) / "store"
        ids = seed(root, args.runs, args.points)
        proc, url = start_server(["--backend-store-uri", str(root)], cwd=Path(tmp), timeout=120)
        try:
            figures = measure(url, ids, args)
        finally:
            stop(proc)
    report(args, figures, load_before)


def report(args: argparse.Namespace, figures: dict[str, Any], load_before: str) -> None:
    first = statistics.median(figures["first_rows_s"])
    chart = statistics.median(figures["chart_s"])
    scroll = figures["scroll"]
    rows = [
        (
            f"first rows of {args.runs:,} runs",
            f"{first:.3f} s",
            f"< {TARGET_FIRST_ROWS_S} s",
            verdict(first < TARGET_FIRST_ROWS_S),
        ),
        (
            f"scroll to row {args.scroll_rows or args.runs:,}: rows reached",
            f"{scroll['rows_reached']:,}",
            f"{args.scroll_rows or args.runs:,}",
            verdict(scroll["rows_reached"] >= (args.scroll_rows or args.runs)),
        ),
        (
            "scroll: time taken / rows per s",
            f"{scroll['seconds']:.1f} s / {scroll['rows_per_s']:,.0f}",
            "(info)",
            "",
        ),
        (
            f"scroll {scroll['frames']} frames: blank frames",
            str(scroll["blank_frames"]),
            "0",
            verdict(scroll["blank_frames"] == 0),
        ),
        ("scroll: placeholder frames", str(scroll["placeholder_frames"]), "(info)", ""),
        ("scroll: stalled frames (end of loaded)", str(scroll["stalled_frames"]), "(info)", ""),
        (f"scroll: long frames > {LONG_FRAME_MS:.0f} ms", str(scroll["long_frames"]), "(info)", ""),
        (
            "scroll: frame p50 / p95 / max",
            " / ".join(f"{scroll[k]:.1f}" for k in ("frame_ms_p50", "frame_ms_p95", "frame_ms_max"))
            + " ms",
            "(info)",
            "",
        ),
        (
            "scroll: JS heap after",
            f"{scroll['js_heap_mb']:.0f} MB" if scroll["js_heap_mb"] else "n/a",
            "(info)",
            "",
        ),
        (
            f"chart of {args.points:,} points",
            f"{chart:.3f} s",
            f"< {TARGET_CHART_S} s",
            verdict(chart < TARGET_CHART_S),
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>24}  {'target':>8}  verdict")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:>24}  {target:>8}  {ok}")
    print(f"load before: {load_before}\nload after:  {load()}")
    write_results(
        "ui_bench",
        {
            "revision": source_revision(),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            "load_before": load_before,
            "load_after": load(),
            "runs": args.runs,
            "points": args.points,
            **figures,
        },
    )


if __name__ == "__main__":
    main()
