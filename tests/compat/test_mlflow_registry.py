"""The mlflow client's model registry calls, unchanged, against `runstone server`."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

# Stages are deprecated in MLflow 3 and its client warns on every stage call; still served.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

MLMODEL = "artifact_path: model\nflavors: {}\nmodel_uuid: 0123456789abcdef\n"


def _run_with_model(experiment: str = "registry") -> str:
    """A finished run that logged a (minimal) model directory under ``model/``."""
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        mlflow.log_text(MLMODEL, "model/MLmodel")
        mlflow.log_text("weights", "model/weights.bin")
    return str(run.info.run_id)


def test_registered_model_lifecycle(tracking_uri: str) -> None:
    client = MlflowClient()
    created = client.create_registered_model(
        "churn", tags={"team": "growth"}, description="predicts churn"
    )
    assert created.name == "churn"
    assert created.tags == {"team": "growth"}
    assert created.description == "predicts churn"
    assert created.creation_timestamp > 0

    client.update_registered_model("churn", description="v2 of the churn model")
    client.set_registered_model_tag("churn", "owner", "ana")
    client.delete_registered_model_tag("churn", "team")
    fetched = client.get_registered_model("churn")
    assert fetched.description == "v2 of the churn model"
    assert fetched.tags == {"owner": "ana"}

    client.rename_registered_model("churn", "churn-prediction")
    renamed = client.get_registered_model("churn-prediction")
    assert (renamed.description, renamed.tags) == ("v2 of the churn model", {"owner": "ana"})
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model("churn")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    client.delete_registered_model("churn-prediction")
    assert client.search_registered_models() == []


def test_duplicate_model_is_resource_already_exists(tracking_uri: str) -> None:
    client = MlflowClient()
    client.create_registered_model("dup")
    with pytest.raises(MlflowException) as exc:
        client.create_registered_model("dup")
    assert exc.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_register_model_from_a_run_and_download_it_by_version_and_alias(
    tracking_uri: str, tmp_path: Path
) -> None:
    run_id = _run_with_model()
    version = mlflow.register_model(f"runs:/{run_id}/model", "classifier")
    assert version.name == "classifier"
    assert version.version == "1"
    assert version.run_id == run_id
    assert version.status == "READY"
    assert version.current_stage == "None"

    client = MlflowClient()
    client.set_registered_model_alias("classifier", "champion", "1")
    by_alias = client.get_model_version_by_alias("classifier", "champion")
    assert by_alias.version == "1"
    assert by_alias.aliases == ["champion"]
    assert client.get_registered_model("classifier").aliases == {"champion": "1"}

    for uri in ("models:/classifier/1", "models:/classifier@champion"):
        local = mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / uri[-3:]))
        assert (Path(local) / "MLmodel").read_text() == MLMODEL
        assert (Path(local) / "weights.bin").read_text() == "weights"


def test_versions_count_up_and_are_never_reused(tracking_uri: str) -> None:
    run_id = _run_with_model()
    for _ in range(3):
        mlflow.register_model(f"runs:/{run_id}/model", "counted")
    client = MlflowClient()
    client.delete_model_version("counted", "3")
    fourth = mlflow.register_model(f"runs:/{run_id}/model", "counted")
    assert fourth.version == "4"
    versions = client.search_model_versions("name = 'counted'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 4]


def test_aliases_move_and_reserved_names_are_refused(tracking_uri: str) -> None:
    run_id = _run_with_model()
    for _ in range(2):
        mlflow.register_model(f"runs:/{run_id}/model", "aliased")
    client = MlflowClient()
    client.set_registered_model_alias("aliased", "prod", 1)
    client.set_registered_model_alias("aliased", "prod", 2)
    assert client.get_model_version_by_alias("aliased", "prod").version == "2"
    assert client.get_model_version("aliased", "1").aliases == []
    for reserved in ("latest", "v3", "V12"):
        with pytest.raises(MlflowException) as exc:
            client.set_registered_model_alias("aliased", reserved, 1)
        assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    client.delete_registered_model_alias("aliased", "prod")
    with pytest.raises(MlflowException) as gone:
        client.get_model_version_by_alias("aliased", "prod")
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_stage_transitions_archive_existing_versions(tracking_uri: str) -> None:
    run_id = _run_with_model()
    for _ in range(2):
        mlflow.register_model(f"runs:/{run_id}/model", "staged")
    client = MlflowClient()
    client.transition_model_version_stage("staged", "1", "production")
    moved = client.transition_model_version_stage(
        "staged", "2", "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert client.get_model_version("staged", "1").current_stage == "Archived"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latest = client.get_latest_versions("staged", stages=["Production"])
    assert [(v.version, v.current_stage) for v in latest] == [("2", "Production")]
    with pytest.raises(MlflowException) as bad:
        client.transition_model_version_stage("staged", "1", "Shipped")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_search_with_filters_tags_and_pages(tracking_uri: str) -> None:
    client = MlflowClient()
    for i in range(7):
        client.create_registered_model(f"model-{i}", tags={"team": "a" if i % 2 else "b"})
    team_a = client.search_registered_models("tags.team = 'a'", order_by=["name DESC"])
    assert [m.name for m in team_a] == ["model-5", "model-3", "model-1"]
    first = client.search_registered_models(max_results=3)
    assert [m.name for m in first] == ["model-0", "model-1", "model-2"]
    assert first.token
    second = client.search_registered_models(max_results=3, page_token=first.token)
    assert [m.name for m in second] == ["model-3", "model-4", "model-5"]
    like = client.search_registered_models("name LIKE 'model-%' AND tags.team = 'b'")
    assert {m.name for m in like} == {"model-0", "model-2", "model-4", "model-6"}

    run_id = _run_with_model()
    version = mlflow.register_model(f"runs:/{run_id}/model", "model-1")
    client.set_model_version_tag("model-1", version.version, "validated", "yes")
    found = client.search_model_versions(f"run_id = '{run_id}' AND tags.validated = 'yes'")
    assert [(v.name, v.version) for v in found] == [("model-1", "1")]
    client.delete_model_version_tag("model-1", version.version, "validated")
    assert client.get_model_version("model-1", "1").tags == {}
    with pytest.raises(MlflowException) as bad:
        client.search_registered_models("name = model-1")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_model_version_metadata_updates(tracking_uri: str) -> None:
    run_id = _run_with_model()
    mlflow.register_model(f"runs:/{run_id}/model", "described")
    client = MlflowClient()
    updated = client.update_model_version("described", "1", description="first good one")
    assert updated.description == "first good one"
    uri = client.get_model_version_download_uri("described", "1")
    assert uri.endswith("/model")
    with pytest.raises(MlflowException) as missing:
        client.get_model_version("described", "9")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    "source",
    ["file:///etc", "/", "/etc/passwd", "http://169.254.169.254/latest", "../../secrets"],
)
def test_a_source_outside_the_artifact_roots_is_refused(tracking_uri: str, source: str) -> None:
    client = MlflowClient()
    client.create_registered_model("guarded")
    with pytest.raises(MlflowException) as exc:
        client.create_model_version("guarded", source)
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.search_model_versions("name = 'guarded'") == []
