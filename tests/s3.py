"""A real S3 API on loopback for the ``s3://`` artifact tests: moto's standalone server.

Import the fixtures into a conftest (or a test module) that needs them::

    from tests.s3 import moto_endpoint, s3_bucket  # noqa: F401  (fixtures)

``moto_endpoint`` starts one server per test process (session scope) on 127.0.0.1 and a free
port; ``s3_bucket`` points the AWS and MLflow environment variables at it for one test and
creates a fresh, empty bucket, whose name it yields. Without moto the tests skip with the
reason, except under ``CI=true``, where a missing moto is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"
ACCESS_KEY = "runstone-test-key"
SECRET_KEY = "runstone-test-secret"


def _require_moto() -> Any:
    try:
        from moto.server import ThreadedMotoServer  # optional: the dev extra installs it
    except ImportError as exc:
        reason = f"moto[server] is not installed ({exc}); `pip install -e '.[dev]'`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the S3 tests: {reason}")
        pytest.skip(reason)
    return ThreadedMotoServer


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server on a random loopback port, for the whole session."""
    server_class = _require_moto()
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new empty bucket on the moto server; the environment points S3 clients at it."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", moto_endpoint)
    bucket = f"runstone-{uuid.uuid4().hex[:16]}"
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=bucket)
    yield bucket
    # moto keeps objects in memory: empty and drop the bucket so a session stays small.
    for key in object_keys(moto_endpoint, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=bucket)


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client on the moto server, to look at buckets behind Runstone's back."""
    import boto3  # optional: comes with moto and s3fs

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def object_keys(endpoint: str, bucket: str) -> list[str]:
    """Every key in ``bucket``, sorted."""
    pages = s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def pending_uploads(endpoint: str, bucket: str) -> list[str]:
    """The keys of multipart uploads started in ``bucket`` and neither completed nor aborted."""
    answer = s3_client(endpoint).list_multipart_uploads(Bucket=bucket)
    return sorted(upload["Key"] for upload in answer.get("Uploads", []))
