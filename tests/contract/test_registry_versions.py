"""Model versions: numbering, stages, latest versions, aliases, tags, download URIs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runstone.entities import ModelStage, ModelVersionStatus
from runstone.errors import InvalidParameterValue, NotFound
from runstone.store.base import RegistryStore

RUN_ID = "0123456789abcdef0123456789abcdef"

Source = Callable[[str], str]


@pytest.fixture
def src(artifact_root: str) -> Source:
    """A model source below the artifact root: where a server lets versions point."""
    return lambda path: f"{artifact_root}/{path}"


@pytest.fixture
def model(store: RegistryStore) -> str:
    store.create_registered_model("clf")
    return "clf"


def _versions(store: RegistryStore, name: str, count: int, src: Source) -> list[str]:
    return [
        store.create_model_version(name, src(f"bucket/{name}/{i}")).version for i in range(count)
    ]


def test_created_version_has_every_field(store: RegistryStore, model: str, src: Source) -> None:
    made = store.create_model_version(
        model,
        src("bucket/model"),
        run_id=RUN_ID,
        tags={"framework": "sklearn"},
        run_link="http://runs/1",
        description="first",
        user_id="alice",
    )
    assert made.name == model
    assert made.version == "1"
    assert made.source == src("bucket/model")
    assert made.run_id == RUN_ID
    assert made.run_link == "http://runs/1"
    assert made.description == "first"
    assert made.user_id == "alice"
    assert made.tags == {"framework": "sklearn"}
    assert made.aliases == ()
    assert made.current_stage is ModelStage.NONE
    assert made.status is ModelVersionStatus.READY
    assert made.creation_timestamp == made.last_updated_timestamp > 0
    assert store.get_model_version(model, "1") == made
    assert store.get_model_version(model, 1) == made


def test_version_without_run_has_empty_run_fields(
    store: RegistryStore, model: str, src: Source
) -> None:
    made = store.create_model_version(model, src("bucket/m"))
    assert (made.run_id, made.run_link, made.description, made.tags) == ("", "", "", {})


def test_creating_a_version_updates_the_models_last_updated_time(
    store: RegistryStore, model: str, src: Source
) -> None:
    before = store.get_registered_model(model).last_updated_timestamp
    made = store.create_model_version(model, src("bucket/m"))
    after = store.get_registered_model(model).last_updated_timestamp
    assert after >= before
    assert after >= made.creation_timestamp


def test_versions_count_up_and_are_never_reused_after_delete(
    store: RegistryStore, model: str, src: Source
) -> None:
    assert _versions(store, model, 3, src) == ["1", "2", "3"]
    store.delete_model_version(model, "3")
    assert _versions(store, model, 1, src) == ["4"]
    for number in ("1", "2", "4"):
        store.delete_model_version(model, number)
    assert _versions(store, model, 1, src) == ["5"]


def test_versions_are_numbered_per_model(store: RegistryStore, src: Source) -> None:
    store.create_registered_model("a")
    store.create_registered_model("b")
    assert _versions(store, "a", 2, src) == ["1", "2"]
    assert _versions(store, "b", 1, src) == ["1"]


def test_unknown_version_is_reported(store: RegistryStore, model: str, src: Source) -> None:
    _versions(store, model, 1, src)
    message = r"^Model Version \(name=clf, version=7\) not found$"
    with pytest.raises(NotFound, match=message):
        store.get_model_version(model, "7")
    with pytest.raises(NotFound, match=message):
        store.update_model_version(model, 7, "d")
    with pytest.raises(NotFound, match=message):
        store.delete_model_version(model, "7")
    with pytest.raises(NotFound, match=message):
        store.transition_model_version_stage(model, "7", "Staging")
    with pytest.raises(NotFound, match=message):
        store.set_model_version_tag(model, "7", "k", "v")
    with pytest.raises(NotFound, match=message):
        store.delete_model_version_tag(model, "7", "k")
    with pytest.raises(NotFound, match=message):
        store.set_registered_model_alias(model, "champion", "7")
    with pytest.raises(NotFound, match=message):
        store.get_model_version_download_uri(model, "7")
    with pytest.raises(NotFound, match=r"^Model Version \(name=nope, version=1\) not found$"):
        store.get_model_version("nope", "1")


def test_malformed_version_numbers_are_rejected(store: RegistryStore, model: str) -> None:
    for bad in ["abc", "0", "-1", "1.5", "", " ", "\u0661"]:  # the last: an Arabic-Indic one
        with pytest.raises(InvalidParameterValue, match="version"):
            store.get_model_version(model, bad)


def test_unsafe_or_empty_sources_are_rejected(
    store: RegistryStore, model: str, src: Source
) -> None:
    bad = ["", " ", src("b/../secret"), src("b/%2e%2e/secret"), "/tmp/a/../b", "x\x00y", "s" * 501]
    for source in bad:
        with pytest.raises(InvalidParameterValue, match="source"):
            store.create_model_version(model, source)
    assert list(store.search_model_versions()) == []
    longest = src("s" * 500)[:500]
    assert store.create_model_version(model, longest).source == longest


def test_malformed_run_ids_are_rejected(store: RegistryStore, model: str, src: Source) -> None:
    for run_id in ["not a run id!", "-leading-dash", "a" * 300]:
        with pytest.raises(InvalidParameterValue, match="run_id"):
            store.create_model_version(model, src("b/m"), run_id=run_id)
    assert list(store.search_model_versions()) == []


def test_update_sets_the_version_description(store: RegistryStore, model: str, src: Source) -> None:
    made = store.create_model_version(model, src("b/m"), description="old")
    updated = store.update_model_version(model, "1", "new")
    assert updated.description == "new"
    assert updated.last_updated_timestamp >= made.last_updated_timestamp
    assert store.get_model_version(model, 1).description == "new"
    with pytest.raises(InvalidParameterValue, match="description"):
        store.update_model_version(model, 1, "x" * 5001)


# -- stages --------------------------------------------------------------------------------------


def test_stage_names_are_case_insensitive_and_answered_canonically(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 1, src)
    for given, expected in [
        ("staging", ModelStage.STAGING),
        ("PRODUCTION", ModelStage.PRODUCTION),
        ("Archived", ModelStage.ARCHIVED),
        ("none", ModelStage.NONE),
        (" Staging ", ModelStage.STAGING),  # surrounding spaces are forgiven
        (ModelStage.PRODUCTION, ModelStage.PRODUCTION),
    ]:
        moved = store.transition_model_version_stage(model, "1", given)
        assert moved.current_stage is expected
        assert store.get_model_version(model, "1").current_stage is expected


def test_unknown_stages_are_rejected(store: RegistryStore, model: str, src: Source) -> None:
    _versions(store, model, 1, src)
    for bad in ["prod", "Deleted_Internal", "", "Stag ing"]:
        with pytest.raises(InvalidParameterValue, match="stage"):
            store.transition_model_version_stage(model, "1", bad)
    assert store.get_model_version(model, "1").current_stage is ModelStage.NONE


def test_archive_existing_moves_the_other_versions_in_that_stage_only(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 4, src)
    store.transition_model_version_stage(model, "1", "Production")
    store.transition_model_version_stage(model, "2", "Production")
    store.transition_model_version_stage(model, "3", "Staging")
    moved = store.transition_model_version_stage(
        model, "4", "Production", archive_existing_versions=True
    )
    assert moved.current_stage is ModelStage.PRODUCTION
    stages = {n: store.get_model_version(model, n).current_stage for n in "1234"}
    assert stages == {
        "1": ModelStage.ARCHIVED,
        "2": ModelStage.ARCHIVED,
        "3": ModelStage.STAGING,
        "4": ModelStage.PRODUCTION,
    }


def test_without_archive_existing_several_versions_share_a_stage(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 2, src)
    store.transition_model_version_stage(model, "1", "Staging")
    store.transition_model_version_stage(model, "2", "Staging")
    assert {store.get_model_version(model, n).current_stage for n in "12"} == {ModelStage.STAGING}


def test_archive_existing_is_refused_for_inactive_stages(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 1, src)
    for stage in ["None", "archived"]:
        with pytest.raises(InvalidParameterValue, match="archive"):
            store.transition_model_version_stage(model, "1", stage, archive_existing_versions=True)
    assert store.get_model_version(model, "1").current_stage is ModelStage.NONE


def test_latest_versions_are_the_newest_per_stage(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 6, src)
    for number, stage in [("1", "Production"), ("2", "Production"), ("3", "Staging")]:
        store.transition_model_version_stage(model, number, stage)
    store.transition_model_version_stage(model, "4", "Archived")
    # 5 and 6 stay in None
    latest = store.get_latest_versions(model)
    assert [(mv.current_stage, mv.version) for mv in latest] == [
        (ModelStage.NONE, "6"),
        (ModelStage.STAGING, "3"),
        (ModelStage.PRODUCTION, "2"),
        (ModelStage.ARCHIVED, "4"),
    ]
    assert store.get_latest_versions(model, []) == latest
    registered = store.get_registered_model(model)
    assert {(mv.current_stage, mv.version) for mv in registered.latest_versions} == {
        (mv.current_stage, mv.version) for mv in latest
    }
    only = store.get_latest_versions(model, ["production", "STAGING"])
    assert [(mv.current_stage, mv.version) for mv in only] == [
        (ModelStage.STAGING, "3"),
        (ModelStage.PRODUCTION, "2"),
    ]
    with pytest.raises(InvalidParameterValue, match="stage"):
        store.get_latest_versions(model, ["bogus"])


def test_latest_versions_skip_stages_without_versions_and_follow_deletes(
    store: RegistryStore, model: str, src: Source
) -> None:
    assert store.get_latest_versions(model) == []
    _versions(store, model, 2, src)
    store.transition_model_version_stage(model, "2", "Production")
    assert [mv.version for mv in store.get_latest_versions(model, ["Production"])] == ["2"]
    store.delete_model_version(model, "2")
    assert store.get_latest_versions(model, ["Production"]) == []
    assert [mv.version for mv in store.get_registered_model(model).latest_versions] == ["1"]


def test_latest_versions_follow_archiving_and_moves_back(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 3, src)
    store.transition_model_version_stage(model, "1", "Production")
    store.transition_model_version_stage(model, "2", "Production", archive_existing_versions=True)
    latest = {mv.current_stage: mv.version for mv in store.get_latest_versions(model)}
    assert latest == {
        ModelStage.NONE: "3",
        ModelStage.PRODUCTION: "2",
        ModelStage.ARCHIVED: "1",
    }
    store.transition_model_version_stage(model, "3", "Archived")
    store.transition_model_version_stage(model, "2", "None")
    latest = {
        mv.current_stage: mv.version for mv in store.get_registered_model(model).latest_versions
    }
    assert latest == {ModelStage.NONE: "2", ModelStage.ARCHIVED: "3"}


def test_latest_versions_carry_their_tags(store: RegistryStore, model: str, src: Source) -> None:
    store.create_model_version(model, src("b/m"), tags={"k": "v"})
    (latest,) = store.get_registered_model(model).latest_versions
    assert latest.tags == {"k": "v"}
    assert store.get_latest_versions(model)[0] == store.get_model_version(model, 1)


# -- aliases -------------------------------------------------------------------------------------


def test_alias_points_at_a_version_and_can_be_moved(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 2, src)
    store.set_registered_model_alias(model, "champion", "1")
    store.set_registered_model_alias(model, "challenger", 2)
    assert store.get_model_version_by_alias(model, "champion").version == "1"
    assert store.get_registered_model(model).aliases == {"champion": "1", "challenger": "2"}
    assert store.get_model_version(model, "1").aliases == ("champion",)

    store.set_registered_model_alias(model, "champion", "2")  # re-pointing moves it

    assert store.get_model_version_by_alias(model, "champion").version == "2"
    assert store.get_model_version(model, "1").aliases == ()
    assert store.get_model_version(model, "2").aliases == ("challenger", "champion")
    assert store.get_registered_model(model).aliases == {"champion": "2", "challenger": "2"}


def test_deleting_a_version_deletes_its_aliases(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 2, src)
    store.set_registered_model_alias(model, "a", "1")
    store.set_registered_model_alias(model, "b", "2")
    store.delete_model_version(model, "1")
    assert store.get_registered_model(model).aliases == {"b": "2"}
    with pytest.raises(NotFound, match=r"^Registered model alias a not found\.$"):
        store.get_model_version_by_alias(model, "a")


def test_deleting_an_alias_and_a_missing_alias(
    store: RegistryStore, model: str, src: Source
) -> None:
    _versions(store, model, 1, src)
    store.set_registered_model_alias(model, "gone", "1")
    store.delete_registered_model_alias(model, "gone")
    assert store.get_registered_model(model).aliases == {}
    store.delete_registered_model_alias(model, "never-set")  # silently nothing, as in MLflow
    with pytest.raises(NotFound, match="Registered Model with name=ghost not found"):
        store.delete_registered_model_alias("ghost", "a")
    with pytest.raises(NotFound, match="Registered Model with name=ghost not found"):
        store.get_model_version_by_alias("ghost", "a")


def test_reserved_alias_names_are_rejected(store: RegistryStore, model: str, src: Source) -> None:
    _versions(store, model, 1, src)
    for reserved in ["latest", "LATEST", "Latest", "v1", "V12", "v007"]:
        with pytest.raises(InvalidParameterValue, match="reserved"):
            store.set_registered_model_alias(model, reserved, "1")
    assert store.get_registered_model(model).aliases == {}


def test_malformed_alias_names_are_rejected(store: RegistryStore, model: str, src: Source) -> None:
    _versions(store, model, 1, src)
    for bad in ["", "has space", "dot.ted", "slash/ed", "a" * 256, "zero\u200bwidth"]:
        with pytest.raises(InvalidParameterValue, match="alias"):
            store.set_registered_model_alias(model, bad, "1")
    assert store.get_registered_model(model).aliases == {}


def test_alias_names_that_are_allowed(store: RegistryStore, model: str, src: Source) -> None:
    _versions(store, model, 1, src)
    for alias in ["vnext", "v1a", "latest-good", "Prod_2", "a" * 255, "ünïcode"]:
        store.set_registered_model_alias(model, alias, "1")
        assert store.get_model_version_by_alias(model, alias).version == "1"


def test_aliases_belong_to_their_model(store: RegistryStore, src: Source) -> None:
    store.create_registered_model("x")
    store.create_registered_model("y")
    _versions(store, "x", 1, src)
    _versions(store, "y", 2, src)
    store.set_registered_model_alias("x", "prod", "1")
    store.set_registered_model_alias("y", "prod", "2")
    assert store.get_model_version_by_alias("x", "prod").name == "x"
    assert store.get_model_version_by_alias("y", "prod").version == "2"


# -- version tags --------------------------------------------------------------------------------


def test_version_tags_are_upserted_and_deleted(
    store: RegistryStore, model: str, src: Source
) -> None:
    store.create_model_version(model, src("b/m"), tags={"a": "1"})
    _versions(store, model, 1, src)
    store.set_model_version_tag(model, "1", "b", "2")
    store.set_model_version_tag(model, 1, "a", "changed")
    assert store.get_model_version(model, "1").tags == {"a": "changed", "b": "2"}
    assert store.get_model_version(model, "2").tags == {}
    store.delete_model_version_tag(model, "1", "a")
    store.delete_model_version_tag(model, "1", "never-set")  # silently nothing
    assert store.get_model_version(model, "1").tags == {"b": "2"}


def test_version_tag_limits(store: RegistryStore, model: str, src: Source) -> None:
    _versions(store, model, 1, src)
    store.set_model_version_tag(model, "1", "k" * 250, "v" * 100_000)
    assert store.get_model_version(model, "1").tags == {"k" * 250: "v" * 100_000}
    with pytest.raises(InvalidParameterValue):
        store.set_model_version_tag(model, "1", "k" * 251, "v")
    with pytest.raises(InvalidParameterValue):
        store.set_model_version_tag(model, "1", "k", "v" * 100_001)
    with pytest.raises(InvalidParameterValue):
        store.create_model_version(model, src("b/m"), tags={"": "v"})
    assert [mv.version for mv in store.search_model_versions()] == ["1"]


# -- download URIs -------------------------------------------------------------------------------


def test_download_uri_of_a_plain_source_is_the_source(
    store: RegistryStore, model: str, src: Source
) -> None:
    store.create_model_version(model, src("bucket/path/model"))
    store.create_model_version(model, f"runs:/{RUN_ID}/model", run_id=RUN_ID)
    assert store.get_model_version_download_uri(model, "1") == src("bucket/path/model")
    assert store.get_model_version_download_uri(model, 2) == f"runs:/{RUN_ID}/model"


def test_download_uri_follows_models_uris_through_the_registry(
    store: RegistryStore, src: Source
) -> None:
    store.create_registered_model("base")
    store.create_registered_model("copy")
    store.create_registered_model("copy2")
    store.create_model_version("base", src("bucket/real"))
    store.create_model_version("copy", "models:/base/1")
    store.set_registered_model_alias("copy", "prod", "1")
    store.create_model_version("copy2", "models:/copy@prod")
    assert store.get_model_version_download_uri("copy", "1") == src("bucket/real")
    assert store.get_model_version_download_uri("copy2", "1") == src("bucket/real")


def test_download_uri_refuses_a_loop(store: RegistryStore) -> None:
    store.create_registered_model("p")
    store.create_registered_model("q")
    store.create_model_version("p", "models:/q/1")
    store.create_model_version("q", "models:/p/1")
    with pytest.raises(InvalidParameterValue, match="loop"):
        store.get_model_version_download_uri("p", "1")
