"""The logged-model verbs of RunstoneClient (MLflow 3): a model's record, status, tags, params
and files, apart from any run.

Names and arguments are MlflowClient's. A logged model is created PENDING, gets its files
(:meth:`LoggedModelVerbs.log_model_artifacts`) and is then finalized READY, or UPLOAD_FAILED if
the upload broke — so a half-uploaded model is never mistaken for a usable one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runstone.entities import LoggedModel, LoggedModelOutput, LoggedModelStatus, Page

if TYPE_CHECKING:
    from runstone.artifacts import ArtifactRepo
    from runstone.entities import FileInfo
    from runstone.store.base import Store


def _strings(values: Mapping[str, Any] | None) -> dict[str, str] | None:
    return None if values is None else {str(k): str(v) for k, v in values.items()}


class LoggedModelVerbs:
    """Mixed into RunstoneClient, which provides ``store`` and ``artifact_repo_for_uri``."""

    @property
    def store(self) -> Store:
        raise NotImplementedError

    def artifact_repo_for_uri(self, uri: str) -> ArtifactRepo:
        raise NotImplementedError

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING logged model in ``experiment_id`` (a generated name if none is given);
        tag and param values are stored as strings."""
        return self.store.create_logged_model(
            experiment_id,
            name=name,
            source_run_id=source_run_id,
            tags=_strings(tags),
            params=_strings(params),
            model_type=model_type,
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self.store.get_logged_model(model_id)

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        """Record the end of the model's upload: READY, or UPLOAD_FAILED."""
        return self.store.finalize_logged_model(model_id, status)

    def delete_logged_model(self, model_id: str) -> None:
        self.store.delete_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None:
        self.store.set_logged_model_tags(model_id, _strings(tags) or {})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.store.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: Mapping[str, Any]) -> None:
        self.store.log_logged_model_params(model_id, _strings(params) or {})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 50,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        """One page of the experiments' logged models, newest first; the filter compares
        ``name``, ``source_run_id``, ``model_type``, ``status`` and ``tags.<key>``."""
        return self.store.search_logged_models(
            list(experiment_ids), filter_string or None, max_results, order_by, page_token
        )

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record that run ``run_id`` produced these models (each at a step)."""
        self.store.log_outputs(run_id, [(m.model_id, m.step) for m in models])

    def log_model_artifacts(self, model_id: str, local_dir: str | os.PathLike[str]) -> None:
        """Upload a folder's files into the logged model's location."""
        model = self.get_logged_model(model_id)
        self.artifact_repo_for_uri(model.artifact_uri).log_artifacts(local_dir)

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list[FileInfo]:
        model = self.get_logged_model(model_id)
        return self.artifact_repo_for_uri(model.artifact_uri).list_artifacts(path)
