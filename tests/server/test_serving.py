"""`runstone models serve` as a real process answering real HTTP, and `runstone models
predict / generate-dockerfile / build-docker` as a user runs them."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from runstone import __version__
from runstone.client.client import RunstoneClient
from runstone.config import find_uv
from runstone.models import pyfunc
from tests.cli_helpers import assert_one_line_error, invoke
from tests.server.processes import RUNSTONE, free_port, stop

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from runstone.models.flavors import sklearn as sklearn_flavor  # noqa: E402

JSON = {"Content-Type": "application/json"}


def start_scoring_server(
    model_dir: Path,
    *extra: str,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    ping_status: int = 200,
) -> tuple[subprocess.Popen[bytes], str]:
    """``runstone models serve -m DIR --port P ARGS``; returns once /ping answers
    ``ping_status``."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RUNSTONE_", "MLFLOW_"))}
    env = {**clean, **(env or {})}
    argv = [*RUNSTONE, "models", "serve", "-m", str(model_dir), "--port", str(port), *extra]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"runstone models serve exited with {proc.returncode}: {stderr}")
        try:
            if httpx.get(f"{url}/ping", timeout=1.0).status_code == ping_status:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    stop(proc)
    raise RuntimeError("runstone models serve did not answer /ping in time")


# -- models ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sklearn_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A logistic regression over two double columns ``a`` and ``b``."""
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    path = tmp_path_factory.mktemp("models") / "logreg"
    # cloudpickle rather than the default skops: importing skops.io takes seconds here (it
    # imports every estimator, and torch with them), and each test module starts servers.
    sklearn_flavor.save_model(
        model, path, input_example=X.head(2), serialization_format="cloudpickle"
    )
    return path


@pytest.fixture(scope="module")
def custom_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PythonModel that reports its input and params; params can make it fail or sleep."""

    # Defined here, so cloudpickle stores the class by value: the server need not import tests.
    class Echo(pyfunc.PythonModel):
        def predict(
            self, context: Any, model_input: Any, params: dict[str, Any] | None = None
        ) -> Any:
            import time as clock

            params = params or {}
            if params.get("fail"):
                raise RuntimeError("asked to fail")
            if params.get("sleep"):
                clock.sleep(float(params["sleep"]))
            return {"columns": [str(c) for c in model_input.columns], "params": params}

    example = pd.DataFrame({"x": [1], "name": ["a"]})
    params = {"fail": False, "sleep": 0.0, "label": "default"}
    path = tmp_path_factory.mktemp("models") / "echo"
    pyfunc.save_model(path, python_model=Echo(), input_example=(example, params))
    return path


@pytest.fixture(scope="module")
def sklearn_url(sklearn_model: Path) -> Iterator[str]:
    proc, url = start_scoring_server(sklearn_model)
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def custom_url(custom_model: Path) -> Iterator[str]:
    proc, url = start_scoring_server(custom_model, "--timeout", "0.5")
    try:
        yield url
    finally:
        stop(proc)


def post(url: str, body: bytes | str, content_type: str = "application/json") -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx.post(
        f"{url}/invocations", content=data, headers={"Content-Type": content_type}, timeout=30
    )


def post_json(url: str, document: object) -> httpx.Response:
    return post(url, json.dumps(document))


# -- routes ----------------------------------------------------------------------------------


def test_ping_health_and_version(sklearn_url: str) -> None:
    for route in ("/ping", "/health"):
        response = httpx.get(f"{sklearn_url}{route}")
        assert response.status_code == 200
        assert response.text == "\n"
        assert response.headers["content-type"] == "application/json"
    version = httpx.get(f"{sklearn_url}/version")
    assert version.status_code == 200
    assert version.text == __version__
    assert httpx.get(f"{sklearn_url}/nowhere").status_code == 404
    assert httpx.get(f"{sklearn_url}/invocations").status_code == 405


def test_a_model_that_fails_to_load_is_unhealthy(custom_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(custom_model, broken)
    (broken / "python_model.pkl").write_bytes(b"not a pickle")
    proc, url = start_scoring_server(broken, ping_status=404)
    try:
        assert httpx.get(f"{url}/health").status_code == 404
        response = post_json(url, {"inputs": [[1.0, 2.0]]})
        assert response.status_code == 503
        assert "failed to load" in response.json()["message"]
    finally:
        stop(proc)


@pytest.mark.parametrize(
    "document",
    [
        {"dataframe_split": {"columns": ["a", "b"], "data": [[3.0, 1.0], [0.0, 1.0]]}},
        {"dataframe_records": [{"a": 3.0, "b": 1.0}, {"a": 0.0, "b": 1.0}]},
        {"instances": [[3.0, 1.0], [0.0, 1.0]]},
        {"instances": [{"a": 3.0, "b": 1.0}, {"a": 0.0, "b": 1.0}]},
        {"inputs": {"a": [3.0, 0.0], "b": [1.0, 1.0]}},
        {"inputs": [[3, 1], [0, 1]]},
    ],
)
def test_every_json_format(sklearn_url: str, document: dict[str, Any]) -> None:
    response = post_json(sklearn_url, document)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"predictions": [1, 0]}


def test_csv_and_charset(sklearn_url: str) -> None:
    response = post(sklearn_url, "a,b\n3,1\n0,1\n", "text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [1, 0]}


def test_keep_alive_connection_serves_many_requests(sklearn_url: str) -> None:
    host, port = sklearn_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[3.0, 1.0]]}})
    try:
        for _ in range(50):
            connection.request("POST", "/invocations", body, JSON)
            response = connection.getresponse()
            assert response.status == 200
            assert json.loads(response.read()) == {"predictions": [1]}
    finally:
        connection.close()


def test_signature_violation_names_the_column(sklearn_url: str) -> None:
    response = post_json(sklearn_url, {"dataframe_records": [{"a": "text", "b": 1.0}]})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert "column 'a'" in body["message"]
    assert "double" in body["message"]
    csv = post(sklearn_url, "a,b\nx,1\n", "text/csv")
    assert csv.status_code == 400
    assert "column 'a'" in csv.json()["message"]
    missing = post_json(sklearn_url, {"dataframe_records": [{"a": 1.0}]})
    assert missing.status_code == 400
    assert "'b'" in missing.json()["message"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{not json", "Invalid JSON"),
        ("[[1.0, 2.0]]", "JSON list"),
        ('{"data": [[1.0, 2.0]]}', "exactly one of"),
        ('{"inputs": [[1.0, 2.0]], "instances": [[1.0, 2.0]]}', "exactly one of"),
    ],
)
def test_bad_bodies_are_400(sklearn_url: str, body: str, fragment: str) -> None:
    response = post(sklearn_url, body)
    assert response.status_code == 400
    assert response.json()["error_code"] == "BAD_REQUEST"
    assert fragment in response.json()["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; format=pandas-split",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
    ],
)
def test_unsupported_content_types_are_415(sklearn_url: str, content_type: str) -> None:
    response = post(sklearn_url, "{}", content_type)
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("text/plain")


def test_parquet_needs_pyarrow(sklearn_url: str) -> None:
    frame = pd.DataFrame({"a": [3.0], "b": [1.0]})
    if importlib.util.find_spec("pyarrow") is not None:
        response = post(sklearn_url, frame.to_parquet(), "application/vnd.apache.parquet")
        assert response.json() == {"predictions": [1]}
    else:
        response = post(sklearn_url, b"PAR1", "application/vnd.apache.parquet")
        assert response.status_code == 415
        assert "pyarrow" in response.text


# -- a custom model: params, failures, timeouts --------------------------------------------


def test_params_reach_the_model(custom_url: str) -> None:
    document = {"dataframe_records": [{"x": 1, "name": "a"}], "params": {"label": "given"}}
    response = post_json(custom_url, document)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "predictions": {
            "columns": ["x", "name"],
            "params": {"fail": False, "sleep": 0.0, "label": "given"},
        }
    }


def test_bad_param_type_is_400(custom_url: str) -> None:
    document = {"dataframe_records": [{"x": 1, "name": "a"}], "params": {"sleep": "long"}}
    response = post_json(custom_url, document)
    assert response.status_code == 400
    assert "sleep" in response.json()["message"]


def test_exception_in_predict_is_400_with_stack_trace(custom_url: str) -> None:
    document = {"dataframe_records": [{"x": 1, "name": "a"}], "params": {"fail": True}}
    response = post_json(custom_url, document)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert "unexpected error while evaluating the model" in body["message"]
    assert "asked to fail" in body["stack_trace"]


def test_request_over_the_timeout_is_504(custom_url: str) -> None:
    document = {"dataframe_records": [{"x": 1, "name": "a"}], "params": {"sleep": 1.5}}
    started = time.monotonic()
    response = post_json(custom_url, document)
    assert response.status_code == 504
    assert time.monotonic() - started < 1.4
    assert httpx.get(f"{custom_url}/ping").status_code == 200  # still answering meanwhile


def test_a_stuck_request_does_not_hold_up_the_next(custom_url: str) -> None:
    stuck = {"dataframe_records": [{"x": 1, "name": "a"}], "params": {"sleep": 1.5}}
    quick = {"dataframe_records": [{"x": 2, "name": "b"}], "params": {"label": "quick"}}
    with ThreadPoolExecutor(1) as client:
        slow = client.submit(post_json, custom_url, stuck)
        time.sleep(0.1)  # the stuck request is in the server's predict pool by now
        started = time.monotonic()
        response = post_json(custom_url, quick)
        assert response.status_code == 200
        assert response.json()["predictions"]["params"]["label"] == "quick"
        assert time.monotonic() - started < 0.45  # not after the stuck one's 504
        assert slow.result().status_code == 504


# -- offline: predict, generate-dockerfile, build-docker ---------------------------------------


def test_predict_json_and_csv_files(sklearn_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "input.json"
    source.write_text(json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[3, 1]]}}))
    outcome = invoke("models", "predict", "-m", str(sklearn_model), "-i", str(source))
    assert outcome.exit_code == 0, outcome
    assert json.loads(outcome.stdout) == {"predictions": [1]}
    table = tmp_path / "input.csv"
    table.write_text("a,b\n3,1\n0,1\n")
    target = tmp_path / "out.json"
    outcome = invoke(
        "models", "predict", "-m", str(sklearn_model), "-i", str(table), "-t", "csv",
        "-o", str(target),
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome
    assert json.loads(target.read_text()) == {"predictions": [1, 0]}


def test_predict_a_model_given_by_runs_uri(sklearn_model: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    client = RunstoneClient(store)
    run = client.create_run(client.create_experiment("serving"))
    client.log_artifacts(run.info.run_id, sklearn_model, "model")
    source = tmp_path / "input.json"
    source.write_text(json.dumps({"inputs": [[3.0, 1.0]]}))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RUNSTONE_", "MLFLOW_"))}
    done = subprocess.run(
        [*RUNSTONE, "models", "predict", "-m", f"runs:/{run.info.run_id}/model", "-i", str(source)],
        env={**clean, "RUNSTONE_TRACKING_URI": store},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"predictions": [1]}


def test_predict_errors_are_one_line(sklearn_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps({"dataframe_records": [{"a": "x", "b": 1.0}]}))
    outcome = invoke("models", "predict", "-m", str(sklearn_model), "-i", str(source))
    assert_one_line_error(outcome, "column 'a'")
    outcome = invoke("models", "predict", "-m", str(tmp_path / "missing"))
    assert_one_line_error(outcome, "missing")


def test_unknown_env_manager_is_a_usage_error(sklearn_model: Path) -> None:
    outcome = invoke("models", "serve", "-m", str(sklearn_model), "--env-manager", "conda")
    assert outcome.exit_code == 2
    assert "conda" in outcome.stderr


def test_generate_dockerfile(sklearn_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "context"
    outcome = invoke("models", "generate-dockerfile", "-m", str(sklearn_model), "-d", str(out))
    assert outcome.exit_code == 0, outcome
    dockerfile = (out / "Dockerfile").read_text()
    assert dockerfile.startswith("# Generated by `runstone models generate-dockerfile`.")
    assert "FROM python:3." in dockerfile
    assert "RUN pip install -r /opt/runstone/requirements.txt" in dockerfile
    assert f'RUN pip install "runstone[server]=={__version__}" pandas' in dockerfile
    assert "COPY model_dir /opt/ml/model" in dockerfile
    assert "EXPOSE 8080" in dockerfile
    assert dockerfile.rstrip().endswith(
        'CMD ["runstone", "models", "serve", "-m", "/opt/ml/model", "-h", "0.0.0.0", "-p", "8080"]'
    )
    assert (out / "model_dir" / "MLmodel").is_file()
    again = invoke("models", "generate-dockerfile", "-m", str(sklearn_model), "-d", str(out))
    assert_one_line_error(again, "already exists")


def test_build_docker_without_an_engine(
    sklearn_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no docker command on this PATH
    outcome = invoke("models", "build-docker", "-m", str(sklearn_model))
    assert_one_line_error(outcome, "no Docker engine answered")


# -- --env-manager uv --------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_in_a_uv_environment(custom_model: Path, tmp_path: Path) -> None:
    if find_uv() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("uv is not installed (it is in the dev extra)")
        pytest.skip("uv is not installed")
    env = {"RUNSTONE_ENV_ROOT": str(tmp_path / "envs")}
    proc, url = start_scoring_server(custom_model, "--env-manager", "uv", timeout=600, env=env)
    try:
        document = {"dataframe_records": [{"x": 1, "name": "a"}]}
        assert post_json(url, document).json()["predictions"]["columns"] == ["x", "name"]
    finally:
        stop(proc)
    assert len(list((tmp_path / "envs").glob("runstone-*/.runstone-ready"))) == 1
