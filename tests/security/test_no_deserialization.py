"""The server never deserializes user content, and nothing in Runstone unpacks archives.

Pickles (cloudpickle, joblib, ``torch.load``) run code when loaded, so the server must never
load a model or any file a client uploaded: it stores and streams bytes. Checked twice: the
server's own modules hold no such call, and a server that has stored and served a pickled
"model" has not even imported a pickle-based loader.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import runstone

SOURCE = Path(runstone.__file__).parent
SERVER_SIDE = ("server", "store", "artifacts", "search", "wire")
# Modules that load pickles, or frameworks whose loaders do.
LOADERS = (
    "cloudpickle",
    "joblib",
    "dill",
    "skops",
    "sklearn",
    "torch",
    "mlflow",
    "runstone.models.pyfunc",
    "runstone.sklearn",
    "runstone.pytorch",
    "runstone.pyfunc",
)
UNSAFE_CALLS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("pickle", "Unpickler"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("joblib", "load"),
    ("torch", "load"),
    ("dill", "load"),
    ("dill", "loads"),
    ("marshal", "load"),
    ("marshal", "loads"),
    ("shelve", "open"),
    ("yaml", "load"),  # yaml.safe_load is the safe one
    ("yaml", "unsafe_load"),
    ("numpy", "load"),
    ("np", "load"),
}


def python_files(*folders: str) -> list[Path]:
    roots = [SOURCE / folder for folder in folders] if folders else [SOURCE]
    return sorted(p for root in roots for p in root.rglob("*.py"))


def dotted_calls(path: Path) -> list[tuple[str, str, int]]:
    """``(module, function, line)`` of every ``module.function(...)`` call in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            found.append((node.func.value.id, node.func.attr, node.lineno))
    return found


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_server_side_code_has_no_deserializing_call() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{line}: {module}.{function}"
        for path in python_files(*SERVER_SIDE)
        for module, function, line in dotted_calls(path)
        if (module, function) in UNSAFE_CALLS or function in ("eval", "exec")
    ]
    assert offenders == []
    heavy = {"pickle", "cloudpickle", "joblib", "dill", "torch", "sklearn", "skops", "marshal"}
    imports = {
        str(path.relative_to(SOURCE)): sorted(imported_modules(path) & heavy)
        for path in python_files(*SERVER_SIDE)
    }
    assert {where: names for where, names in imports.items() if names} == {}


def test_nothing_in_runstone_extracts_archives() -> None:
    """No module unpacks a tar or zip file today. One that needs to must check every member
    first (no absolute path, no ``..``, no link leading out, bounded sizes); this test is the
    reminder, and the place to allow that checked helper by name."""
    offenders = []
    for path in python_files():
        imports = imported_modules(path)
        for module, function, line in dotted_calls(path):
            unpacking = function in ("extractall", "unpack_archive") or (
                function in ("extract", "open") and module in ("tarfile", "zipfile")
            )
            if unpacking:
                offenders.append(f"{path.relative_to(SOURCE)}:{line}: {module}.{function}")
        if imports & {"tarfile", "zipfile"}:
            offenders.append(
                f"{path.relative_to(SOURCE)}: imports {imports & {'tarfile', 'zipfile'}}"
            )
    assert offenders == []


SCRIPT = textwrap.dedent(
    """
    import json, pickle, sys, tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient

    from runstone.config import ServerSettings
    from runstone.server.app import create_app

    folder = Path(tempfile.mkdtemp())
    settings = ServerSettings(
        backend_store_uri=str(folder / "store"), artifacts_destination=str(folder / "artifacts")
    )
    api = "/api/2.0/mlflow"
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as http:
        experiment = http.post(f"{api}/experiments/create", json={"name": "e"}).json()
        run = http.post(
            f"{api}/runs/create", json={"experiment_id": experiment["experiment_id"]}
        ).json()["run"]["info"]
        run_id = run["run_id"]
        folder_ = run["artifact_uri"].removeprefix("mlflow-artifacts:").strip("/")
        proxy = f"/api/2.0/mlflow-artifacts/artifacts/{folder_}/model"
        evil = pickle.dumps(print)  # a pickle that would call print() if loaded
        mlmodel = (
            "flavors:\\n  python_function:\\n    loader_module: mlflow.pyfunc.model\\n"
            "    python_model: python_model.pkl\\n  sklearn:\\n    pickled_model: model.pkl\\n"
        )
        statuses = [
            http.put(f"{proxy}/MLmodel", content=mlmodel.encode()).status_code,
            http.put(f"{proxy}/model.pkl", content=evil).status_code,
            http.put(f"{proxy}/python_model.pkl", content=evil).status_code,
            http.get(f"{proxy}/model.pkl").status_code,
            http.get(f"{api}/artifacts/list", params={"run_id": run_id}).status_code,
            http.post(f"{api}/registered-models/create", json={"name": "m"}).status_code,
            http.post(
                f"{api}/model-versions/create",
                json={"name": "m", "source": f"runs:/{run_id}/model", "run_id": run_id},
            ).status_code,
            http.get(f"{api}/model-versions/get", params={"name": "m", "version": "1"}).status_code,
            http.get(
                f"{api}/model-versions/get-download-uri", params={"name": "m", "version": "1"}
            ).status_code,
            http.post(
                f"{api}/logged-models",
                json={"experiment_id": experiment["experiment_id"], "name": "lm"},
            ).status_code,
        ]
    print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
    """
)


def test_a_server_that_stored_and_served_pickles_never_imported_a_loader(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(status == 200 for status in report["statuses"]), report["statuses"]
    loaded = [
        name
        for name in report["modules"]
        if any(name == loader or name.startswith(loader + ".") for loader in LOADERS)
    ]
    assert loaded == []
