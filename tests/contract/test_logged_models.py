"""MLflow 3 logged models: the same behaviour from every store."""

from __future__ import annotations

import re

import pytest

from runstone.entities import LoggedModelOutput, LoggedModelStatus
from runstone.errors import InvalidParameterValue, NotFound
from runstone.store.base import TrackingStore


def test_create_and_get(store: TrackingStore, experiment_id: str, run_id: str) -> None:
    made = store.create_logged_model(
        experiment_id,
        name="model",
        source_run_id=run_id,
        tags={"t": "1"},
        params={"alpha": "0.5"},
        model_type="sklearn",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", made.model_id)
    assert made.status is LoggedModelStatus.PENDING
    assert made.name == "model"
    assert made.experiment_id == experiment_id
    assert made.source_run_id == run_id
    assert made.model_type == "sklearn"
    assert made.tags == {"t": "1"}
    assert made.params == {"alpha": "0.5"}
    location = store.get_experiment(experiment_id).artifact_location.rstrip("/")
    assert made.artifact_uri == f"{location}/models/{made.model_id}/artifacts"
    assert made.creation_timestamp_ms > 0
    assert store.get_logged_model(made.model_id) == made


def test_name_defaults(store: TrackingStore, experiment_id: str) -> None:
    made = store.create_logged_model(experiment_id)
    assert made.name
    assert made.source_run_id == ""
    assert made.tags == {}
    assert made.params == {}


def test_unknown_experiment_and_model(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.create_logged_model("987654")
    with pytest.raises(NotFound, match=r"Logged model with ID 'm-0+' not found"):
        store.get_logged_model("m-" + "0" * 32)


def test_finalize(store: TrackingStore, experiment_id: str) -> None:
    made = store.create_logged_model(experiment_id, name="m")
    ready = store.finalize_logged_model(made.model_id, LoggedModelStatus.READY)
    assert ready.status is LoggedModelStatus.READY
    assert ready.last_updated_timestamp_ms >= made.last_updated_timestamp_ms
    failed = store.finalize_logged_model(made.model_id, "LOGGED_MODEL_UPLOAD_FAILED")
    assert failed.status is LoggedModelStatus.UPLOAD_FAILED
    with pytest.raises(InvalidParameterValue):
        store.finalize_logged_model(made.model_id, "BOGUS")


def test_tags_and_params(store: TrackingStore, experiment_id: str) -> None:
    model_id = store.create_logged_model(experiment_id, name="m").model_id
    store.set_logged_model_tags(model_id, {"a": "1", "b": "2"})
    store.set_logged_model_tags(model_id, {"a": "3"})
    assert store.get_logged_model(model_id).tags == {"a": "3", "b": "2"}
    store.delete_logged_model_tag(model_id, "b")
    assert store.get_logged_model(model_id).tags == {"a": "3"}
    with pytest.raises(NotFound):
        store.delete_logged_model_tag(model_id, "b")
    store.log_logged_model_params(model_id, {"p": "1"})
    store.log_logged_model_params(model_id, {"p": "1", "q": "2"})
    assert store.get_logged_model(model_id).params == {"p": "1", "q": "2"}
    with pytest.raises(InvalidParameterValue):
        store.log_logged_model_params(model_id, {"p": "other"})


def test_delete(store: TrackingStore, experiment_id: str) -> None:
    model_id = store.create_logged_model(experiment_id, name="m").model_id
    store.delete_logged_model(model_id)
    with pytest.raises(NotFound):
        store.get_logged_model(model_id)
    with pytest.raises(NotFound):
        store.delete_logged_model(model_id)
    assert list(store.search_logged_models([experiment_id])) == []


def test_search(store: TrackingStore, experiment_id: str, run_id: str) -> None:
    first = store.create_logged_model(experiment_id, name="a", tags={"k": "v"})
    second = store.create_logged_model(experiment_id, name="b", source_run_id=run_id)
    third = store.create_logged_model(experiment_id, name="a")
    other = store.create_experiment("other")
    store.create_logged_model(other, name="a")

    every = store.search_logged_models([experiment_id])
    # newest first; equal timestamps are ordered by model id
    expected = sorted([first, second, third], key=lambda m: (-m.creation_timestamp_ms, m.model_id))
    assert [m.model_id for m in every] == [m.model_id for m in expected]
    assert every.next_page_token is None

    def ids(filter_string: str) -> set[str]:
        found = store.search_logged_models([experiment_id], filter_string=filter_string)
        return {m.model_id for m in found}

    assert ids("name = 'a'") == {first.model_id, third.model_id}
    assert ids(f"source_run_id = '{run_id}'") == {second.model_id}
    assert ids("tags.k = 'v'") == {first.model_id}
    assert ids("name = 'a' AND tags.k = 'v'") == {first.model_id}
    assert ids("name != 'a'") == {second.model_id}
    assert len(store.search_logged_models([experiment_id, other])) == 4
    with pytest.raises(InvalidParameterValue, match="logged model filter"):
        store.search_logged_models([experiment_id], filter_string="metrics.acc > 1")

    ordered = store.search_logged_models([experiment_id], order_by=["name ASC"])
    assert [m.name for m in ordered] == ["a", "a", "b"]


def test_search_pages(store: TrackingStore, experiment_id: str) -> None:
    made = {store.create_logged_model(experiment_id, name=f"m{i}").model_id for i in range(5)}
    seen: list[str] = []
    token = None
    while True:
        page = store.search_logged_models([experiment_id], max_results=2, page_token=token)
        seen.extend(m.model_id for m in page)
        token = page.next_page_token
        if token is None:
            break
    assert sorted(seen) == sorted(made)


def test_log_outputs(store: TrackingStore, experiment_id: str, run_id: str) -> None:
    model_id = store.create_logged_model(experiment_id, name="m").model_id
    store.log_outputs(run_id, [(model_id, 0)])
    store.log_outputs(run_id, [(model_id, 0), (model_id, 3)])  # repeating is harmless
    outputs = store.get_run(run_id).outputs.model_outputs
    assert outputs == (LoggedModelOutput(model_id, 0), LoggedModelOutput(model_id, 3))
    (found,) = store.search_runs([experiment_id])
    assert found.outputs.model_outputs == outputs
    with pytest.raises(NotFound):
        store.log_outputs(run_id, [("m-" + "1" * 32, 0)])
    with pytest.raises(NotFound):
        store.log_outputs("f" * 32, [(model_id, 0)])
