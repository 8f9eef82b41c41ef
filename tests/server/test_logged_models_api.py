"""The logged-model endpoints' JSON (mlflow-compat.md §1.12) on a live server."""

from __future__ import annotations

import httpx

from tests.server.conftest import API


def test_logged_model_json(http: httpx.Client, experiment_id: str, run_id: str) -> None:
    created = http.post(
        f"{API}/logged-models",
        json={
            "experiment_id": experiment_id,
            "name": "model",
            "source_run_id": run_id,
            "params": [{"key": "alpha", "value": "1"}],
            "tags": [{"key": "t", "value": "v"}],
        },
    )
    assert created.status_code == 200, created.text
    model = created.json()["model"]
    info = model["info"]
    model_id = info["model_id"]
    assert set(info) == {
        "model_id",
        "experiment_id",
        "name",
        "creation_timestamp_ms",
        "last_updated_timestamp_ms",
        "artifact_uri",
        "status",
        "source_run_id",
        "tags",
    }
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["artifact_uri"].endswith(f"/{experiment_id}/models/{model_id}/artifacts")
    assert info["tags"] == [{"key": "t", "value": "v"}]
    assert model["data"] == {"params": [{"key": "alpha", "value": "1"}]}

    finalized = http.patch(f"{API}/logged-models/{model_id}", json={"status": "LOGGED_MODEL_READY"})
    assert finalized.json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    tagged = http.patch(
        f"{API}/logged-models/{model_id}/tags", json={"tags": [{"key": "u", "value": "w"}]}
    )
    assert {t["key"] for t in tagged.json()["model"]["info"]["tags"]} == {"t", "u"}
    assert http.delete(f"{API}/logged-models/{model_id}/tags/u").json() == {}
    response = http.post(
        f"{API}/runs/outputs",
        json={"run_id": run_id, "models": [{"model_id": model_id, "step": 2}]},
    )
    assert response.json() == {}
    run = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 2}]}

    found = http.post(
        f"{API}/logged-models/search",
        json={"experiment_ids": [experiment_id], "filter": "name = 'model'"},
    ).json()
    assert [m["info"]["model_id"] for m in found["models"]] == [model_id]

    assert http.delete(f"{API}/logged-models/{model_id}").json() == {}
    missing = http.get(f"{API}/logged-models/{model_id}")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert (
        http.post(f"{API}/logged-models/search", json={"experiment_ids": [experiment_id]}).json()
        == {}
    )


def test_bad_requests(http: httpx.Client, experiment_id: str) -> None:
    missing = http.post(f"{API}/logged-models", json={})
    assert missing.status_code == 400
    assert "experiment_id" in missing.json()["message"]
    bad_filter = http.post(
        f"{API}/logged-models/search",
        json={"experiment_ids": [experiment_id], "filter": "metrics.x > 1"},
    )
    assert bad_filter.status_code == 400
    assert bad_filter.json()["error_code"] == "INVALID_PARAMETER_VALUE"
