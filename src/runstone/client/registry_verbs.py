"""The model registry verbs of RunstoneClient: registered models, versions, stages, aliases.

Names and defaults are MlflowClient's, so code written for it runs unchanged. Version
arguments take the number as an int or as its string; returned versions carry strings, as on
the wire. Tag values are stringified as MLflow does (``set_model_version_tag(..., 0.9)`` stores
``"0.9"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runstone.client import context
from runstone.entities import ModelStage, ModelVersion, Page, RegisteredModel
from runstone.store.base import Store


def _str_tags(tags: Mapping[str, Any] | None) -> dict[str, str] | None:
    return None if tags is None else {str(k): str(v) for k, v in tags.items()}


class RegistryVerbs:
    """Mixed into RunstoneClient, which provides ``store``."""

    @property
    def store(self) -> Store:
        raise NotImplementedError

    # -- registered models ---------------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        return self.store.create_registered_model(name, _str_tags(tags), description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.store.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self.store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        return self.store.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model and every version of it (aliases and tags too)."""
        self.store.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        """One page of models (``next_page_token`` leads to the next); the filter takes
        ``name`` and ``tags.<key>`` as MLflow's does."""
        return self.store.search_registered_models(
            filter_string or None, max_results, order_by, page_token
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (default: every stage that has one)."""
        return self.store.get_latest_versions(name, list(stages) if stages else None)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self.store.set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self.store.delete_registered_model_tag(name, key)

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version``, moving it if it pointed elsewhere."""
        self.store.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self.store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self.store.get_model_version_by_alias(name, alias)

    # -- model versions ------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """A new version of model ``name`` (which must exist) whose files are at ``source``,
        recorded as created by the current user. It is READY at once."""
        return self.store.create_model_version(
            name,
            source,
            run_id=run_id or None,
            tags=_str_tags(tags),
            run_link=run_link,
            description=description,
            model_id=model_id,
            user_id=context.current_user(),
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self.store.get_model_version(name, version)

    def update_model_version(self, name: str, version: str | int, description: str) -> ModelVersion:
        return self.store.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete a version; its number is never given to another version."""
        self.store.delete_model_version(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        """One page of versions; the filter takes ``name``, ``run_id``, ``source_path``,
        ``version_number`` and ``tags.<key>`` as MLflow's does."""
        return self.store.search_model_versions(
            filter_string or None, max_results, order_by, page_token
        )

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str | ModelStage,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to ``stage`` (any letter case); with ``archive_existing_versions``
        the other versions in that stage (Staging or Production) become Archived."""
        return self.store.transition_model_version_stage(
            name, version, stage, archive_existing_versions
        )

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: Any) -> None:
        self.store.set_model_version_tag(name, version, key, str(value))

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self.store.delete_model_version_tag(name, version, key)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the version's files are, as the registry records it (a ``runs:/`` source
        stays ``runs:/``; ``download_artifacts(artifact_uri="models:/…")`` follows it)."""
        return self.store.get_model_version_download_uri(name, version)
