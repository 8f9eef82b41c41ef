"""The logged-model half (MLflow 3, mlflow-compat.md §1.12) of
:class:`runstone.store.rest.RestStore`.

Retries follow the rules of :mod:`runstone.store.rest`: reads, searches, finalizing, setting
tags, logging params (write-once: the same value again is accepted) and ``runs/outputs`` are
retried, since repeating them leaves the same state; creating a model and the deletes are not
retried once they may have reached the server (a repeat would make a second model, or fail
with "not found" after the first delete succeeded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from runstone.entities import LoggedModel, LoggedModelStatus, Page
from runstone.store import rest_codec as codec
from runstone.store import validation as v
from runstone.store.rest_parts import JsonDict, RestParts, ignore


def _model(data: JsonDict) -> LoggedModel:
    return codec.logged_model(data["model"])


def _key_values(items: Mapping[str, str] | None, field: str) -> list[JsonDict]:
    return [
        {"key": codec.text(k, f"{field} key"), "value": codec.text(val, f"{field} value")}
        for k, val in (items or {}).items()
    ]


def _path(model_id: str) -> str:
    return "logged-models/" + quote(codec.text(model_id, "model_id"), safe="")


class LoggedModelsRestPart(RestParts):
    """Logged models over REST; RestStore provides the transport."""

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        body = {
            "experiment_id": codec.entity_id(experiment_id),
            "name": None if name is None else codec.text(name, "name"),
            "source_run_id": source_run_id or None,
            "model_type": None if model_type is None else codec.text(model_type, "model_type"),
            "tags": _key_values(tags, "tags"),
            "params": _key_values(params, "params"),
        }
        return self._send(
            "POST", "logged-models", codec.without_empty(body), _model, idempotent=False
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._get(_path(model_id), {}, _model)

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        try:
            name = LoggedModelStatus.parse(status).wire_name
        except ValueError:
            raise v.invalid("status", status, "expected a logged model status") from None
        return self._send("PATCH", _path(model_id), {"status": name}, _model, idempotent=True)

    def delete_logged_model(self, model_id: str) -> None:
        self._send("DELETE", _path(model_id), {}, ignore, idempotent=False)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        body = {"tags": _key_values(tags, "tags")}
        self._send("PATCH", _path(model_id) + "/tags", body, ignore, idempotent=True)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        path = f"{_path(model_id)}/tags/{quote(codec.text(key, 'key'), safe='')}"
        self._send("DELETE", path, {}, ignore, idempotent=False)

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        body = {"params": _key_values(params, "params")}
        self._send("POST", _path(model_id) + "/params", body, ignore, idempotent=True)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 50,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        body = {
            "experiment_ids": [codec.entity_id(e) for e in experiment_ids],
            "filter": filter_string or None,
            "max_results": v.check_int64(max_results, "max_results"),
            "order_by": [_order_json(o) for o in order_by or ()],
            "page_token": page_token or None,
        }
        return self._send(
            "POST",
            "logged-models/search",
            codec.without_empty(body),
            lambda d: Page(
                tuple(codec.logged_model(x) for x in d.get("models", ())),
                d.get("next_page_token") or None,
            ),
            idempotent=True,
        )

    def log_outputs(self, run_id: str, models: Sequence[tuple[str, int]]) -> None:
        body = {
            "run_id": codec.text(run_id, "run_id"),
            "models": [
                {"model_id": codec.text(m, "model_id"), "step": v.check_int64(s, "step")}
                for m, s in models
            ],
        }
        self._send("POST", "runs/outputs", body, ignore, idempotent=True)


def _order_json(clause: str) -> JsonDict:
    """``"<field> [ASC|DESC]"`` as MLflow's ``{field_name, ascending}``."""
    words = codec.text(clause, "order_by").split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
        raise v.invalid("order_by", clause, "expected '<field> [ASC|DESC]'")
    return {"field_name": words[0], "ascending": len(words) == 1 or words[1].lower() == "asc"}
