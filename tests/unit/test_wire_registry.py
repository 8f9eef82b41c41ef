"""The model registry's request messages and response JSON (mlflow-compat.md §1.11, §2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from runstone.entities import ModelStage, ModelVersion, ModelVersionStatus, RegisteredModel
from runstone.errors import InvalidParameterValue
from runstone.store import rest_codec as codec
from runstone.wire import encode
from runstone.wire import registry_messages as rm
from runstone.wire.decode import decode_request, validate

VERSION = ModelVersion(
    name="m",
    version="3",
    creation_timestamp=10,
    last_updated_timestamp=20,
    current_stage=ModelStage.STAGING,
    description="third",
    user_id="ada",
    source="runs:/abc/model",
    run_id="abc",
    tags={"k": "v"},
    aliases=("champion", "blue"),
)


# -- requests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [(3, "3"), ("3", "3"), (3.0, "3"), ("12", "12")])
def test_version_is_taken_as_a_number_or_a_string(given: object, expected: str) -> None:
    msg = validate(rm.ModelVersionRef, {"name": "m", "version": given})
    assert msg.version == expected


@pytest.mark.parametrize("given", [True, 1.5, [1], {"v": 1}])
def test_version_that_is_no_number_is_refused(given: object) -> None:
    with pytest.raises(InvalidParameterValue, match="'version'"):
        validate(rm.ModelVersionRef, {"name": "m", "version": given})


@pytest.mark.parametrize(
    ("model", "data", "missing"),
    [
        (rm.CreateRegisteredModel, {}, "name"),
        (rm.RenameRegisteredModel, {"name": "m"}, "new_name"),
        (rm.SetRegisteredModelAlias, {"name": "m", "alias": "a"}, "version"),
        (rm.SetRegisteredModelAlias, {"name": "m", "alias": "a", "version": ""}, "version"),
        (rm.CreateModelVersion, {"name": "m"}, "source"),
        (rm.CreateModelVersion, {"name": "", "source": "runs:/a/b"}, "name"),
        (rm.TransitionModelVersionStage, {"name": "m", "version": 1}, "stage"),
        (rm.SetModelVersionTag, {"name": "m", "version": 1}, "key"),
        (rm.DeleteModelVersionTag, {"version": 1, "key": "k"}, "name"),
        (rm.RegisteredModelAlias, {"name": "m"}, "alias"),
    ],
)
def test_required_fields_give_mlflows_message(
    model: type[rm.Message], data: dict[str, Any], missing: str
) -> None:
    with pytest.raises(
        InvalidParameterValue, match=f"Missing value for required parameter '{missing}'"
    ):
        validate(model, data)


def test_search_defaults_are_the_protos() -> None:
    assert validate(rm.SearchRegisteredModels, {}).max_results == 100
    assert validate(rm.SearchModelVersions, {}).max_results == 200_000
    assert validate(rm.SearchModelVersions, {"maxResults": "7"}).max_results == 7


def test_camel_case_spellings_are_accepted() -> None:
    rename = validate(rm.RenameRegisteredModel, {"name": "a", "newName": "b"})
    assert rename.new_name == "b"
    move = validate(
        rm.TransitionModelVersionStage,
        {"name": "m", "version": "1", "stage": "staging", "archiveExistingVersions": True},
    )
    assert move.archive_existing_versions is True
    create = validate(
        rm.CreateModelVersion,
        {"name": "m", "source": "s", "runId": "r", "runLink": "l", "modelId": "x"},
    )
    assert (create.run_id, create.run_link, create.model_id) == ("r", "l", "x")


def test_both_spellings_at_once_are_refused() -> None:
    with pytest.raises(InvalidParameterValue, match="new_name"):
        validate(rm.RenameRegisteredModel, {"name": "a", "new_name": "b", "newName": "c"})


@pytest.mark.parametrize(("given", "expected"), [(True, True), ("false", False), ("TRUE", True)])
def test_archive_existing_versions_is_a_strict_bool(given: object, expected: bool) -> None:
    msg = validate(
        rm.TransitionModelVersionStage,
        {"name": "m", "version": 1, "stage": "Production", "archive_existing_versions": given},
    )
    assert msg.archive_existing_versions is expected


@pytest.mark.parametrize("given", ["yes", 1, 0, "1"])
def test_archive_existing_versions_refuses_guesses(given: object) -> None:
    with pytest.raises(InvalidParameterValue, match="archive_existing_versions"):
        validate(
            rm.TransitionModelVersionStage,
            {"name": "m", "version": 1, "stage": "Production", "archive_existing_versions": given},
        )


def test_archive_existing_versions_defaults_to_false() -> None:
    msg = validate(rm.TransitionModelVersionStage, {"name": "m", "version": 1, "stage": "None"})
    assert msg.archive_existing_versions is False


def test_get_reads_repeated_query_keys_as_lists() -> None:
    query = [("name", "m"), ("stages", "Staging"), ("stages", "Production")]
    msg = decode_request(rm.GetLatestVersions, "GET", query, b"", None)
    assert msg.stages == ["Staging", "Production"]
    search = decode_request(
        rm.SearchModelVersions,
        "GET",
        [("order_by", "name"), ("order_by", "version_number DESC"), ("max_results", "5")],
        b"",
        None,
    )
    assert search.order_by == ["name", "version_number DESC"]
    assert search.max_results == 5


def test_delete_reads_its_json_body_without_a_content_type() -> None:
    msg = decode_request(
        rm.DeleteRegisteredModelTag, "DELETE", [], b'{"name": "m", "key": "k"}', None
    )
    assert (msg.name, msg.key) == ("m", "k")


def test_tags_are_lists_of_key_value() -> None:
    msg = validate(
        rm.CreateRegisteredModel, {"name": "m", "tags": [{"key": "a", "value": "1"}, {"key": "b"}]}
    )
    assert [(t.key, t.value) for t in msg.tags] == [("a", "1"), ("b", None)]


# -- responses -----------------------------------------------------------------------------------


def test_model_version_json_has_mlflows_shape() -> None:
    assert encode.model_version(VERSION) == {
        "name": "m",
        "version": "3",
        "creation_timestamp": 10,
        "last_updated_timestamp": 20,
        "user_id": "ada",
        "current_stage": "Staging",
        "description": "third",
        "source": "runs:/abc/model",
        "run_id": "abc",
        "status": "READY",
        "tags": [{"key": "k", "value": "v"}],
        "aliases": ["champion", "blue"],
    }


def test_unset_model_version_fields_are_left_out() -> None:
    bare = ModelVersion(name="m", version="1", creation_timestamp=1, last_updated_timestamp=1)
    assert encode.model_version(bare) == {
        "name": "m",
        "version": "1",
        "creation_timestamp": 1,
        "last_updated_timestamp": 1,
        "current_stage": "None",
        "status": "READY",
    }


def test_registered_model_json_has_mlflows_shape() -> None:
    model = RegisteredModel(
        name="m",
        creation_timestamp=1,
        last_updated_timestamp=2,
        description="d",
        tags={"t": "x"},
        aliases={"champion": "3"},
        latest_versions=(VERSION,),
    )
    data = encode.registered_model(model)
    assert data == {
        "name": "m",
        "creation_timestamp": 1,
        "last_updated_timestamp": 2,
        "description": "d",
        "latest_versions": [encode.model_version(VERSION)],
        "tags": [{"key": "t", "value": "x"}],
        "aliases": [{"alias": "champion", "version": "3"}],
    }
    bare = RegisteredModel(name="n", creation_timestamp=1, last_updated_timestamp=1)
    assert encode.registered_model(bare) == {
        "name": "n",
        "creation_timestamp": 1,
        "last_updated_timestamp": 1,
    }


# -- the client side reads what the server writes ------------------------------------------------


def test_model_version_round_trips_through_json() -> None:
    assert codec.model_version(encode.model_version(VERSION)) == VERSION
    failed = ModelVersion(
        name="m",
        version="2",
        creation_timestamp=1,
        last_updated_timestamp=1,
        status=ModelVersionStatus.FAILED_REGISTRATION,
        status_message="no files",
        run_link="http://x",
        model_id="m-1",
    )
    assert codec.model_version(encode.model_version(failed)) == failed


def test_registered_model_round_trips_through_json() -> None:
    model = RegisteredModel(
        name="m",
        creation_timestamp=1,
        last_updated_timestamp=2,
        user_id="ada",
        tags={"t": "x"},
        aliases={"a": "3", "b": "1"},
        latest_versions=(VERSION,),
    )
    assert codec.registered_model(encode.registered_model(model)) == model


def test_client_reads_numbers_for_versions_and_statuses() -> None:
    version = codec.model_version(
        {"name": "m", "version": 4, "status": 3, "current_stage": "production"}
    )
    assert version.version == "4"
    assert version.status is ModelVersionStatus.READY
    assert version.current_stage is ModelStage.PRODUCTION
    model = codec.registered_model({"name": "m", "aliases": [{"alias": "a", "version": 4}]})
    assert model.aliases == {"a": "4"}
