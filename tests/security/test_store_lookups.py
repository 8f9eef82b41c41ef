"""The store's side of authorization: the run and logged-model lookups the server checks
permissions with, and searches narrowed to what a reader may read."""

from __future__ import annotations

from pathlib import Path

import pytest

from runstone.errors import NotFound
from runstone.store.sql import SqlStore
from runstone.store.sql.auth import AuthStore
from runstone.store.sql.auth_entities import Permission
from runstone.store.sql.visibility import Reader


def test_lookups_name_the_experiment_or_raise_not_found(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        experiment_id = store.create_experiment("e")
        run = store.create_run(experiment_id, user_id="u", start_time=1)
        model = store.create_logged_model(experiment_id, name="m")
        assert store.experiment_id_of_run(run.info.run_id) == experiment_id
        assert store.experiment_id_of_logged_model(model.model_id) == experiment_id
        with pytest.raises(NotFound):
            store.experiment_id_of_run("0" * 32)
        with pytest.raises(NotFound):
            store.experiment_id_of_logged_model("m-missing")
        store.delete_logged_model(model.model_id)
        with pytest.raises(NotFound):
            store.experiment_id_of_logged_model(model.model_id)
    finally:
        store.close()


@pytest.mark.parametrize("default", list(Permission))
def test_searches_keep_what_a_reader_may_read(tmp_path: Path, default: Permission) -> None:
    uri = f"sqlite:///{tmp_path / 'r.db'}"
    store, auth = SqlStore(uri), AuthStore.open(uri)
    try:
        user = auth.create_user("carol", "a long password 1")
        ids = {p: store.create_experiment(p.name) for p in Permission}
        for permission, experiment_id in ids.items():
            auth.create_permission("experiment", experiment_id, "carol", permission)
            store.create_registered_model(f"model-{permission.name}")
            auth.create_permission(
                "registered_model", f"model-{permission.name}", "carol", permission
            )
        unlisted = store.create_experiment("no grant")
        store.create_registered_model("model-no-grant")
        reader = Reader(user.user_id, default)
        granted = {p.name for p in Permission if p.can_read}
        ungranted = {"no grant", "Default"} if default.can_read else set()
        found = {e.name for e in store.search_experiments(reader=reader).items}
        assert found == granted | ungranted
        models = {m.name for m in store.search_registered_models(reader=reader).items}
        extra = {"model-no-grant"} if default.can_read else set()
        assert models == {f"model-{name}" for name in granted} | extra
        versions_of = {f"model-{p.name}" for p in Permission} | {"model-no-grant"}
        for name in versions_of:
            store.create_model_version(name, "runs:/r/m")
        versions = {v.name for v in store.search_model_versions(reader=reader).items}
        assert versions == {f"model-{name}" for name in granted} | extra
        runs_of = [ids[Permission.NO_PERMISSIONS], ids[Permission.READ], unlisted]
        for experiment_id in runs_of:
            store.create_run(experiment_id, user_id="u", start_time=1)
        searched = store.search_runs(runs_of, reader=reader).items
        expected = {ids[Permission.READ]} | ({unlisted} if default.can_read else set())
        assert {r.info.experiment_id for r in searched} == expected
    finally:
        auth.close()
        store.close()
