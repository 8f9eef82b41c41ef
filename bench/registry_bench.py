"""The model registry: Runstone's SqlStore beside MLflow's registry SqlAlchemyStore.

Both stores get the same registry, built through their own APIs in the same process: 1,000
registered models (three tags each, one of ten teams), ten versions of each (10,000 versions,
two tags each, a stage on some, an alias on the newest). Then, each timed as the median of
repeated calls after a warm-up:

1. ``search_registered_models`` with a tag filter (``tags.team = 't3'``: 100 models, one page,
   each with its tags, aliases and latest versions);
2. ``search_model_versions`` over all 10,000 versions (max_results 10,000, one page, with
   tags and aliases: what ``MlflowClient.search_model_versions()`` asks for by default);
3. (info) ``search_model_versions`` of one model by name, and ``get_model_version_by_alias``.

The two stores take turns call by call (Runstone, MLflow, Runstone, ...), so a slow spell of
the machine slows both alike instead of skewing the ratio.

Usage: ``python bench/registry_bench.py [--backends sqlite,postgresql] [--quick]``. The table
goes to stdout, progress to stderr, the figures to ``bench/results/registry_bench-<time>.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchlib import progress, ratio, source_revision, verdict, write_results
from runstone.store.sql.store import SqlStore
from store_bench import fresh_databases, pg_reachable, pg_setting, timed

TARGET_RATIO = 10.0
MODEL_FILTER = "tags.team = 't3'"
TEAMS = 10


@dataclass(frozen=True)
class Scale:
    models: int = 1_000
    versions_per_model: int = 10
    repeats: int = 25

    def quick(self) -> Scale:
        return replace(self, models=self.models // 10, repeats=5)

    @property
    def versions(self) -> int:
        return self.models * self.versions_per_model


def model_name(i: int) -> str:
    return f"model-{i:05d}"


# -- the two stores behind one small interface -----------------------------------------------------


class Side:
    """One registry under test; both stores spell the calls the same way."""

    name = ""

    def __init__(self, store: Any) -> None:
        self.store = store

    def populate(self, scale: Scale) -> dict[str, Any]:
        start, next_report = time.perf_counter(), time.perf_counter() + 15
        for i in range(scale.models):
            name = model_name(i)
            self.create_model(name, {"team": f"t{i % TEAMS}", "task": "cls", "owner": f"u{i}"})
            for v in range(1, scale.versions_per_model + 1):
                self.create_version(name, f"s3://bench/models/{name}/{v}", {"v": str(v)})
            self.store.transition_model_version_stage(name, "1", "Archived", False)
            self.store.transition_model_version_stage(
                name, str(scale.versions_per_model - 1), "Production", False
            )
            self.store.set_registered_model_alias(name, "champion", str(scale.versions_per_model))
            if time.perf_counter() > next_report:
                rate = (i + 1) / (time.perf_counter() - start)
                progress(f"  {self.name}: {i + 1:,}/{scale.models:,} models ({rate:,.1f}/s)")
                next_report = time.perf_counter() + 15
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "versions_per_s": scale.versions / seconds}

    def create_model(self, name: str, tags: dict[str, str]) -> None:
        raise NotImplementedError

    def create_version(self, name: str, source: str, tags: dict[str, str]) -> None:
        raise NotImplementedError

    def search_models(self) -> list[tuple[str, int, int]]:
        """Names, with counts of latest versions and tags (to check both sides agree)."""
        page = self.store.search_registered_models(MODEL_FILTER, 100, None, None)
        return [(m.name, len(m.latest_versions), len(m.tags)) for m in page]

    def search_versions(self, filter_string: str | None, max_results: int) -> list[tuple[str, str]]:
        page = self.store.search_model_versions(filter_string, max_results, None, None)
        return [(v.name, str(v.version)) for v in page]

    def by_alias(self, name: str) -> str:
        return str(self.store.get_model_version_by_alias(name, "champion").version)

    def close(self) -> None:
        raise NotImplementedError


class RunstoneSide(Side):
    name = "Runstone"

    def create_model(self, name: str, tags: dict[str, str]) -> None:
        self.store.create_registered_model(name, tags=tags)

    def create_version(self, name: str, source: str, tags: dict[str, str]) -> None:
        self.store.create_model_version(name, source, tags=tags, user_id="bench")

    def close(self) -> None:
        self.store.close()


class MlflowSide(Side):
    name = "MLflow"

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        from mlflow.entities.model_registry import (  # bench-only dependency
            ModelVersionTag,
            RegisteredModelTag,
        )

        self._model_tag, self._version_tag = RegisteredModelTag, ModelVersionTag

    def create_model(self, name: str, tags: dict[str, str]) -> None:
        self.store.create_registered_model(name, [self._model_tag(k, v) for k, v in tags.items()])

    def create_version(self, name: str, source: str, tags: dict[str, str]) -> None:
        tag_list = [self._version_tag(k, v) for k, v in tags.items()]
        self.store.create_model_version(name, source, tags=tag_list)

    def close(self) -> None:
        self.store.engine.dispose()
        type(self.store)._engine_map.pop(self.store.db_uri, None)


def open_mlflow(db_uri: str) -> MlflowSide:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # read when mlflow is imported
    try:
        from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore  # bench-only
    except ImportError as exc:
        raise SystemExit(
            "MLflow is not installed; run `make bench` or `pip install -e '.[bench]'`."
        ) from exc
    for name in ("alembic", "mlflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return MlflowSide(SqlAlchemyStore(db_uri))


# -- one backend -----------------------------------------------------------------------------------


def cases(side: Side, scale: Scale) -> dict[str, Callable[[], Any]]:
    return {
        "search_models": side.search_models,
        "search_versions": lambda: side.search_versions(None, scale.versions),
        "versions_of_one_model": lambda: side.search_versions(f"name = '{model_name(7)}'", 1000),
        "by_alias": lambda: side.by_alias(model_name(7)),
    }


def measure(sides: Sequence[Side], scale: Scale) -> dict[str, dict[str, Any]]:
    """Each case's median over ``scale.repeats`` calls per side after a warm-up. The sides
    take turns call by call, so a slow spell of the machine hits both alike."""
    calls = {side.name: cases(side, scale) for side in sides}
    figures: dict[str, dict[str, Any]] = {side.name: {} for side in sides}
    for case in calls[sides[0].name]:
        samples: dict[str, list[float]] = {side.name: [] for side in sides}
        results = {side.name: calls[side.name][case]() for side in sides}  # warm-up
        for _ in range(scale.repeats):
            for side in sides:
                seconds, _ = timed(calls[side.name][case])
                samples[side.name].append(seconds * 1000)
        for side in sides:
            figures[side.name][case] = {
                "ms": statistics.median(samples[side.name]),
                "samples_ms": samples[side.name],
                "result": results[side.name],
            }
    return figures


def bench_backend(backend: str, scale: Scale) -> dict[str, Any]:
    result: dict[str, Any] = {"populate": {}, "figures": {}}
    with tempfile.TemporaryDirectory(prefix="rs_bench_") as tmp_name:
        tmp = Path(tmp_name)
        with fresh_databases(backend, tmp) as dbs:
            sides: list[Side] = [
                RunstoneSide(SqlStore(dbs.runstone_url, artifact_root=(tmp / "a").as_uri())),
                open_mlflow(dbs.mlflow_url),
            ]
            try:
                for side in sides:
                    progress(f"{backend}: {side.name} registering {scale.versions:,} versions")
                    result["populate"][side.name] = side.populate(scale)
                dbs.analyze()
                progress(f"{backend}: searches, {scale.repeats} + 1 warm-up per case and side")
                result["figures"] = measure(sides, scale)
            finally:
                for side in sides:
                    side.close()
    rs, mlf = (result["figures"][s] for s in (RunstoneSide.name, MlflowSide.name))
    result["results_agree"] = {
        case: _comparable(case, rs[case]["result"]) == _comparable(case, mlf[case]["result"])
        for case in rs
    }
    for per_side in (rs, mlf):
        for figures in per_side.values():
            found = figures.pop("result")
            figures["results"] = len(found) if isinstance(found, list) else found
    result["ratios"] = {case: mlf[case]["ms"] / rs[case]["ms"] for case in rs}
    result["targets"] = {
        case: result["ratios"][case] >= TARGET_RATIO
        for case in ("search_models", "search_versions")
    }
    if backend == "postgresql":
        result["server"] = {"version": pg_setting("server_version")}
    return result


def _comparable(case: str, found: Any) -> Any:
    # The version lists come back in the same documented order on both sides; compare sets
    # anyway, since versions created in the same millisecond may tie on last_updated_timestamp.
    return sorted(found) if case.startswith(("search_versions", "versions_of")) else found


# -- the report ------------------------------------------------------------------------------------

LABELS = {
    "search_models": "search_registered_models, tag filter (ms)",
    "search_versions": "search_model_versions, all (ms)",
    "versions_of_one_model": "  versions of one model by name (info)",
    "by_alias": "  get_model_version_by_alias (info)",
}


def print_report(report: dict[str, Any]) -> None:
    header = ("median of repeats", "Runstone", "MLflow", "Runstone faster by", "target")
    for backend, res in report["backends"].items():
        print()
        if "skipped" in res:
            print(f"== {backend}: skipped ({res['skipped']})")
            continue
        server = res.get("server")
        print(f"== {backend}" + (f" (server {server['version']})" if server else ""))
        rs, mlf = res["figures"]["Runstone"], res["figures"]["MLflow"]
        rows = [header]
        for case, label in LABELS.items():
            target = res["targets"].get(case)
            rows.append(
                (
                    f"{label} [{rs[case]['results']} found]",
                    f"{rs[case]['ms']:.2f} ms",
                    f"{mlf[case]['ms']:.2f} ms",
                    ratio(res["ratios"][case]),
                    "" if target is None else f">= {TARGET_RATIO:g}x {verdict(target)}",
                )
            )
        pop_rs, pop_mlf = res["populate"]["Runstone"], res["populate"]["MLflow"]
        rows.append(
            (
                "  populate: versions registered per second (info)",
                f"{pop_rs['versions_per_s']:,.0f}/s",
                f"{pop_mlf['versions_per_s']:,.0f}/s",
                ratio(pop_rs["versions_per_s"] / pop_mlf["versions_per_s"]),
                "",
            )
        )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for i, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            print("  ".join(cells).rstrip())
            if i == 0:
                print("  ".join("-" * w for w in widths))
        differ = [case for case, same in res["results_agree"].items() if not same]
        if differ:
            print(f"  !! the two stores' results differ: {', '.join(differ)}")
    print()
    print(
        f"MLflow {report['mlflow_version']}, Runstone {report['runstone_version']} "
        f"({report['runstone_revision']}); {report['scale']['models']:,} models, "
        f"{report['scale']['models'] * report['scale']['versions_per_model']:,} versions; "
        f"whole run {report['seconds']:.0f} s."
    )


# -- main ------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql")
    parser.add_argument("--quick", action="store_true", help="10x fewer models and versions")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scale = Scale().quick() if args.quick else Scale()
    started = time.perf_counter()
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "scale": asdict(scale),
        "runstone_version": version("runstone"),
        "runstone_revision": source_revision(),
        "mlflow_version": version("mlflow"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "backends": {},
    }
    for backend in args.backends:
        if backend == "postgresql" and not pg_reachable():
            report["backends"][backend] = {"skipped": "nothing listens on 127.0.0.1:5432"}
            continue
        report["backends"][backend] = bench_backend(backend, scale)
    report["seconds"] = time.perf_counter() - started
    print_report(report)
    write_results("registry_bench", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
