from __future__ import annotations

import pytest

from runstone.entities import LifecycleStage, ViewType
from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound
from runstone.store.base import TrackingStore
from runstone.store.sql import SqlStore


def test_default_experiment_zero_exists_in_a_new_store(store: SqlStore) -> None:
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage is LifecycleStage.ACTIVE
    assert default.artifact_location.endswith("/0")


def test_created_experiment_reads_back_with_tags_and_default_location(store: SqlStore) -> None:
    exp_id = store.create_experiment("alpha", tags={"team": "vision", "prio": "1"})
    exp = store.get_experiment(exp_id)
    assert exp.experiment_id == exp_id == "1"
    assert exp.name == "alpha"
    assert exp.tags == {"team": "vision", "prio": "1"}
    assert exp.artifact_location.endswith(f"/artifacts/{exp_id}")
    assert exp.creation_time == exp.last_update_time > 0


def test_explicit_artifact_location_is_kept(store: SqlStore, artifact_root: str) -> None:
    location = f"{artifact_root}/elsewhere/loc"
    exp_id = store.create_experiment("loc", artifact_location=location)
    assert store.get_experiment(exp_id).artifact_location == location


def test_get_experiment_by_name_finds_it_or_returns_none(store: SqlStore) -> None:
    exp_id = store.create_experiment("Named")
    found = store.get_experiment_by_name("Named")
    assert found is not None
    assert found.experiment_id == exp_id
    assert store.get_experiment_by_name("named") is None  # names are case-sensitive
    assert store.get_experiment_by_name("missing") is None


def test_duplicate_name_is_rejected_even_after_delete(store: SqlStore) -> None:
    exp_id = store.create_experiment("dup")
    with pytest.raises(AlreadyExists, match="dup"):
        store.create_experiment("dup")
    store.delete_experiment(exp_id)
    with pytest.raises(AlreadyExists):
        store.create_experiment("dup")


def test_names_differing_only_in_case_are_distinct(store: SqlStore) -> None:
    a = store.create_experiment("Case")
    b = store.create_experiment("case")
    assert a != b


@pytest.mark.parametrize("bad", ["", "   ", "x" * 501])
def test_bad_experiment_names_are_rejected_and_nothing_is_stored(store: SqlStore, bad: str) -> None:
    with pytest.raises(InvalidParameterValue, match="experiment name"):
        store.create_experiment(bad)
    assert [e.name for e in store.search_experiments(view_type=ViewType.ALL)] == ["Default"]


def test_unknown_or_malformed_experiment_id_is_reported(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="No Experiment with id=999"):
        store.get_experiment("999")
    with pytest.raises(InvalidParameterValue, match="experiment_id"):
        store.get_experiment("abc")


def test_rename_changes_name_and_frees_the_old_one(store: SqlStore) -> None:
    exp_id = store.create_experiment("old")
    before = store.get_experiment(exp_id).last_update_time
    store.rename_experiment(exp_id, "new")
    exp = store.get_experiment(exp_id)
    assert exp.name == "new"
    assert exp.last_update_time >= before
    assert store.create_experiment("old") != exp_id


def test_rename_to_a_taken_name_fails_and_keeps_the_name(store: SqlStore) -> None:
    store.create_experiment("taken")
    exp_id = store.create_experiment("mine")
    with pytest.raises(AlreadyExists):
        store.rename_experiment(exp_id, "taken")
    assert store.get_experiment(exp_id).name == "mine"


def test_delete_and_restore_move_the_experiment_and_its_runs(store: SqlStore) -> None:
    exp_id = store.create_experiment("lifecycle")
    run = store.create_run(exp_id, start_time=1)
    earlier = store.create_run(exp_id, start_time=2)
    store.delete_run(earlier.info.run_id)
    store.delete_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidParameterValue, match="active"):
        store.create_run(exp_id)
    store.restore_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.ACTIVE
    # a run deleted on its own before the experiment stays deleted
    assert store.get_run(earlier.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED


def test_restore_of_an_active_experiment_is_an_error(store: SqlStore) -> None:
    exp_id = store.create_experiment("active")
    with pytest.raises(InvalidParameterValue):
        store.restore_experiment(exp_id)


def test_experiment_tags_upsert_and_delete(store: SqlStore) -> None:
    exp_id = store.create_experiment("tags")
    store.set_experiment_tag(exp_id, "k", "v1")
    store.set_experiment_tag(exp_id, "k", "v2")
    store.set_experiment_tag(exp_id, "other", "x")
    assert store.get_experiment(exp_id).tags == {"k": "v2", "other": "x"}
    store.delete_experiment_tag(exp_id, "k")
    assert store.get_experiment(exp_id).tags == {"other": "x"}
    with pytest.raises(NotFound):
        store.delete_experiment_tag(exp_id, "k")


def test_experiment_tag_value_over_limit_is_rejected(store: SqlStore) -> None:
    exp_id = store.create_experiment("limits")
    store.set_experiment_tag(exp_id, "ok", "x" * 20000)
    with pytest.raises(InvalidParameterValue, match="20000"):
        store.set_experiment_tag(exp_id, "big", "x" * 20001)
    assert "big" not in store.get_experiment(exp_id).tags


def test_search_experiments_view_types_and_default_order(store: SqlStore) -> None:
    a = store.create_experiment("a")
    b = store.create_experiment("b")
    c = store.create_experiment("c")
    store.delete_experiment(b)
    active = store.search_experiments()
    assert {e.experiment_id for e in active} == {"0", a, c}
    keys = [(-e.creation_time, int(e.experiment_id)) for e in active]
    assert keys == sorted(keys)  # creation_time DESC, then experiment_id
    assert {e.experiment_id for e in store.search_experiments(view_type=ViewType.DELETED_ONLY)} == {
        b
    }
    assert len(store.search_experiments(view_type=ViewType.ALL)) == 4


def test_search_experiments_filter_and_order(store: SqlStore) -> None:
    for name in ("exp-a", "exp-b", "other"):
        exp_id = store.create_experiment(name)
        store.set_experiment_tag(exp_id, "kind", "x" if name.startswith("exp") else "y")
    names = [
        e.name
        for e in store.search_experiments(filter_string="name LIKE 'exp-%'", order_by=["name DESC"])
    ]
    assert names == ["exp-b", "exp-a"]
    tagged = store.search_experiments(filter_string="tags.kind = 'y'")
    assert [e.name for e in tagged] == ["other"]
    untagged = store.search_experiments(filter_string="tags.kind IS NULL")
    assert [e.name for e in untagged] == ["Default"]
    ilike = store.search_experiments(filter_string="name ILIKE 'EXP%'", order_by=["name"])
    assert [e.name for e in ilike] == ["exp-a", "exp-b"]


def test_search_experiments_pages_through_everything_once(store: SqlStore) -> None:
    created = {store.create_experiment(f"page-{i}") for i in range(7)} | {"0"}
    seen: list[str] = []
    token = None
    while True:
        page = store.search_experiments(max_results=3, page_token=token, order_by=["name"])
        seen += [e.experiment_id for e in page]
        token = page.next_page_token
        if token is None:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(created)


@pytest.mark.parametrize("max_results", [0, -1, 50001])
def test_search_experiments_rejects_bad_max_results(store: SqlStore, max_results: int) -> None:
    with pytest.raises(InvalidParameterValue, match="max_results"):
        store.search_experiments(max_results=max_results)


def test_search_experiments_rejects_bad_page_token(store: SqlStore) -> None:
    with pytest.raises(InvalidParameterValue, match="page token"):
        store.search_experiments(page_token="not-a-token")


def test_sql_store_implements_the_tracking_store_protocol(store: SqlStore) -> None:
    assert isinstance(store, TrackingStore)
    typed: TrackingStore = store  # mypy checks the signatures too
    assert typed.get_experiment("0").name == "Default"
