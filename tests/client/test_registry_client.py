"""The registry through RunstoneClient and ``runstone.register_model``, on a SQLite store and
through a live server (the REST store), with downloads of models by ``models:/`` URIs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import runstone
from runstone.client import context
from runstone.client.client import RunstoneClient
from runstone.entities import ModelStage, ModelVersionStatus
from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound


@pytest.fixture
def client(tracking_uri: str) -> Iterator[RunstoneClient]:
    with RunstoneClient(tracking_uri) as opened:
        yield opened


def _run_with_model(client: RunstoneClient, *files: tuple[str, str]) -> str:
    """A run holding a model folder ``model/`` with ``files`` (path, text)."""
    found = client.get_experiment_by_name("models")
    experiment_id = found.experiment_id if found else client.create_experiment("models")
    run_id = client.create_run(experiment_id).info.run_id
    for path, text in files or (("model/MLmodel", "flavors: {}\n"),):
        client.log_text(run_id, text, path)
    return run_id


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
    }


# -- registered models -------------------------------------------------------------------------


def test_registered_models_round_trip(client: RunstoneClient) -> None:
    created = client.create_registered_model(
        "fraud detector", tags={"team": "risk", "tier": 1}, description="flags transfers"
    )
    assert created.name == "fraud detector"
    assert created.tags == {"team": "risk", "tier": "1"}  # values stringified, as MLflow does
    assert created.description == "flags transfers"
    with pytest.raises(AlreadyExists):
        client.create_registered_model("fraud detector")

    client.set_registered_model_tag("fraud detector", "score", 0.5)
    client.delete_registered_model_tag("fraud detector", "tier")
    updated = client.update_registered_model("fraud detector", "flags odd transfers")
    assert updated.description == "flags odd transfers"
    assert client.get_registered_model("fraud detector").tags == {"team": "risk", "score": "0.5"}

    renamed = client.rename_registered_model("fraud detector", "détecteur de fraude")
    assert renamed.name == "détecteur de fraude"
    with pytest.raises(NotFound):
        client.get_registered_model("fraud detector")

    client.delete_registered_model("détecteur de fraude")
    with pytest.raises(NotFound):
        client.get_registered_model("détecteur de fraude")


def test_search_registered_models_pages(client: RunstoneClient) -> None:
    for name in ("a", "b", "c", "other"):
        client.create_registered_model(name, tags={"kind": "x" if name != "other" else "y"})
    first = client.search_registered_models("tags.kind = 'x'", max_results=2)
    assert [m.name for m in first] == ["a", "b"]
    assert first.next_page_token
    rest = client.search_registered_models(
        "tags.kind = 'x'", max_results=2, page_token=first.next_page_token
    )
    assert [m.name for m in rest] == ["c"]
    assert rest.next_page_token is None
    newest_name = client.search_registered_models(order_by=["name DESC"])[0].name
    assert newest_name == "other"


# -- model versions ----------------------------------------------------------------------------


def test_model_versions_round_trip(client: RunstoneClient) -> None:
    run_id = _run_with_model(client)
    client.create_registered_model("m")
    first = client.create_model_version(
        "m", f"runs:/{run_id}/model", run_id=run_id, tags={"acc": 0.91}, description="first"
    )
    assert (first.name, first.version, first.run_id) == ("m", "1", run_id)
    assert first.status is ModelVersionStatus.READY
    assert first.current_stage is ModelStage.NONE
    assert first.tags == {"acc": "0.91"}
    if client.tracking_uri.startswith("sqlite:"):  # a server records its authenticated user
        assert first.user_id == context.current_user()
    second = client.create_model_version("m", f"runs:/{run_id}/model", run_id=run_id)
    assert second.version == "2"

    assert client.get_model_version("m", 2) == client.get_model_version("m", "2")
    assert client.update_model_version("m", 1, "the first").description == "the first"
    client.set_model_version_tag("m", "1", "checked", True)
    client.delete_model_version_tag("m", 1, "acc")
    assert client.get_model_version("m", 1).tags == {"checked": "True"}
    assert client.get_model_version_download_uri("m", 1) == f"runs:/{run_id}/model"

    found = client.search_model_versions("name = 'm'", order_by=["version_number ASC"])
    assert [v.version for v in found] == ["1", "2"]
    client.delete_model_version("m", 1)
    with pytest.raises(NotFound):
        client.get_model_version("m", 1)
    third = client.create_model_version("m", f"runs:/{run_id}/model", run_id=run_id)
    assert third.version == "3"  # numbers are never reused


def test_aliases_and_stages(client: RunstoneClient) -> None:
    run_id = _run_with_model(client)
    client.create_registered_model("m")
    for _ in range(3):
        client.create_model_version("m", f"runs:/{run_id}/model", run_id=run_id)

    client.set_registered_model_alias("m", "champion", 1)
    client.set_registered_model_alias("m", "champion", "2")  # moves the alias
    assert client.get_model_version_by_alias("m", "champion").version == "2"
    assert client.get_registered_model("m").aliases == {"champion": "2"}
    assert client.get_model_version("m", 2).aliases == ("champion",)
    client.delete_registered_model_alias("m", "champion")
    with pytest.raises(NotFound):
        client.get_model_version_by_alias("m", "champion")

    client.transition_model_version_stage("m", 1, "production")
    moved = client.transition_model_version_stage(
        "m", "2", ModelStage.PRODUCTION, archive_existing_versions=True
    )
    assert moved.current_stage is ModelStage.PRODUCTION
    assert client.get_model_version("m", 1).current_stage is ModelStage.ARCHIVED
    client.transition_model_version_stage("m", 3, "Staging")
    latest = {v.current_stage: v.version for v in client.get_latest_versions("m")}
    assert latest == {
        ModelStage.ARCHIVED: "1",
        ModelStage.PRODUCTION: "2",
        ModelStage.STAGING: "3",
    }
    assert [v.version for v in client.get_latest_versions("m", ["Production"])] == ["2"]
    with pytest.raises(InvalidParameterValue):
        client.transition_model_version_stage("m", 1, "Prod")


# -- register_model and downloads by models:/ URIs ---------------------------------------------


def test_register_model_from_a_run(fluent_uri: str, caplog: pytest.LogCaptureFixture) -> None:
    with runstone.start_run() as run:
        runstone.log_text("flavors: {}\n", "model/MLmodel")
    uri = f"runs:/{run.info.run_id}/model"
    with caplog.at_level(logging.INFO, logger="runstone.client.fluent"):
        first = runstone.register_model(uri, "fraud", tags={"stage": "dev"})
        second = runstone.register_model(uri, "fraud")
    assert (first.version, second.version) == ("1", "2")
    assert first.run_id == run.info.run_id
    assert first.source == uri
    assert first.tags == {"stage": "dev"}
    messages = [r.getMessage() for r in caplog.records]
    assert "Successfully registered model 'fraud'." in messages
    assert "Created version '2' of model 'fraud'." in messages
    # a source that is not a run is registered without a run
    other = runstone.register_model("models:/fraud/1", "fraud copy")
    assert (other.version, other.run_id) == ("1", "")


def test_download_a_model_by_every_kind_of_models_uri(
    client: RunstoneClient, tmp_path: Path
) -> None:
    files = (("model/MLmodel", "flavors: {}\n"), ("model/data/weights.txt", "0.5"))
    run_one = _run_with_model(client, *files)
    run_two = _run_with_model(client, ("model/MLmodel", "v2\n"))
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_one}/model", run_id=run_one)
    client.create_model_version("m", f"runs:/{run_two}/model", run_id=run_two)
    client.set_registered_model_alias("m", "champion", 1)
    client.transition_model_version_stage("m", 1, "Staging")
    expected_one = {"MLmodel": "flavors: {}\n", "data/weights.txt": "0.5"}

    for i, uri in enumerate(["models:/m@champion", "models:/m/1", "models:/m/staging"]):
        local = client.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / f"d{i}"))
        assert local == str(tmp_path / f"d{i}")  # a version's files go straight in
        assert _tree(Path(local)) == expected_one, uri
    newest = client.download_artifacts(
        artifact_uri="models:/m/latest", dst_path=str(tmp_path / "new")
    )
    assert _tree(Path(newest)) == {"MLmodel": "v2\n"}

    one_file = client.download_artifacts(
        artifact_uri="models:/m/1/data/weights.txt", dst_path=str(tmp_path / "f")
    )
    assert Path(one_file).read_text() == "0.5"
    by_run = client.download_artifacts(
        artifact_uri=f"runs:/{run_one}/model", dst_path=str(tmp_path / "r")
    )
    assert by_run == str(tmp_path / "r" / "model")
    assert _tree(Path(by_run)) == expected_one

    repo = client.artifact_repo_for_uri("models:/m@champion")
    assert sorted(f.path for f in repo.list_artifacts()) == ["MLmodel", "data"]
    assert client.artifact_repo_for_uri(f"runs:/{run_two}/model").read_bytes("MLmodel") == b"v2\n"


def test_model_uri_errors_are_clear(client: RunstoneClient, tmp_path: Path) -> None:
    run_id = _run_with_model(client)
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model", run_id=run_id)
    with pytest.raises(NotFound):
        client.download_artifacts(artifact_uri="models:/nobody/1", dst_path=str(tmp_path))
    with pytest.raises(NotFound):
        client.download_artifacts(artifact_uri="models:/m/Production", dst_path=str(tmp_path))
    with pytest.raises(NotFound):
        client.download_artifacts(artifact_uri="models:/m@nobody", dst_path=str(tmp_path))
    with pytest.raises(NotFound, match=r"no logged model with id 'm'.*models:/m/<version>"):
        client.download_artifacts(artifact_uri="models:/m", dst_path=str(tmp_path))
    with pytest.raises(InvalidParameterValue, match=r"'\.\.'"):
        client.artifact_repo_for_uri(f"runs:/{run_id}/../../other")
    with pytest.raises(InvalidParameterValue, match="exactly one"):
        client.download_artifacts(run_id, artifact_uri="models:/m/1")
