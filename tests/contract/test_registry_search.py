"""Searching registered models and model versions: filters, ordering, pages, prompts."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from runstone.errors import InvalidParameterValue
from runstone.store.base import RegistryStore

RUN_A = "a" * 32
RUN_B = "b" * 32
PROMPT_TAG = "mlflow.prompt.is_prompt"

Source = Callable[[str], str]


@pytest.fixture
def src(artifact_root: str) -> Source:
    """A model source below the artifact root: where a server lets versions point."""
    return lambda path: f"{artifact_root}/{path}"


def _names(page: object) -> list[str]:
    return [m.name for m in page]  # type: ignore[attr-defined]


def _accepted(search: Callable[..., object], **arguments: object) -> bool:
    """Whether ``search`` answers rather than refusing the arguments as invalid."""
    try:
        search(**arguments)
    except InvalidParameterValue:
        return False
    return True


def _pairs(page: object) -> list[tuple[str, str]]:
    return [(mv.name, mv.version) for mv in page]  # type: ignore[attr-defined]


@pytest.fixture
def models(store: RegistryStore) -> RegistryStore:
    """Five models, created (and so last updated) in this order, with tags."""
    for name, tags in [
        ("alpha", {"team": "vision", "tier": "gold"}),
        ("beta", {"team": "Vision"}),
        ("Gamma", {"team": "nlp"}),
        ("delta", {}),
        ("alphabet", {"team": "nlp", "tier": "silver"}),
    ]:
        store.create_registered_model(name, tags=tags)
        time.sleep(0.003)  # distinct last-updated times
    return store


# -- registered models ---------------------------------------------------------------------------


def test_all_models_by_default_in_name_order(models: RegistryStore) -> None:
    page = models.search_registered_models()
    assert _names(page) == ["Gamma", "alpha", "alphabet", "beta", "delta"]
    assert page.next_page_token is None


MODEL_FILTERS: list[tuple[str, list[str]]] = [
    ("name = 'alpha'", ["alpha"]),
    ("attribute.name = 'alpha'", ["alpha"]),
    ("name != 'alpha'", ["Gamma", "alphabet", "beta", "delta"]),
    ("name LIKE 'alpha%'", ["alpha", "alphabet"]),
    ("name LIKE 'gamma'", []),  # LIKE is case-sensitive
    ("name ILIKE 'gamma'", ["Gamma"]),
    ("name ILIKE '%A'", ["Gamma", "alpha", "beta", "delta"]),
    ("name LIKE '_eta'", ["beta"]),
    ("name IN ('alpha', 'delta', 'nope')", ["alpha", "delta"]),
    ("name NOT IN ('alpha', 'delta')", ["Gamma", "alphabet", "beta"]),
    ("tags.team = 'vision'", ["alpha"]),
    ("tag.team != 'vision'", ["Gamma", "alphabet", "beta"]),  # no tag: no match
    ("tags.team LIKE 'V%'", ["beta"]),
    ("tags.team ILIKE 'v%'", ["alpha", "beta"]),
    ("tags.`team` = 'nlp' AND tags.tier = 'silver'", ["alphabet"]),
    ("name = 'alpha' OR name = 'beta'", ["alpha", "beta"]),
    ("(tags.team = 'nlp' OR name = 'delta') AND name != 'Gamma'", ["alphabet", "delta"]),
    ("", ["Gamma", "alpha", "alphabet", "beta", "delta"]),
]


def test_model_filters(models: RegistryStore) -> None:
    # One store for every case: a fresh database per case would cost more than the searches.
    for filter_string, expected in MODEL_FILTERS:
        found = _names(models.search_registered_models(filter_string))
        assert found == expected, filter_string


MODEL_ORDERINGS: list[tuple[list[str], list[str]]] = [
    (["name DESC"], ["delta", "beta", "alphabet", "alpha", "Gamma"]),
    (["name ASC"], ["Gamma", "alpha", "alphabet", "beta", "delta"]),
    (["last_updated_timestamp"], ["alpha", "beta", "Gamma", "delta", "alphabet"]),
    (["last_updated_timestamp DESC"], ["alphabet", "delta", "Gamma", "beta", "alpha"]),
    (["timestamp DESC"], ["alphabet", "delta", "Gamma", "beta", "alpha"]),
]


def test_model_ordering(models: RegistryStore) -> None:
    for order_by, expected in MODEL_ORDERINGS:
        assert _names(models.search_registered_models(order_by=order_by)) == expected, order_by


def test_updating_a_model_moves_it_in_last_updated_order(models: RegistryStore) -> None:
    models.update_registered_model("alpha", "touched")
    newest_first = models.search_registered_models(order_by=["last_updated_timestamp DESC"])
    assert _names(newest_first)[0] == "alpha"


def test_equal_timestamps_tie_break_by_name(store: RegistryStore) -> None:
    for name in ["c", "a", "b"]:
        store.create_registered_model(name)
    # Timestamps may or may not coincide; within one, names ascend.
    page = store.search_registered_models(order_by=["last_updated_timestamp"])
    stamps = [(m.last_updated_timestamp, m.name) for m in page]
    assert stamps == sorted(stamps)


def test_model_pages_follow_tokens(models: RegistryStore) -> None:
    seen: list[str] = []
    token = None
    for _ in range(3):
        page = models.search_registered_models(max_results=2, page_token=token)
        seen += _names(page)
        token = page.next_page_token
    assert token is None
    assert seen == ["Gamma", "alpha", "alphabet", "beta", "delta"]
    exact = models.search_registered_models(max_results=5)
    assert exact.next_page_token is None


def test_model_page_size_must_be_1_to_1000(models: RegistryStore) -> None:
    for max_results in (0, -1, 1001):
        with pytest.raises(InvalidParameterValue, match="max_results"):
            models.search_registered_models(max_results=max_results)
    assert len(models.search_registered_models(max_results=1000)) == 5


BAD_MODEL_FILTERS = [
    "name = alpha",  # unquoted string
    "name > 'a'",
    "name IS NULL",
    "tags.team IS NULL",
    "tags.team IN ('a')",
    "creation_timestamp > 5",
    "version_number = 1",
    "metrics.acc > 1",
    "name = 'a' OR OR name = 'b'",
    "(name = 'a'",
    "name IN ()",
]
BAD_MODEL_ORDERINGS = [
    ["creation_timestamp"],
    ["tags.team"],
    ["name SIDEWAYS"],
    ["name", "name DESC"],
]


def test_bad_model_filters_and_orderings_are_invalid_parameters(models: RegistryStore) -> None:
    search = models.search_registered_models
    assert [bad for bad in BAD_MODEL_FILTERS if _accepted(search, filter_string=bad)] == []
    assert [bad for bad in BAD_MODEL_ORDERINGS if _accepted(search, order_by=bad)] == []


def test_bad_page_token_is_an_invalid_parameter(models: RegistryStore) -> None:
    with pytest.raises(InvalidParameterValue):
        models.search_registered_models(page_token="not a token")
    with pytest.raises(InvalidParameterValue):
        models.search_model_versions(page_token="eyJvZmZzZXQiOiAtMX0=")  # offset -1


def test_prompts_are_left_out_unless_the_filter_asks_for_them(
    models: RegistryStore, src: Source
) -> None:
    models.create_registered_model("my-prompt", tags={PROMPT_TAG: "true"})
    models.create_registered_model("not-a-prompt", tags={PROMPT_TAG: "false"})
    models.create_model_version("my-prompt", src("b/prompt"))
    models.create_model_version("alpha", src("b/alpha"))
    everything = _names(models.search_registered_models())
    assert "my-prompt" not in everything
    assert "not-a-prompt" in everything
    assert _names(models.search_registered_models("name LIKE 'my-%'")) == []
    asked = models.search_registered_models(f"tags.`{PROMPT_TAG}` = 'true'")
    assert _names(asked) == ["my-prompt"]
    # Model version searches leave out the prompts' versions the same way.
    assert _pairs(models.search_model_versions()) == [("alpha", "1")]
    prompt_versions = models.search_model_versions(f"tags.`{PROMPT_TAG}` = 'true'")
    assert _pairs(prompt_versions) == [("my-prompt", "1")]


def test_the_not_a_prompt_filter_mlflow_clients_add_matches_untagged_models(
    models: RegistryStore, src: Source
) -> None:
    """MLflow 3 clients append ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every registry
    search; models (and versions of models) without the tag are not prompts and match it."""
    models.create_registered_model("my-prompt", tags={PROMPT_TAG: "true"})
    models.create_model_version("my-prompt", src("b/prompt"))
    models.create_model_version("alpha", src("b/alpha"))
    not_prompt = f"tag.`{PROMPT_TAG}` != 'true'"
    found = models.search_registered_models(not_prompt)
    assert _names(found) == ["Gamma", "alpha", "alphabet", "beta", "delta"]
    found = models.search_registered_models(f"tags.team = 'nlp' AND {not_prompt}")
    assert _names(found) == ["Gamma", "alphabet"]
    assert _pairs(models.search_model_versions(not_prompt)) == [("alpha", "1")]


def test_search_returns_full_models(models: RegistryStore, src: Source) -> None:
    models.create_model_version("beta", src("b/1"), tags={"k": "v"})
    models.create_model_version("beta", src("b/2"))
    models.transition_model_version_stage("beta", "2", "Production")
    models.set_registered_model_alias("beta", "prod", "2")
    (found,) = models.search_registered_models("name = 'beta'")
    assert found == models.get_registered_model("beta")
    assert found.aliases == {"prod": "2"}
    assert {mv.version for mv in found.latest_versions} == {"1", "2"}


def test_a_page_of_many_models_loads_each_with_its_own_details(
    store: RegistryStore, src: Source
) -> None:
    count = 510  # more than one batch of loads
    for i in range(count):
        store.create_registered_model(f"m{i:04d}", tags={"i": str(i)})
    for i in (0, 250, 505):
        store.create_model_version(f"m{i:04d}", src(f"b/{i}"))
        store.set_registered_model_alias(f"m{i:04d}", "a", "1")
    page = store.search_registered_models(max_results=1000)
    assert len(page) == count
    for i, found in enumerate(page):
        assert found.name == f"m{i:04d}"
        assert found.tags == {"i": str(i)}
        has_version = i in (0, 250, 505)
        assert found.aliases == ({"a": "1"} if has_version else {})
        assert [mv.source for mv in found.latest_versions] == (
            [src(f"b/{i}")] if has_version else []
        )


# -- model versions ------------------------------------------------------------------------------


@pytest.fixture
def versions(store: RegistryStore, src: Source) -> RegistryStore:
    """Models m1 (3 versions) and m2 (2 versions), created in the order listed."""
    store.create_registered_model("m1")
    store.create_registered_model("m2")
    for name, source, run_id, tags in [
        ("m1", src("bucket/m1/v1"), RUN_A, {"flavor": "sklearn"}),
        ("m1", src("bucket/m1/v2"), RUN_B, {"flavor": "torch"}),
        ("m2", src("other/m2/v1"), RUN_A, {"flavor": "Torch"}),
        ("m1", src("bucket/m1/v3"), None, {}),
        ("m2", src("g/m2/v2"), None, {"owner": "x"}),
    ]:
        store.create_model_version(name, source, run_id=run_id, tags=tags)
        time.sleep(0.003)
    return store


def test_versions_default_to_newest_change_first(versions: RegistryStore) -> None:
    assert _pairs(versions.search_model_versions()) == [
        ("m2", "2"),
        ("m1", "3"),
        ("m2", "1"),
        ("m1", "2"),
        ("m1", "1"),
    ]


VERSION_FILTERS: list[tuple[str, list[tuple[str, str]]]] = [
    ("name = 'm1'", [("m1", "3"), ("m1", "2"), ("m1", "1")]),
    ("name IN ('m2')", [("m2", "2"), ("m2", "1")]),
    ("name NOT IN ('m1')", [("m2", "2"), ("m2", "1")]),
    ("name LIKE 'M%'", []),
    ("name ILIKE 'M2'", [("m2", "2"), ("m2", "1")]),
    (f"run_id = '{RUN_A}'", [("m2", "1"), ("m1", "1")]),
    (f"run_id IN ('{RUN_A}', '{RUN_B}')", [("m2", "1"), ("m1", "2"), ("m1", "1")]),
    (f"run_id != '{RUN_A}'", [("m1", "2")]),  # versions without a run do not match
    ("source_path LIKE '{root}/bucket/%'", [("m1", "3"), ("m1", "2"), ("m1", "1")]),
    ("source_path = '{root}/g/m2/v2'", [("m2", "2")]),
    ("source_path LIKE '%/M2/%'", []),
    ("source_path ILIKE '%/M2/%'", [("m2", "2"), ("m2", "1")]),
    ("version_number = 1", [("m2", "1"), ("m1", "1")]),
    ("version_number >= 2", [("m2", "2"), ("m1", "3"), ("m1", "2")]),
    ("version_number < 2 AND name = 'm1'", [("m1", "1")]),
    ("version_number = '3'", [("m1", "3")]),
    ("tags.flavor = 'torch'", [("m1", "2")]),
    ("tags.flavor ILIKE 'torch'", [("m2", "1"), ("m1", "2")]),
    ("tags.flavor LIKE '%o%'", [("m2", "1"), ("m1", "2")]),
    ("tags.flavor != 'torch'", [("m2", "1"), ("m1", "1")]),
    ("tags.owner = 'x' OR version_number = 3", [("m2", "2"), ("m1", "3")]),
    ("name = 'm1' AND (version_number = 1 OR version_number = 3)", [("m1", "3"), ("m1", "1")]),
]


def test_version_filters(versions: RegistryStore, artifact_root: str) -> None:
    for filter_string, expected in VERSION_FILTERS:
        query = filter_string.replace("{root}", artifact_root)
        found = _pairs(versions.search_model_versions(query))
        assert found == expected, query


# version_number ASC ties (two 1s, two 2s) break on the default keys: newest change first.
VERSION_ORDERINGS: list[tuple[list[str], list[tuple[str, str]]]] = [
    (
        ["version_number ASC"],
        [("m2", "1"), ("m1", "1"), ("m2", "2"), ("m1", "2"), ("m1", "3")],
    ),
    (
        ["name", "version_number"],
        [("m1", "1"), ("m1", "2"), ("m1", "3"), ("m2", "1"), ("m2", "2")],
    ),
    (
        ["name DESC"],
        [("m2", "2"), ("m2", "1"), ("m1", "3"), ("m1", "2"), ("m1", "1")],
    ),
    (
        ["creation_timestamp"],
        [("m1", "1"), ("m1", "2"), ("m2", "1"), ("m1", "3"), ("m2", "2")],
    ),
    (
        ["last_updated_timestamp ASC"],
        [("m1", "1"), ("m1", "2"), ("m2", "1"), ("m1", "3"), ("m2", "2")],
    ),
]


def test_version_ordering(versions: RegistryStore) -> None:
    for order_by, expected in VERSION_ORDERINGS:
        assert _pairs(versions.search_model_versions(order_by=order_by)) == expected, order_by


def test_version_pages_follow_tokens(versions: RegistryStore) -> None:
    seen: list[tuple[str, str]] = []
    token = None
    while True:
        page = versions.search_model_versions(max_results=2, page_token=token)
        seen += _pairs(page)
        token = page.next_page_token
        if token is None:
            break
    assert seen == _pairs(versions.search_model_versions())


def test_version_page_size_must_be_1_to_200000(versions: RegistryStore) -> None:
    for max_results in (0, -5, 200_001):
        with pytest.raises(InvalidParameterValue, match="max_results"):
            versions.search_model_versions(max_results=max_results)
    assert len(versions.search_model_versions(max_results=200_000)) == 5


BAD_VERSION_FILTERS = [
    "current_stage = 'Production'",
    "version_number = 1.5",
    "version_number LIKE '1'",
    "source_path IN ('x')",
    "run_id > 'a'",
    "tags.flavor IS NOT NULL",
    "params.x = '1'",
    "name = 'm1' OR",
    "name == 'm1'",
]
BAD_VERSION_ORDERINGS = [["current_stage"], ["run_id"], ["tags.flavor"], ["name", "name"]]


def test_bad_version_filters_and_orderings_are_invalid_parameters(versions: RegistryStore) -> None:
    search = versions.search_model_versions
    assert [bad for bad in BAD_VERSION_FILTERS if _accepted(search, filter_string=bad)] == []
    assert [bad for bad in BAD_VERSION_ORDERINGS if _accepted(search, order_by=bad)] == []


def test_searched_versions_carry_tags_aliases_and_stage(versions: RegistryStore) -> None:
    versions.set_registered_model_alias("m1", "champion", "2")
    versions.set_registered_model_alias("m1", "backup", "2")
    versions.transition_model_version_stage("m1", "2", "Staging")
    (found,) = versions.search_model_versions("name = 'm1' AND version_number = 2")
    assert found == versions.get_model_version("m1", "2")
    assert found.aliases == ("backup", "champion")
    assert found.tags == {"flavor": "torch"}
    assert found.current_stage.value == "Staging"


def test_many_versions_load_with_their_own_tags_and_aliases(
    store: RegistryStore, src: Source
) -> None:
    store.create_registered_model("big")
    count = 120
    for i in range(1, count + 1):
        store.create_model_version("big", src(f"b/{i}"), tags={"i": str(i)})
    for i in (1, 60, 120):
        store.set_registered_model_alias("big", f"at{i}", i)
    found = store.search_model_versions("name = 'big'", order_by=["version_number"])
    assert [mv.version for mv in found] == [str(i) for i in range(1, count + 1)]
    for mv in found:
        assert mv.tags == {"i": mv.version}
        assert mv.aliases == ((f"at{mv.version}",) if mv.version in ("1", "60", "120") else ())
