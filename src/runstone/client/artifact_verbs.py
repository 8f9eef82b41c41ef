"""The artifact verbs of RunstoneClient: files and in-memory objects stored with a run.

The artifacts package (fsspec, numpy) loads on the first artifact call, not at import.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from runstone.entities import FileInfo

if TYPE_CHECKING:
    from runstone.artifacts import ArtifactRepo
    from runstone.entities import Run


class ArtifactVerbs:
    """Mixed into RunstoneClient, which provides ``get_run``."""

    def get_run(self, run_id: str) -> Run:
        raise NotImplementedError

    def artifact_repo(self, run_id: str) -> ArtifactRepo:
        """The repository holding ``run_id``'s artifacts (its ``artifact_uri``)."""
        from runstone.artifacts import ArtifactRepo  # fsspec: loaded on first artifact use

        return ArtifactRepo.from_uri(self.get_run(run_id).info.artifact_uri)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        self.artifact_repo(run_id).log_artifact(local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        self.artifact_repo(run_id).log_artifacts(local_dir, artifact_path)

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

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        return self.artifact_repo(run_id).download_artifacts(path, dst_path)
