"""``runstone models``: serve a model over HTTP, score a file with it, or package it in a
Docker image, with the option names of ``mlflow models``.

A model is a local directory or any model URI (``runs:/<run_id>/model``, ``models:/<name>/1``,
``s3://...``), downloaded first when it is not local.
"""

from __future__ import annotations

import click

from runstone.client.models import local_model_dir
from runstone.serving import docker
from runstone.serving.runner import ENV_MANAGERS, predict, serve

# `-h` is --host here, as in `mlflow models serve`; help stays on --help.
_CONTEXT = {"help_option_names": ["--help"]}

MODEL_URI = click.option(
    "-m",
    "--model-uri",
    required=True,
    metavar="URI",
    help="The model: a local directory, runs:/<run_id>/<path>, models:/<name>/<version>, ...",
)
ENV_MANAGER = click.option(
    "--env-manager",
    type=click.Choice(ENV_MANAGERS),
    default="local",
    show_default=True,
    help="local: this Python environment; uv: a virtualenv built (once, then cached) from the "
    "model's python_env.yaml and requirements.txt.",
)


@click.group(context_settings=_CONTEXT)
def models() -> None:
    """Serve models, score files with them, and build Docker images that serve them."""


@models.command("serve", context_settings=_CONTEXT)
@MODEL_URI
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("-p", "--port", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "-w", "--workers", default=1, show_default=True, type=click.IntRange(1, 64),
    help="Server processes.",
)  # fmt: skip
@click.option(
    "-t",
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a request may take before it is answered 504.",
)
@ENV_MANAGER
def serve_command(
    model_uri: str, host: str, port: int, workers: int, timeout: float, env_manager: str
) -> None:
    """Serve the model's predictions on /invocations (MLflow's scoring protocol), with /ping,
    /health and /version."""
    serve(
        model_uri, host=host, port=port, workers=workers, timeout=timeout, env_manager=env_manager
    )


@models.command("predict", context_settings=_CONTEXT)
@MODEL_URI
@click.option(
    "-i", "--input-path", default=None, metavar="FILE", help="Input to score (default: stdin)."
)
@click.option(
    "-o",
    "--output-path",
    default=None,
    metavar="FILE",
    help="Where to write the predictions (default: stdout).",
)
@click.option(
    "-t",
    "--content-type",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help='json: a request body of the scoring server ({"dataframe_split": ...} and so on); '
    "csv: a table with a header row.",
)
@ENV_MANAGER
def predict_command(
    model_uri: str,
    input_path: str | None,
    output_path: str | None,
    content_type: str,
    env_manager: str,
) -> None:
    """Score one input with the model and print {"predictions": ...}, as the server answers."""
    predict(model_uri, input_path, output_path, content_type, env_manager)


@models.command("generate-dockerfile", context_settings=_CONTEXT)
@click.option(
    "-m",
    "--model-uri",
    default=None,
    metavar="URI",
    help="The model to copy into the image (default: none; mount one at /opt/ml/model).",
)
@click.option(
    "-d",
    "--output-directory",
    default="mlflow-dockerfile",
    show_default=True,
    metavar="DIR",
    help="Where to write the Dockerfile and the model (a new or empty directory).",
)
def generate_dockerfile_command(model_uri: str | None, output_directory: str) -> None:
    """Write a Docker build context whose image serves the model on 0.0.0.0:8080."""
    model_dir = None if model_uri is None else local_model_dir(model_uri)
    out = docker.generate_dockerfile(output_directory, model_dir)
    click.echo(f"Wrote {out / 'Dockerfile'}; build it with: docker build -t NAME {out}")


@models.command("build-docker", context_settings=_CONTEXT)
@click.option(
    "-m",
    "--model-uri",
    default=None,
    metavar="URI",
    help="The model to copy into the image (default: none; mount one at /opt/ml/model).",
)
@click.option(
    "-n",
    "--name",
    default="runstone-pyfunc-servable",
    show_default=True,
    help="Name (tag) of the image.",
)
def build_docker_command(model_uri: str | None, name: str) -> None:
    """Build a Docker image that serves the model on port 8080 (needs a running Docker engine)."""
    docker.check_docker_engine()
    model_dir = None if model_uri is None else local_model_dir(model_uri)
    docker.build_docker(model_dir, name)
    click.echo(f"Built image {name}; run it with: docker run -p 8080:8080 {name}")
