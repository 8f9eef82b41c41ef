"""The model registry half of :class:`runstone.store.rest.RestStore`.

Each method is one request to MLflow's registry API (mlflow-compat.md §1.11), sent with the
method MLflow's server serves it under: GET for reads, PATCH for updates, DELETE with a JSON
body for removals. What is retried follows the rules of :mod:`runstone.store.rest`:

* reads, ``get-latest-versions``, tag and alias sets, description updates and stage
  transitions are retried: repeating them leaves the same state;
* the two creates are retried with one ``Idempotency-Key`` per call, so the server answers a
  repeat with the model or version the first attempt made instead of a duplicate error or a
  second version;
* deletes (of models, versions, tags and aliases) and renames are never retried once they may
  have reached the server: a repeat would fail with "not found" after the first succeeded.

``user_id`` of :meth:`create_model_version` is sent although MLflow's request has no such field
(an MLflow server ignores it), as ``runs/create`` sends its user: the version then records the
same user over REST as in a local store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence

from runstone.entities import ModelStage, ModelVersion, Page, RegisteredModel
from runstone.store import rest_codec as codec
from runstone.store import validation as v
from runstone.store.rest_parts import JsonDict, RestParts, T, ignore


def _registered_model(data: JsonDict) -> RegisteredModel:
    return codec.registered_model(data["registered_model"])


def _model_version(data: JsonDict) -> ModelVersion:
    return codec.model_version(data["model_version"])


def _model_versions(data: JsonDict) -> list[ModelVersion]:
    return [codec.model_version(mv) for mv in data.get("model_versions", ())]


class RegistryRestPart(RestParts):
    """Registered models and model versions over REST; RestStore provides the transport."""

    # -- registered models -----------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        body = {
            "name": codec.text(name, "name"),
            "tags": codec.registry_tags_json(tags, "registered model tag"),
            "description": None if description is None else codec.text(description, "description"),
        }
        return self._send(
            "POST",
            "registered-models/create",
            codec.without_empty(body),
            _registered_model,
            idempotent=True,
            idempotency_key=uuid.uuid4().hex,
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._get(
            "registered-models/get", {"name": codec.text(name, "name")}, _registered_model
        )

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        body = {"name": codec.text(name, "name"), "new_name": codec.text(new_name, "new_name")}
        return self._send(
            "POST", "registered-models/rename", body, _registered_model, idempotent=False
        )

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        body = {
            "name": codec.text(name, "name"),
            "description": codec.text(description, "description"),
        }
        return self._send(
            "PATCH", "registered-models/update", body, _registered_model, idempotent=True
        )

    def delete_registered_model(self, name: str) -> None:
        body = {"name": codec.text(name, "name")}
        self._send("DELETE", "registered-models/delete", body, ignore, idempotent=False)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        return self._search(
            "registered-models/search",
            "registered_models",
            codec.registered_model,
            (filter_string, max_results, order_by, page_token),
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        body = {
            "name": codec.text(name, "name"),
            "stages": [codec.text(s, "stages") for s in stages or ()],
        }
        return self._send(
            "POST",
            "registered-models/get-latest-versions",
            codec.without_empty(body),
            _model_versions,
            idempotent=True,
        )

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        (tag,) = codec.registry_tags_json({key: value}, "registered model tag")
        body = {"name": codec.text(name, "name"), **tag}
        self._send("POST", "registered-models/set-tag", body, ignore, idempotent=True)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        body = {"name": codec.text(name, "name"), "key": codec.text(key, "key")}
        self._send("DELETE", "registered-models/delete-tag", body, ignore, idempotent=False)

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        body = {
            "name": codec.text(name, "name"),
            "alias": codec.text(alias, "alias"),
            "version": codec.version_text(version),
        }
        self._send("POST", "registered-models/alias", body, ignore, idempotent=True)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        body = {"name": codec.text(name, "name"), "alias": codec.text(alias, "alias")}
        self._send("DELETE", "registered-models/alias", body, ignore, idempotent=False)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        query = {"name": codec.text(name, "name"), "alias": codec.text(alias, "alias")}
        return self._get("registered-models/alias", query, _model_version)

    # -- model versions --------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        user_id: str = "",
    ) -> ModelVersion:
        body = {
            "name": codec.text(name, "name"),
            "source": codec.text(source, "source"),
            "run_id": codec.text(run_id, "run_id") if run_id else None,
            "tags": codec.registry_tags_json(tags, "model version tag"),
            "run_link": codec.text(run_link, "run_link") if run_link else None,
            "description": None if description is None else codec.text(description, "description"),
            "model_id": codec.text(model_id, "model_id") if model_id else None,
            "user_id": codec.text(user_id, "user_id") or None,
        }
        return self._send(
            "POST",
            "model-versions/create",
            codec.without_empty(body),
            _model_version,
            idempotent=True,
            idempotency_key=uuid.uuid4().hex,
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self._get("model-versions/get", self._ref(name, version), _model_version)

    def update_model_version(self, name: str, version: str | int, description: str) -> ModelVersion:
        body = {**self._ref(name, version), "description": codec.text(description, "description")}
        return self._send("PATCH", "model-versions/update", body, _model_version, idempotent=True)

    def delete_model_version(self, name: str, version: str | int) -> None:
        body = self._ref(name, version)
        self._send("DELETE", "model-versions/delete", body, ignore, idempotent=False)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        return self._search(
            "model-versions/search",
            "model_versions",
            codec.model_version,
            (filter_string, max_results, order_by, page_token),
        )

    def _search(
        self,
        path: str,
        field: str,
        decode: Callable[[JsonDict], T],
        args: tuple[str | None, int, Sequence[str] | None, str | None],
    ) -> Page[T]:
        """One page of a registry search: ``args`` are filter, max_results, order_by and
        page token; the answer's ``field`` holds the items."""
        filter_string, max_results, order_by, page_token = args
        query = {
            "filter": filter_string or None,
            "max_results": v.check_int64(max_results, "max_results"),
            "order_by": list(order_by) if order_by else None,
            "page_token": page_token or None,
        }
        return self._get(
            path,
            query,
            lambda d: Page(tuple(map(decode, d.get(field, ()))), d.get("next_page_token") or None),
        )

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str | ModelStage,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        body = {
            **self._ref(name, version),
            "stage": codec.text(str(stage) if isinstance(stage, ModelStage) else stage, "stage"),
            "archive_existing_versions": bool(archive_existing_versions),
        }
        return self._send(
            "POST", "model-versions/transition-stage", body, _model_version, idempotent=True
        )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return self._get(
            "model-versions/get-download-uri",
            self._ref(name, version),
            lambda d: str(d["artifact_uri"]),
        )

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        (tag,) = codec.registry_tags_json({key: value}, "model version tag")
        body = {**self._ref(name, version), **tag}
        self._send("POST", "model-versions/set-tag", body, ignore, idempotent=True)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        body = {**self._ref(name, version), "key": codec.text(key, "key")}
        self._send("DELETE", "model-versions/delete-tag", body, ignore, idempotent=False)

    @staticmethod
    def _ref(name: str, version: str | int) -> JsonDict:
        return {"name": codec.text(name, "name"), "version": codec.version_text(version)}
