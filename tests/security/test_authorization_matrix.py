"""Users by permissions by endpoints: each representative call is allowed exactly from the level
MLflow's mapping gives it (read READ, update EDIT, delete MANAGE; admins everything), and a
refused call answers 403 with nothing but an error code and message, and changes nothing (read
back as the admin). The server's default permission is NO_PERMISSIONS; each case seeds its own
resources and grants the level on them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.security.seeding import (
    ADMIN,
    API,
    PROXY,
    Seeded,
    assert_denied,
    basic,
    grant,
    ok,
    seed,
    start,
)

LEVELS = ("NONE", "NO_PERMISSIONS", "READ", "EDIT", "MANAGE", "ADMIN")
RANK = {name: i for i, name in enumerate(LEVELS)}
RANK["NONE"] = RANK["NO_PERMISSIONS"]

Call = Callable[[httpx.Client, Seeded, dict[str, str]], httpx.Response]
Changed = Callable[[httpx.Client, Seeded], bool]


@dataclass(frozen=True)
class Case:
    needs: str  # the weakest level that may make the call
    call: Call
    changed: Changed  # whether the call's effect is visible (read as the admin)


def _get(path: str, **params: str) -> Call:
    return lambda http, s, who: http.get(API + path, params=_fill(params, s), headers=who)


def _send(method: str, path: str, **body: object) -> Call:
    return lambda http, s, who: http.request(method, API + path, json=_fill(body, s), headers=who)


def _fill(values: dict[str, object], s: Seeded) -> dict[str, object]:
    """``{run}``, ``{experiment}``, ``{model}`` and ``{logged}`` replaced by the seeded ids."""
    names = {
        "{run}": s.run_id,
        "{experiment}": s.experiment_id,
        "{model}": s.model_name,
        "{logged}": s.logged_model_id,
    }
    filled = dict(values)
    for key, value in values.items():
        if isinstance(value, str):
            text = value
            for placeholder, real in names.items():
                text = text.replace(placeholder, real)
            filled[key] = text
    return filled


def _admin_get(http: httpx.Client, path: str, **params: str) -> dict[str, object]:
    return ok(http.get(API + path, params=params, headers=ADMIN))


def _experiment(http: httpx.Client, s: Seeded) -> dict[str, object]:
    found = _admin_get(http, "/experiments/get", experiment_id=s.experiment_id)["experiment"]
    assert isinstance(found, dict)
    return found


def _run(http: httpx.Client, s: Seeded) -> dict[str, object]:
    found = _admin_get(http, "/runs/get", run_id=s.run_id)["run"]
    assert isinstance(found, dict)
    return found


def _version(http: httpx.Client, s: Seeded) -> dict[str, object]:
    found = _admin_get(http, "/model-versions/get", name=s.model_name, version="1")
    assert isinstance(found["model_version"], dict)
    return found["model_version"]


def _unchanged(http: httpx.Client, s: Seeded) -> bool:
    return False


def _tags(entity: dict[str, object]) -> dict[str, str]:
    raw = entity.get("tags") or []
    assert isinstance(raw, list)
    return {t["key"]: t["value"] for t in raw}


def _model_missing(http: httpx.Client, s: Seeded) -> bool:
    response = http.get(
        f"{API}/registered-models/get", params={"name": s.model_name}, headers=ADMIN
    )
    return response.status_code == 404


def _file(http: httpx.Client, path: str) -> bytes | None:
    response = http.get(f"{PROXY}/{path}", headers=ADMIN)
    return response.content if response.status_code == 200 else None


CASES: dict[str, Case] = {
    # experiments
    "experiments/get": Case(
        "READ", _get("/experiments/get", experiment_id="{experiment}"), _unchanged
    ),
    "experiments/set-tag": Case(
        "EDIT",
        _send(
            "POST",
            "/experiments/set-experiment-tag",
            experiment_id="{experiment}",
            key="k",
            value="v",
        ),
        lambda http, s: _tags(_experiment(http, s)).get("k") == "v",
    ),
    "experiments/update": Case(
        "EDIT",
        _send(
            "POST", "/experiments/update", experiment_id="{experiment}", new_name="renamed-{run}"
        ),
        lambda http, s: _experiment(http, s)["name"] != s.experiment_name,
    ),
    "experiments/delete": Case(
        "MANAGE",
        _send("POST", "/experiments/delete", experiment_id="{experiment}"),
        lambda http, s: _experiment(http, s)["lifecycle_stage"] == "deleted",
    ),
    "runs/create": Case(
        "EDIT",
        _send("POST", "/runs/create", experiment_id="{experiment}", start_time=5),
        lambda http, s: (
            len(
                ok(
                    http.post(
                        f"{API}/runs/search",
                        json={"experiment_ids": [s.experiment_id]},
                        headers=ADMIN,
                    )
                ).get("runs", [])  # type: ignore[arg-type]
            )
            > 1
        ),
    ),
    # runs
    "runs/get": Case("READ", _get("/runs/get", run_id="{run}"), _unchanged),
    "metrics/get-history": Case(
        "READ", _get("/metrics/get-history", run_id="{run}", metric_key="loss"), _unchanged
    ),
    "runs/log-metric": Case(
        "EDIT",
        _send("POST", "/runs/log-metric", run_id="{run}", key="acc", value=1.0, timestamp=2),
        lambda http, s: "acc" in str(_run(http, s)["data"]),
    ),
    "runs/log-parameter": Case(
        "EDIT",
        _send("POST", "/runs/log-parameter", run_id="{run}", key="lr", value="0.1"),
        lambda http, s: "params" in _run(http, s)["data"],  # type: ignore[operator]
    ),
    "runs/update": Case(
        "EDIT",
        _send("POST", "/runs/update", run_id="{run}", status="FINISHED", end_time=9),
        lambda http, s: _run(http, s)["info"]["status"] == "FINISHED",  # type: ignore[index]
    ),
    "runs/delete": Case(
        "MANAGE",
        _send("POST", "/runs/delete", run_id="{run}"),
        lambda http, s: _run(http, s)["info"]["lifecycle_stage"] == "deleted",  # type: ignore[index]
    ),
    # registered models and versions
    "registered-models/get": Case(
        "READ", _get("/registered-models/get", name="{model}"), _unchanged
    ),
    "registered-models/alias (get)": Case(
        "READ", _get("/registered-models/alias", name="{model}", alias="champion"), _unchanged
    ),
    "registered-models/set-tag": Case(
        "EDIT",
        _send("POST", "/registered-models/set-tag", name="{model}", key="k", value="v"),
        lambda http, s: "k" in str(_admin_get(http, "/registered-models/get", name=s.model_name)),
    ),
    "registered-models/alias (set)": Case(
        "EDIT",
        _send("POST", "/registered-models/alias", name="{model}", alias="prod", version="1"),
        lambda http, s: "prod" in str(_version(http, s).get("aliases")),
    ),
    "registered-models/delete": Case(
        "MANAGE", _send("DELETE", "/registered-models/delete", name="{model}"), _model_missing
    ),
    "model-versions/get": Case(
        "READ", _get("/model-versions/get", name="{model}", version="1"), _unchanged
    ),
    "model-versions/get-download-uri": Case(
        "READ", _get("/model-versions/get-download-uri", name="{model}", version="1"), _unchanged
    ),
    "model-versions/transition-stage": Case(
        "EDIT",
        _send(
            "POST", "/model-versions/transition-stage", name="{model}", version="1", stage="Staging"
        ),
        lambda http, s: _version(http, s)["current_stage"] == "Staging",
    ),
    "model-versions/delete": Case(
        "MANAGE",
        _send("DELETE", "/model-versions/delete", name="{model}", version="1"),
        lambda http, s: (
            http.get(
                f"{API}/model-versions/get",
                params={"name": s.model_name, "version": "1"},
                headers=ADMIN,
            ).status_code
            == 404
        ),
    ),
    # artifacts
    "artifacts/list": Case("READ", _get("/artifacts/list", run_id="{run}"), _unchanged),
    "proxy GET": Case(
        "READ",
        lambda http, s, who: http.get(f"{PROXY}/{s.artifact_file}", headers=who),
        _unchanged,
    ),
    "proxy list": Case(
        "READ",
        lambda http, s, who: http.get(
            "/api/2.0/mlflow-artifacts/artifacts", params={"path": s.artifact_dir}, headers=who
        ),
        _unchanged,
    ),
    "proxy PUT": Case(
        "EDIT",
        lambda http, s, who: http.put(
            f"{PROXY}/{s.artifact_dir}/new.txt", content=b"new", headers=who
        ),
        lambda http, s: _file(http, f"{s.artifact_dir}/new.txt") == b"new",
    ),
    "proxy DELETE": Case(
        "MANAGE",
        lambda http, s, who: http.delete(f"{PROXY}/{s.artifact_file}", headers=who),
        lambda http, s: _file(http, s.artifact_file) is None,
    ),
    "get-artifact": Case(
        "READ",
        lambda http, s, who: http.get(
            "/get-artifact", params={"run_id": s.run_id, "path": "hello.txt"}, headers=who
        ),
        _unchanged,
    ),
    # logged models
    "logged-models/get": Case(
        "READ",
        lambda http, s, who: http.get(f"{API}/logged-models/{s.logged_model_id}", headers=who),
        _unchanged,
    ),
    "logged-models/set-tags": Case(
        "EDIT",
        lambda http, s, who: http.patch(
            f"{API}/logged-models/{s.logged_model_id}/tags",
            json={"tags": [{"key": "k", "value": "v"}]},
            headers=who,
        ),
        lambda http, s: "k" in str(_admin_get(http, f"/logged-models/{s.logged_model_id}")),
    ),
    "logged-models/delete": Case(
        "MANAGE",
        lambda http, s, who: http.delete(f"{API}/logged-models/{s.logged_model_id}", headers=who),
        lambda http, s: (
            http.get(f"{API}/logged-models/{s.logged_model_id}", headers=ADMIN).status_code == 404
        ),
    ),
}


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    for url in start(tmp_path_factory.mktemp("matrix"), "NO_PERMISSIONS"):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("endpoint", list(CASES))
def test_matrix(closed: httpx.Client, endpoint: str, level: str) -> None:
    case = CASES[endpoint]
    seeded = seed(closed, "matrix")
    if level in ("READ", "EDIT", "MANAGE", "NO_PERMISSIONS"):
        grant(closed, seeded, "carol", level)
    who = ADMIN if level == "ADMIN" else basic("carol")
    response = case.call(closed, seeded, who)
    if RANK[level] >= RANK[case.needs]:
        assert response.status_code == 200, (endpoint, level, response.text)
        assert case.changed is _unchanged or case.changed(closed, seeded)
    else:
        assert_denied(response)
        assert not case.changed(closed, seeded), (endpoint, level)
        for secret in seeded.secrets:
            assert secret not in response.text


SEARCHES: dict[str, Callable[[httpx.Client, dict[str, str], Seeded], str]] = {
    "experiments": lambda http, who, s: (
        http.post(f"{API}/experiments/search", json={"max_results": 1000}, headers=who).text
    ),
    "runs": lambda http, who, s: (
        http.post(
            f"{API}/runs/search", json={"experiment_ids": ["0", s.experiment_id]}, headers=who
        ).text
    ),
    "registered models": lambda http, who, s: (
        http.get(f"{API}/registered-models/search", params={"max_results": 1000}, headers=who).text
    ),
    "model versions": lambda http, who, s: (
        http.get(f"{API}/model-versions/search", params={"max_results": 1000}, headers=who).text
    ),
    "logged models": lambda http, who, s: (
        http.post(
            f"{API}/logged-models/search", json={"experiment_ids": [s.experiment_id]}, headers=who
        ).text
    ),
}
_SHOWN = {
    "experiments": "experiment_name",
    "runs": "run_id",
    "registered models": "model_name",
    "model versions": "model_name",
    "logged models": "logged_model_id",
}


@pytest.mark.parametrize("level", ["NONE", "NO_PERMISSIONS", "READ", "ADMIN"])
@pytest.mark.parametrize("search", list(SEARCHES))
def test_searches_answer_only_readable_items(closed: httpx.Client, search: str, level: str) -> None:
    seeded = seed(closed, "search")
    if level in ("READ", "NO_PERMISSIONS"):
        grant(closed, seeded, "carol", level)
    who = ADMIN if level == "ADMIN" else basic("carol")
    text = SEARCHES[search](closed, who, seeded)
    assert (getattr(seeded, _SHOWN[search]) in text) == (RANK[level] >= RANK["READ"]), text


def test_another_users_run_id_gives_403_and_no_data(closed: httpx.Client) -> None:
    """Bob's run, asked for by carol: refused without a word about it; an unknown id is 404."""
    seeded = seed(closed, "bobs")
    carol = basic("carol")
    for path in ("/runs/get", "/artifacts/list"):
        response = closed.get(f"{API}{path}", params={"run_id": seeded.run_id}, headers=carol)
        assert_denied(response)
        assert response.json()["message"] == "Permission denied."
    missing = closed.get(f"{API}/runs/get", params={"run_id": "0" * 32}, headers=carol)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    interval = closed.get(
        f"{API}/metrics/get-history-bulk-interval",
        params={"run_ids": [seeded.run_id], "metric_key": "loss"},
        headers=carol,
    )
    assert_denied(interval)


def test_paths_outside_an_experiment_are_for_admins(closed: httpx.Client) -> None:
    seeded = seed(closed, "paths")
    grant(closed, seeded, "carol", "MANAGE")
    carol = basic("carol")
    for path in ("", "stray", "stray/file.txt", "999999/x/file.txt"):
        assert_denied(closed.get(f"{PROXY}/{path}", headers=carol))
        assert_denied(closed.put(f"{PROXY}/{path or 'x'}/f.txt", content=b"x", headers=carol))
    listing = closed.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": ""}, headers=carol)
    assert_denied(listing)
    root = closed.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": ""}, headers=ADMIN)
    assert root.status_code == 200
    mine = closed.get(f"{PROXY}/{seeded.artifact_file}", headers=carol)
    assert mine.content == b"hello"


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    for url in start(tmp_path_factory.mktemp("open"), "READ"):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


def test_with_a_readable_default_only_explicit_refusals_are_hidden(
    open_server: httpx.Client,
) -> None:
    hidden, shown = seed(open_server, "hidden"), seed(open_server, "shown")
    grant(open_server, hidden, "carol", "NO_PERMISSIONS")
    carol = basic("carol")
    names = []
    token = None
    while True:  # one experiment per page: every page full, none missing, none twice
        body = {"max_results": 1, **({"page_token": token} if token else {})}
        page = ok(open_server.post(f"{API}/experiments/search", json=body, headers=carol))
        experiments = page.get("experiments", [])
        assert isinstance(experiments, list)
        names.extend(e["name"] for e in experiments)
        token = page.get("next_page_token")
        if not token:
            break
        assert len(experiments) == 1
    assert shown.experiment_name in names
    assert hidden.experiment_name not in names
    assert len(names) == len(set(names))
    assert_denied(
        open_server.get(f"{API}/runs/get", params={"run_id": hidden.run_id}, headers=carol)
    )
    assert (
        open_server.get(
            f"{API}/runs/get", params={"run_id": shown.run_id}, headers=carol
        ).status_code
        == 200
    )
    edit = {"run_id": shown.run_id, "key": "k", "value": "v"}
    assert_denied(open_server.post(f"{API}/runs/set-tag", json=edit, headers=carol))


def test_paging_a_filtered_search_stays_correct(tmp_path: Path) -> None:
    for url in start(tmp_path, "NO_PERMISSIONS"):
        with httpx.Client(base_url=url, timeout=30) as http:
            made = [seed(http, "page") for _ in range(5)]
            for seeded in made[::2]:
                grant(http, seeded, "carol", "READ")
            pages: list[list[str]] = []
            token = ""
            while True:
                params = {"max_results": "1", **({"page_token": token} if token else {})}
                page = ok(
                    http.get(
                        f"{API}/registered-models/search", params=params, headers=basic("carol")
                    )
                )
                models = page.get("registered_models", [])
                assert isinstance(models, list)
                pages.append([m["name"] for m in models])
                token = str(page.get("next_page_token", ""))
                if not token:
                    break
            found = [name for page in pages for name in page]
            assert sorted(found) == sorted(s.model_name for s in made[::2])
            assert all(len(p) == 1 for p in pages[:-1])
