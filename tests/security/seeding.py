"""For the authorization tests: a live `runstone server --auth` with an admin and users without
grants, resources the admin seeds over REST, and grants on them."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from runstone.store.sql.auth import AuthStore
from runstone.testing import serve

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
PASSWORD = "a long password 1"
USERS = ("carol", "eve")


def basic(username: str) -> dict[str, str]:
    value = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


ADMIN = basic("admin")
_names = itertools.count()


@dataclass(frozen=True)
class Seeded:
    """One of everything, made by the admin: an experiment with a run (a metric, a file) and
    a logged model, and a registered model with version 1 aliased ``champion``."""

    experiment_id: str
    experiment_name: str
    run_id: str
    logged_model_id: str
    model_name: str
    artifact_dir: str  # the run's folder in the proxied storage

    @property
    def artifact_file(self) -> str:
        return f"{self.artifact_dir}/hello.txt"

    @property
    def secrets(self) -> tuple[str, ...]:
        """What no answer to a caller without access may contain."""
        return (self.experiment_name, self.run_id, self.logged_model_id, self.model_name)


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, (response.request.url, response.text)
    body = response.json()
    assert isinstance(body, dict)
    return body


def seed(http: httpx.Client, label: str = "seeded") -> Seeded:
    unique = f"{label}-{next(_names)}"
    experiment_id = str(
        ok(http.post(f"{API}/experiments/create", json={"name": unique}, headers=ADMIN))[
            "experiment_id"
        ]
    )
    run = ok(
        http.post(
            f"{API}/runs/create",
            json={"experiment_id": experiment_id, "start_time": 1, "run_name": unique},
            headers=ADMIN,
        )
    )["run"]
    assert isinstance(run, dict)
    run_id = run["info"]["run_id"]
    metric = {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
    ok(http.post(f"{API}/runs/log-metric", json=metric, headers=ADMIN))
    model = ok(
        http.post(
            f"{API}/logged-models",
            json={"experiment_id": experiment_id, "name": f"lm-{unique}"},
            headers=ADMIN,
        )
    )["model"]
    assert isinstance(model, dict)
    model_name = f"model-{unique}"
    ok(http.post(f"{API}/registered-models/create", json={"name": model_name}, headers=ADMIN))
    version = {"name": model_name, "source": f"runs:/{run_id}/model", "run_id": run_id}
    ok(http.post(f"{API}/model-versions/create", json=version, headers=ADMIN))
    alias = {"name": model_name, "alias": "champion", "version": "1"}
    ok(http.post(f"{API}/registered-models/alias", json=alias, headers=ADMIN))
    artifact_uri = run["info"]["artifact_uri"]
    assert artifact_uri.startswith("mlflow-artifacts:/")
    artifact_dir = artifact_uri.removeprefix("mlflow-artifacts:").strip("/")
    ok(http.put(f"{PROXY}/{artifact_dir}/hello.txt", content=b"hello", headers=ADMIN))
    return Seeded(
        experiment_id,
        unique,
        run_id,
        model["info"]["model_id"],
        model_name,
        artifact_dir,
    )


def grant(http: httpx.Client, seeded: Seeded, username: str, permission: str) -> None:
    """Give ``username`` ``permission`` on the seeded experiment and registered model."""
    ok(
        http.post(
            f"{API}/experiments/permissions/create",
            json={
                "experiment_id": seeded.experiment_id,
                "username": username,
                "permission": permission,
            },
            headers=ADMIN,
        )
    )
    ok(
        http.post(
            f"{API}/registered-models/permissions/create",
            json={"name": seeded.model_name, "username": username, "permission": permission},
            headers=ADMIN,
        )
    )


def assert_denied(response: httpx.Response) -> None:
    """403 with MLflow's error JSON and nothing else."""
    assert response.status_code == 403, (
        response.request.method,
        response.request.url,
        response.text,
    )
    body = response.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == "PERMISSION_DENIED"


def start(tmp_path: Path, default_permission: str) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path / 'runstone.db'}"
    store = AuthStore.open(uri)
    try:
        store.create_user("admin", PASSWORD, is_admin=True)
        for name in USERS:
            store.create_user(name, PASSWORD)
    finally:
        store.close()
    with serve(
        uri,
        auth=True,
        auth_default_permission=default_permission,
        artifacts_destination=str(tmp_path / "artifacts"),
    ) as url:
        yield url
