"""What every route of one server shares: its settings, its store and its artifact storage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runstone.artifacts import ArtifactRepo, safe_relative_path
from runstone.config import ServerSettings, StoreSettings
from runstone.errors import TemporarilyUnavailable
from runstone.server.locations import ArtifactRoots
from runstone.store.sql import SqlStore
from runstone.uri import parse_tracking_uri, sqlite_path

PROXY_SCHEME = "mlflow-artifacts:"


@dataclass(frozen=True, slots=True)
class Located:
    """Artifacts of one run (or model) inside a repository: ``repo`` + ``prefix``."""

    repo: ArtifactRepo
    prefix: str

    def path(self, rel: str | None) -> str:
        clean = safe_relative_path(rel or "")
        return "/".join(part for part in (self.prefix, clean) if part)

    def relative(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full


class ServerContext:
    def __init__(self, settings: ServerSettings, store: SqlStore | None = None) -> None:
        self.settings = settings
        destination = artifacts_destination(settings)
        self.store = store or open_store(settings)
        self.roots = ArtifactRoots(
            [settings.default_artifact_root or "", destination], settings.serve_artifacts
        )
        self._proxy = ArtifactRepo.from_uri(destination) if settings.serve_artifacts else None

    @property
    def proxy(self) -> ArtifactRepo:
        """The storage behind ``/api/2.0/mlflow-artifacts`` (not with --no-serve-artifacts)."""
        if self._proxy is None:
            raise TemporarilyUnavailable(
                "This server does not serve artifacts (it was started with --no-serve-artifacts)."
            )
        return self._proxy

    @property
    def multipart_uploads_enabled(self) -> bool:
        """Whether the proxy takes files in parts (an S3 destination), for server-info."""
        return self._proxy is not None and self._proxy.supports_multipart

    def locate(self, artifact_uri: str) -> Located:
        """Where the artifacts under ``artifact_uri`` (a run's or a model's) are stored."""
        if artifact_uri.startswith(PROXY_SCHEME):
            rest = artifact_uri[len(PROXY_SCHEME) :]
            if rest.startswith("//"):  # mlflow-artifacts://host:port/path
                rest = "/" + rest[2:].partition("/")[2]
            return Located(self.proxy, safe_relative_path(rest.lstrip("/")))
        # A location stored before the roots were what they are now is still checked.
        return Located(ArtifactRepo.from_uri(self.roots.check(artifact_uri, "artifact URI")), "")

    def close(self) -> None:
        self.store.close()


def open_store(settings: ServerSettings) -> SqlStore:
    """The backend store, migrated if it is new; new experiments get artifact locations under
    ``--default-artifact-root`` (default: the proxy when serving artifacts, else the folder)."""
    root = settings.default_artifact_root or (
        f"{PROXY_SCHEME}/" if settings.serve_artifacts else artifacts_destination(settings)
    )
    return SqlStore(
        settings.backend_store_uri, artifact_root=root, settings=StoreSettings.from_env()
    )


def artifacts_destination(settings: ServerSettings) -> str:
    """Where proxied artifacts are stored: ``--artifacts-destination``, else next to a SQLite
    file, else (a database server) in ./runstone/artifacts."""
    if settings.artifacts_destination:
        return settings.artifacts_destination
    parsed = parse_tracking_uri(settings.backend_store_uri)
    path = sqlite_path(parsed.url) if parsed.url.startswith("sqlite") else None
    folder = path.absolute().parent if path else Path.cwd().absolute() / "runstone"
    return str(folder / "artifacts")
