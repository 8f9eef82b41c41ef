"""Registered models: create, read, rename, update, delete, tags, names."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound
from runstone.store.base import RegistryStore
from runstone.store.sql import SqlStore

Source = Callable[[str], str]


@pytest.fixture
def src(artifact_root: str) -> Source:
    """A model source below the artifact root: where a server lets versions point."""
    return lambda path: f"{artifact_root}/{path}"


def test_created_model_reads_back_with_tags_and_description(store: RegistryStore) -> None:
    made = store.create_registered_model(
        "fraud", tags={"team": "risk", "tier": "1"}, description="d"
    )
    assert made.name == "fraud"
    assert made.tags == {"team": "risk", "tier": "1"}
    assert made.description == "d"
    assert made.user_id == ""
    assert made.creation_timestamp == made.last_updated_timestamp > 0
    assert made.latest_versions == ()
    assert made.aliases == {}
    assert store.get_registered_model("fraud") == made


def test_model_without_tags_or_description_has_empty_ones(store: RegistryStore) -> None:
    made = store.create_registered_model("plain")
    assert (made.tags, made.description) == ({}, "")


def test_duplicate_name_is_rejected_with_mlflows_message(store: RegistryStore) -> None:
    store.create_registered_model("dup")
    with pytest.raises(AlreadyExists, match=r"^Registered Model \(name=dup\) already exists\.$"):
        store.create_registered_model("dup")


def test_names_differing_only_in_case_are_distinct_models(store: RegistryStore) -> None:
    store.create_registered_model("Model")
    store.create_registered_model("model")
    assert store.get_registered_model("Model").name == "Model"
    assert store.get_registered_model("model").name == "model"


def test_unicode_and_punctuated_names_work(store: RegistryStore, src: Source) -> None:
    for name in ["模型-ä", "Modèle ñ 1", "émoji 🚀 model", "a.b-c_d e", "café"]:
        store.create_registered_model(name, tags={"k": "v"})
        assert store.get_registered_model(name).name == name
        assert store.create_model_version(name, src("bucket/m")).version == "1"
        assert store.get_model_version(name, "1").name == name


LOOKALIKE_OR_UNSAFE_NAMES = [
    "",
    "   ",
    "a/b",
    "a:b",
    "x" * 257,
    " lead",
    "trail ",
    "zero\u200bwidth",
    "bidi\u202emark",
    "tab\tname",
    "cafe\u0301",  # NFD: looks like "café" (NFC) but is another string
    ".",
    "..",
]


def test_names_that_are_empty_unsafe_or_look_alike_are_rejected(store: RegistryStore) -> None:
    for bad in LOOKALIKE_OR_UNSAFE_NAMES:
        with pytest.raises(InvalidParameterValue, match="name"):
            store.create_registered_model(bad)
    assert list(store.search_registered_models()) == []
    store.create_registered_model("café")  # the NFC spelling is the one that is allowed
    with pytest.raises(InvalidParameterValue):
        store.rename_registered_model("café", "cafe\u0301")


def test_longest_allowed_name_works(store: RegistryStore) -> None:
    name = "n" * 256
    store.create_registered_model(name)
    assert store.get_registered_model(name).name == name


def test_unknown_model_is_reported_by_every_operation(store: RegistryStore, src: Source) -> None:
    message = r"^Registered Model with name=ghost not found$"
    with pytest.raises(NotFound, match=message):
        store.get_registered_model("ghost")
    with pytest.raises(NotFound, match=message):
        store.update_registered_model("ghost", "x")
    with pytest.raises(NotFound, match=message):
        store.rename_registered_model("ghost", "spirit")
    with pytest.raises(NotFound, match=message):
        store.delete_registered_model("ghost")
    with pytest.raises(NotFound, match=message):
        store.set_registered_model_tag("ghost", "k", "v")
    with pytest.raises(NotFound, match=message):
        store.delete_registered_model_tag("ghost", "k")
    with pytest.raises(NotFound, match=message):
        store.get_latest_versions("ghost")
    with pytest.raises(NotFound, match=message):
        store.create_model_version("ghost", src("b/m"))


def test_update_sets_description_and_last_updated_time(store: RegistryStore) -> None:
    made = store.create_registered_model("upd", description="old")
    updated = store.update_registered_model("upd", "new text")
    assert updated.description == "new text"
    assert updated.creation_timestamp == made.creation_timestamp
    assert updated.last_updated_timestamp >= made.last_updated_timestamp
    assert store.get_registered_model("upd") == updated


def test_too_long_description_is_rejected(store: RegistryStore) -> None:
    with pytest.raises(InvalidParameterValue, match="description"):
        store.create_registered_model("long", description="x" * 5001)
    store.create_registered_model("long", description="x" * 5000)
    with pytest.raises(InvalidParameterValue, match="description"):
        store.update_registered_model("long", "y" * 5001)
    assert store.get_registered_model("long").description == "x" * 5000


def test_rename_carries_versions_tags_and_aliases(store: RegistryStore, src: Source) -> None:
    store.create_registered_model("before", tags={"k": "v"}, description="kept")
    store.create_model_version("before", src("b/1"), tags={"vt": "1"})
    store.create_model_version("before", src("b/2"))
    store.set_registered_model_alias("before", "champion", "2")
    store.transition_model_version_stage("before", "1", "Production")

    renamed = store.rename_registered_model("before", "after")

    assert renamed.name == "after"
    assert renamed == store.get_registered_model("after")
    assert renamed.tags == {"k": "v"}
    assert renamed.description == "kept"
    assert renamed.aliases == {"champion": "2"}
    assert {(mv.name, mv.version) for mv in renamed.latest_versions} == {
        ("after", "1"),
        ("after", "2"),
    }
    assert store.get_model_version("after", 1).tags == {"vt": "1"}
    assert store.get_model_version_by_alias("after", "champion").version == "2"
    with pytest.raises(NotFound):
        store.get_registered_model("before")
    store.create_registered_model("before")  # the old name is free again
    assert store.create_model_version("after", src("b/3")).version == "3"


def test_rename_onto_an_existing_name_is_rejected(store: RegistryStore) -> None:
    store.create_registered_model("one")
    store.create_registered_model("two")
    with pytest.raises(AlreadyExists, match=r"Registered Model \(name=two\) already exists\."):
        store.rename_registered_model("one", "two")
    assert store.get_registered_model("one").name == "one"


def test_rename_to_a_bad_name_is_rejected(store: RegistryStore) -> None:
    store.create_registered_model("good")
    with pytest.raises(InvalidParameterValue):
        store.rename_registered_model("good", "bad/name")
    assert store.get_registered_model("good").name == "good"


def test_delete_removes_the_model_with_versions_tags_and_aliases(
    store: RegistryStore, src: Source
) -> None:
    store.create_registered_model("gone", tags={"k": "v"})
    store.create_model_version("gone", src("b/1"), tags={"t": "1"})
    store.create_model_version("gone", src("b/2"))
    store.set_registered_model_alias("gone", "prod", 1)
    store.delete_registered_model("gone")
    with pytest.raises(NotFound):
        store.get_registered_model("gone")
    with pytest.raises(NotFound):
        store.get_model_version("gone", 1)
    assert list(store.search_model_versions("name = 'gone'")) == []
    # A new model of the same name starts afresh: no tags, aliases, and version 1.
    again = store.create_registered_model("gone")
    assert (again.tags, again.aliases, again.latest_versions) == ({}, {}, ())
    assert store.create_model_version("gone", src("b/new")).version == "1"
    assert store.get_model_version("gone", 1).tags == {}


def test_model_tags_are_upserted_and_deleted(store: RegistryStore) -> None:
    store.create_registered_model("tagged", tags={"a": "1"})
    store.set_registered_model_tag("tagged", "b", "2")
    store.set_registered_model_tag("tagged", "a", "changed")
    assert store.get_registered_model("tagged").tags == {"a": "changed", "b": "2"}
    store.delete_registered_model_tag("tagged", "a")
    assert store.get_registered_model("tagged").tags == {"b": "2"}
    store.delete_registered_model_tag("tagged", "never-set")  # silently nothing, as in MLflow
    assert store.get_registered_model("tagged").tags == {"b": "2"}


def test_tag_keys_are_case_sensitive(store: RegistryStore) -> None:
    store.create_registered_model("cs")
    store.set_registered_model_tag("cs", "Key", "upper")
    store.set_registered_model_tag("cs", "key", "lower")
    assert store.get_registered_model("cs").tags == {"Key": "upper", "key": "lower"}


def test_model_tag_limits(store: RegistryStore) -> None:
    store.create_registered_model("limits")
    store.set_registered_model_tag("limits", "k" * 250, "v" * 100_000)
    assert store.get_registered_model("limits").tags == {"k" * 250: "v" * 100_000}
    with pytest.raises(InvalidParameterValue):
        store.set_registered_model_tag("limits", "k" * 251, "v")
    with pytest.raises(InvalidParameterValue):
        store.set_registered_model_tag("limits", "k", "v" * 100_001)
    with pytest.raises(InvalidParameterValue):
        store.set_registered_model_tag("limits", "", "v")
    with pytest.raises(InvalidParameterValue):
        store.set_registered_model_tag("limits", "../up", "v")
    with pytest.raises(InvalidParameterValue):
        store.create_registered_model("limits2", tags={"k": "v" * 100_001})
    with pytest.raises(NotFound):
        store.get_registered_model("limits2")  # nothing of a rejected create is stored


def test_megabytes_of_tags_on_a_model_and_its_latest_versions_read_back_whole(
    store: RegistryStore, src: Source
) -> None:
    """A model page is gathered into JSON by the database; nothing may cut it short (MariaDB
    truncates its JSON aggregates at ``group_concat_max_len``, 1 MiB by default)."""
    big = {f"k{i:02d}": chr(0x41 + i) * 99_990 + "\u00e9\"'\\" for i in range(15)}
    store.create_registered_model("heavy", tags=big, description="d" * 5000)
    for stage in ("Staging", "Production"):
        made = store.create_model_version("heavy", src("m"), tags=big, description="e" * 5000)
        store.transition_model_version_stage("heavy", made.version, stage, False)
    store.set_registered_model_alias("heavy", "champion", "2")
    model = store.get_registered_model("heavy")
    assert model.tags == big
    assert [(v.version, v.current_stage.value) for v in model.latest_versions] == [
        ("1", "Staging"),
        ("2", "Production"),
    ]
    assert all(v.tags == big for v in model.latest_versions)
    assert model.latest_versions[1].aliases == ("champion",)
    assert list(store.search_registered_models("name = 'heavy'")) == [model]


def test_idempotent_creates_return_what_the_first_attempt_made(
    database_uri: str, src: Source
) -> None:
    """SQL store only: a create retried with the same key (as the server does for a client
    that lost the answer) returns the first result instead of failing or duplicating."""
    store = SqlStore(database_uri)
    try:
        first = store.create_registered_model("idem", idempotency_key="k-model")
        again = store.create_registered_model("idem", idempotency_key="k-model")
        assert again == first
        with pytest.raises(AlreadyExists):
            store.create_registered_model("idem", idempotency_key="another-key")
        v1 = store.create_model_version("idem", src("b/1"), idempotency_key="k-version")
        v1_again = store.create_model_version("idem", src("b/1"), idempotency_key="k-version")
        assert v1_again.version == v1.version == "1"
        assert store.create_model_version("idem", src("b/2")).version == "2"
    finally:
        store.close()
