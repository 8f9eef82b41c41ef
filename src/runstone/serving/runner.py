"""Running a model: ``serve`` (the scoring server under uvicorn) and ``predict`` (one batch,
offline), each in this interpreter or in a uv environment built from the model's requirements.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Final

from runstone.client.models import local_model_dir
from runstone.config import SCORING_SETTINGS_VARIABLE, ScoringSettings
from runstone.errors import BadRequest, InvalidParameterValue
from runstone.models.pyfunc import load_model
from runstone.serving import environments
from runstone.serving.app import create_app
from runstone.serving.payload import (
    CONTENT_TYPE_CSV,
    CONTENT_TYPE_JSON,
    PayloadParser,
    encode_predictions,
)

ENV_MANAGERS: Final = ("local", "uv")
CONTENT_TYPE_CHOICES: Final = {"json": CONTENT_TYPE_JSON, "csv": CONTENT_TYPE_CSV}


def _check_env_manager(env_manager: str) -> None:
    if env_manager not in ENV_MANAGERS:
        raise InvalidParameterValue(
            f"Unknown env manager {env_manager!r}: use {' or '.join(ENV_MANAGERS)}."
        )


# ------------------------------------------------------------------------------------ serve


def serve(
    model_uri: str,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    timeout: float = 60.0,
    env_manager: str = "local",
) -> None:
    """Serve the model until interrupted (``env_manager``: ``local`` or ``uv``)."""
    _check_env_manager(env_manager)
    model_dir = str(Path(local_model_dir(model_uri)).resolve())
    if env_manager == "uv":
        python = environments.uv_environment(model_dir)
        args = ["--model-dir", model_dir, "--host", host, "--port", str(port)]
        args += ["--workers", str(workers), "--timeout", str(timeout)]
        _replace_process([str(python), "-m", "runstone.serving", *args])
        return
    run_server(ScoringSettings(model_dir=model_dir, timeout_s=timeout), host, port, workers)


def run_server(settings: ScoringSettings, host: str, port: int, workers: int = 1) -> None:
    """uvicorn on ``host:port``; several workers build their app from the environment."""
    import uvicorn  # optional dependency (the server extra), needed by serving only

    common = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,
        "timeout_keep_alive": 30,
    }
    if workers <= 1:
        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    os.environ[SCORING_SETTINGS_VARIABLE] = settings.to_json()
    uvicorn.run(
        "runstone.serving.app:create_app_from_env",
        factory=True,
        workers=workers,
        **common,  # type: ignore[arg-type]
    )


def _replace_process(argv: list[str]) -> None:
    """Run ``argv`` in place of this process (POSIX), so signals reach the server itself."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(argv[0], argv)
    raise SystemExit(subprocess.run(argv, check=False).returncode)


# ---------------------------------------------------------------------------------- predict


def predict(
    model_uri: str,
    input_path: str | None = None,
    output_path: str | None = None,
    content_type: str = "json",
    env_manager: str = "local",
) -> None:
    """Score one input (a file, or stdin) and write ``{"predictions": ...}`` (a file, or
    stdout), reading it as the scoring server reads a request body."""
    _check_env_manager(env_manager)
    if content_type not in CONTENT_TYPE_CHOICES:
        raise InvalidParameterValue(f"Unknown content type {content_type!r}: use json or csv.")
    if env_manager == "uv":
        model_dir = str(Path(local_model_dir(model_uri)).resolve())
        python = environments.uv_environment(model_dir)
        args = ["-m", "runstone", "models", "predict", "-m", model_dir, "-t", content_type]
        args += ["-i", input_path] if input_path else []
        args += ["-o", output_path] if output_path else []
        _replace_process([str(python), *args])
        return
    body = _read_input(input_path)
    # A downloaded model lives only as long as this call; a local directory is used in place.
    with tempfile.TemporaryDirectory(prefix="runstone-model-") as download:
        model_dir = local_model_dir(model_uri, dst_path=download)
        result = predict_bytes(model_dir, body, CONTENT_TYPE_CHOICES[content_type])
    if output_path:
        Path(output_path).write_bytes(result + b"\n")
    else:
        _write(sys.stdout.buffer, result + b"\n")


def predict_bytes(model_dir: str, body: bytes, media_type: str) -> bytes:
    """The JSON answer for ``body`` (one request), or the RunstoneError saying what is wrong."""
    model = load_model(model_dir)
    schema = None if model.signature is None else model.signature.inputs
    parsed = PayloadParser(schema).parse(body, media_type)
    return encode_predictions(model.predict(parsed.data, parsed.params), parsed.wrap)


def _read_input(input_path: str | None) -> bytes:
    if input_path is None:
        return sys.stdin.buffer.read()
    try:
        return Path(input_path).read_bytes()
    except OSError as exc:
        raise BadRequest(f"Cannot read the input {input_path!r}: {exc.strerror}") from None


def _write(stream: BinaryIO, data: bytes) -> None:
    stream.write(data)
    stream.flush()
