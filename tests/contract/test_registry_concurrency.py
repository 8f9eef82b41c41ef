"""Many processes register versions of one model at once: numbers stay unique and gap-free."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from runstone.store.sql import SqlStore
from tests.databases import BACKENDS

PROCESSES = 20
VERSIONS_EACH = 5
MODEL = "shared-model"


def _register(uri: str, worker: int, start: Event, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        store = SqlStore(uri)
        start.wait(timeout=60)  # every process is up: now they all race
        made = [
            store.create_model_version(MODEL, f"s3://bucket/{worker}/{i}").version
            for i in range(VERSIONS_EACH)
        ]
        store.set_registered_model_alias(MODEL, f"worker{worker}", made[-1])
        store.set_registered_model_alias(MODEL, "newest", made[-1])  # everyone moves this one
        store.close()
        results.put((worker, made, None))
    except BaseException as exc:
        results.put((worker, [], f"{type(exc).__name__}: {exc}"))
        raise


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql", "mysql"])
def test_twenty_processes_create_versions_of_one_model_at_once(
    backend_name: str, tmp_path: Path
) -> None:
    backend = BACKENDS[backend_name]
    backend.require()
    with backend.fresh_database(tmp_path) as uri:
        store = SqlStore(uri)
        store.create_registered_model(MODEL)
        ctx = multiprocessing.get_context("spawn")  # no engine or lock state crosses a fork
        start = ctx.Event()
        results = ctx.Queue()
        procs = [
            ctx.Process(target=_register, args=(uri, worker, start, results))
            for worker in range(PROCESSES)
        ]
        for p in procs:
            p.start()
        start.set()
        reports = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        try:
            assert [error for _, _, error in reports if error] == []
            assert [p.exitcode for p in procs] == [0] * PROCESSES
            made = {worker: versions for worker, versions, _ in reports}
            numbers = sorted(int(n) for versions in made.values() for n in versions)
            assert numbers == list(range(1, PROCESSES * VERSIONS_EACH + 1))
            for versions in made.values():  # each process saw its own numbers rise
                assert [int(n) for n in versions] == sorted(int(n) for n in versions)

            stored = store.search_model_versions(f"name = '{MODEL}'", order_by=["version_number"])
            assert [mv.version for mv in stored] == [str(n) for n in numbers]
            model = store.get_registered_model(MODEL)
            assert model.aliases.pop("newest") in {versions[-1] for versions in made.values()}
            assert model.aliases == {f"worker{w}": versions[-1] for w, versions in made.items()}
            for worker, versions in made.items():
                by_alias = store.get_model_version_by_alias(MODEL, f"worker{worker}")
                assert by_alias.version == versions[-1]
                assert by_alias.source == f"s3://bucket/{worker}/{VERSIONS_EACH - 1}"
            # The next version continues after the last one any process took.
            assert store.create_model_version(MODEL, "s3://b/next").version == str(
                PROCESSES * VERSIONS_EACH + 1
            )
        finally:
            store.close()
