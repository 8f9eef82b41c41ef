"""The artifact verbs of RunstoneClient: files and in-memory objects stored with a run.

The artifacts package (fsspec, numpy) loads on the first artifact call, not at import.

A run created on a server that serves artifacts has an ``mlflow-artifacts:/…`` URI: its files
go through the server's artifact proxy, at the client's tracking URI, over the same pooled
HTTP client as the REST store's requests.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from runstone.client import resolve
from runstone.entities import FileInfo
from runstone.errors import InvalidParameterValue

if TYPE_CHECKING:
    import httpx

    from runstone.artifacts import ArtifactRepo
    from runstone.config import RestSettings
    from runstone.entities import Run
    from runstone.store.base import Store


class ArtifactVerbs:
    """Mixed into RunstoneClient, which provides ``tracking_uri``, ``store``, ``get_run`` and
    ``artifact_http``."""

    tracking_uri: str

    @property
    def store(self) -> Store:
        raise NotImplementedError

    def get_run(self, run_id: str) -> Run:
        raise NotImplementedError

    def artifact_http(self) -> tuple[httpx.Client, RestSettings]:
        """The HTTP client (and its settings) that reaches a tracking server's artifact proxy."""
        raise NotImplementedError

    def artifact_repo(self, run_id: str) -> ArtifactRepo:
        """The repository holding ``run_id``'s artifacts (its ``artifact_uri``)."""
        return self.artifact_repo_for_uri(self.get_run(run_id).info.artifact_uri)

    def artifact_repo_for_uri(self, uri: str) -> ArtifactRepo:
        """The repository at ``uri``: storage this process reaches itself, or (for
        ``mlflow-artifacts:`` and ``http(s)`` URIs) a tracking server's artifact proxy.
        ``runs:/`` and ``models:/`` URIs are resolved to the place they name first."""
        from runstone.artifacts import ArtifactRepo, is_proxy_uri  # fsspec: on first use

        if resolve.is_logical_uri(uri):
            uri = resolve.resolve(self.store, uri).uri
        if not is_proxy_uri(uri):
            return ArtifactRepo.from_uri(uri)
        http, settings = self.artifact_http()
        return ArtifactRepo.from_uri(
            uri, tracking_uri=self.tracking_uri, http=http, rest_settings=settings
        )

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Upload a file (with a progress bar on a terminal when it is large)."""
        from runstone.client.progress import interactive, local_files, transfer_progress

        repo = self.artifact_repo(run_id)
        size = local_files(local_path)[1] if interactive() else None  # sized for a bar only
        with transfer_progress(f"Uploading {os.path.basename(local_path)}", size) as report:
            repo.log_artifact(local_path, artifact_path, progress=report)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Upload a folder's files in parallel (with a progress bar on a terminal when large)."""
        from runstone.client.progress import interactive, local_files, transfer_progress

        repo = self.artifact_repo(run_id)
        size = local_files(local_dir)[1] if interactive() else None  # sized for a bar only
        with transfer_progress(f"Uploading {os.path.basename(local_dir)}", size) as report:
            repo.log_artifacts(local_dir, artifact_path, progress=report)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        from runstone.artifacts import content

        content.write_text(self.artifact_repo(run_id), text, artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        from runstone.artifacts import content

        content.write_dict(self.artifact_repo(run_id), dictionary, artifact_file)

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: dict[str, Any] | None = None,
    ) -> None:
        from runstone.artifacts import content

        content.write_figure(self.artifact_repo(run_id), figure, artifact_file, save_kwargs)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        from runstone.artifacts import content

        content.write_image(self.artifact_repo(run_id), image, artifact_file)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        from runstone.artifacts import content

        content.write_table(self.artifact_repo(run_id), data, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self.artifact_repo(run_id).list_artifacts(path)

    def download_artifacts(
        self,
        run_id: str | None = None,
        path: str = "",
        dst_path: str | None = None,
        *,
        artifact_uri: str | None = None,
    ) -> str:
        """Download a file or folder of a run, or at ``artifact_uri`` (``runs:/…``,
        ``models:/…`` or a storage URI), with a progress bar on a terminal when it is large
        (its size is only looked up then). A model version's files go straight into
        ``dst_path``; any other URI's last segment becomes a file or folder inside it."""
        from runstone.client.progress import interactive, transfer_progress

        if (run_id is None) == (artifact_uri is None):
            raise InvalidParameterValue("Give exactly one of run_id and artifact_uri.")
        if artifact_uri is not None:
            if path:
                raise InvalidParameterValue("Give the path inside artifact_uri, not as path.")
            where = resolve.download_location(self.store, artifact_uri)
            repo, path = self.artifact_repo_for_uri(where.root), where.path
        else:
            repo = self.artifact_repo(str(run_id))
        size = repo.size_of(path) if interactive() else None
        with transfer_progress(f"Downloading {path or 'artifacts'}", size) as report:
            return repo.download_artifacts(path, dst_path, progress=report)
