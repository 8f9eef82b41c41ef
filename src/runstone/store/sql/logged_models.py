"""MLflow 3 logged models: create, finalize, tag, parametrise, search, and link to runs.

A logged model belongs to an experiment; its files live at
``<experiment artifact location>/models/<model_id>/artifacts``. Deleting one marks it deleted
(it is then neither found nor searched), as MLflow does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, delete, exists, insert, select, update

from runstone.entities import LifecycleStage, LoggedModel, LoggedModelStatus, Page
from runstone.errors import InvalidParameterValue, NotFound
from runstone.search import Comparison, Entity, Op, SearchKind, parse_filter, parse_order_by
from runstone.store import validation as v
from runstone.store.paging import decode_page_token, next_token
from runstone.store.sql.common import (
    StoreParts,
    active_experiment_row,
    chunked,
    now_ms,
    run_row,
    upsert,
)
from runstone.store.sql.filters import combine
from runstone.store.sql.names import random_run_name
from runstone.store.sql.tables import (
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_outputs,
)
from runstone.store.sql.visibility import Reader, readable_experiments

_MAX_NAME = 500
_MAX_MODEL_TYPE = 500
_MAX_RESULTS = 1000


class LoggedModelsPart(StoreParts):
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new model, PENDING until :meth:`finalize_logged_model`."""
        chosen = random_run_name() if not name else v.check_string(name, "name", _MAX_NAME)
        kind = (
            None
            if model_type is None
            else v.check_string(model_type, "model_type", _MAX_MODEL_TYPE)
        )
        if source_run_id:
            v.check_run_id(source_run_id)
        tag_rows = _key_values(tags, "tags")
        param_rows = _key_values(params, "params")
        model_id = f"m-{uuid.uuid4().hex}"

        def work(conn: Connection) -> LoggedModel:
            exp = active_experiment_row(conn, experiment_id, shared=True)
            if source_run_id:
                run_row(conn, source_run_id)
            now = now_ms()
            location = f"{exp.artifact_location.rstrip('/')}/models/{model_id}/artifacts"
            conn.execute(
                insert(logged_models).values(
                    model_id=model_id,
                    experiment_id=exp.experiment_id,
                    name=chosen,
                    artifact_location=location,
                    status=LoggedModelStatus.PENDING.name,
                    creation_timestamp_ms=now,
                    last_updated_timestamp_ms=now,
                    model_type=kind,
                    source_run_id=source_run_id or None,
                    status_message=None,
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                )
            )
            if tag_rows:
                conn.execute(
                    insert(logged_model_tags), [{**r, "model_id": model_id} for r in tag_rows]
                )
            if param_rows:
                conn.execute(
                    insert(logged_model_params), [{**r, "model_id": model_id} for r in param_rows]
                )
            return _load(conn, [_model_row(conn, model_id)])[0]

        return self._db.write(work)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self._db.read() as conn:
            return _load(conn, [_model_row(conn, model_id)])[0]

    def experiment_id_of_logged_model(self, model_id: str) -> str:
        """The experiment an active logged model belongs to, for permission checks."""
        _check_id(model_id)
        query = select(logged_models.c.experiment_id).where(
            logged_models.c.model_id == model_id,
            logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
        )
        with self._db.read() as conn:
            found = conn.execute(query).scalar_one_or_none()
        if found is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return str(found)

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        """Set the model's status (READY or UPLOAD_FAILED once its files are uploaded)."""
        try:
            chosen = LoggedModelStatus.parse(status)
        except ValueError:
            raise v.invalid("status", status, "expected a logged model status") from None
        if chosen is LoggedModelStatus.UNSPECIFIED:
            raise v.invalid("status", status, "a logged model cannot be finalized as UNSPECIFIED")

        def work(conn: Connection) -> LoggedModel:
            _model_row(conn, model_id, for_update=True)
            _touch(conn, model_id, status=chosen.name)
            return _load(conn, [_model_row(conn, model_id)])[0]

        return self._db.write(work)

    def delete_logged_model(self, model_id: str) -> None:
        def work(conn: Connection) -> None:
            _model_row(conn, model_id, for_update=True)
            _touch(conn, model_id, lifecycle_stage=LifecycleStage.DELETED.value)

        self._db.write(work)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        rows = _key_values(tags, "tags")

        def work(conn: Connection) -> None:
            _model_row(conn, model_id, for_update=True)
            upsert(
                conn,
                logged_model_tags,
                [{**r, "model_id": model_id} for r in rows],
                ["model_id", "key"],
                ["value"],
            )
            _touch(conn, model_id)

        self._db.write(work)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag; the model must have it."""
        v.check_string(key, "key")

        def work(conn: Connection) -> None:
            _model_row(conn, model_id, for_update=True)
            gone = conn.execute(
                delete(logged_model_tags)
                .where(logged_model_tags.c.model_id == model_id)
                .where(logged_model_tags.c.key == key)
            )
            if gone.rowcount == 0:
                raise NotFound(f"No tag with key {key!r} found for logged model {model_id!r}.")
            _touch(conn, model_id)

        self._db.write(work)

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Add params; as for runs, a key logged again must keep its value."""
        rows = _key_values(params, "params")

        def work(conn: Connection) -> None:
            _model_row(conn, model_id, for_update=True)
            keys = [r["key"] for r in rows]
            found = conn.execute(
                select(logged_model_params.c.key, logged_model_params.c.value)
                .where(logged_model_params.c.model_id == model_id)
                .where(logged_model_params.c.key.in_(keys))
            )
            existing = {key: value for key, value in found}
            fresh = []
            for r in rows:
                old = existing.get(r["key"])
                if old is None:
                    fresh.append({**r, "model_id": model_id})
                elif old != r["value"]:
                    raise InvalidParameterValue(
                        f"Changing param values is not allowed. Param with key='{r['key']}' "
                        f"was already logged with value='{old}' for logged model "
                        f"'{model_id}'. Attempted logging new value '{r['value']}'."
                    )
            if fresh:
                conn.execute(insert(logged_model_params), fresh)
                _touch(conn, model_id)

        if rows:
            self._db.write(work)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 50,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        reader: Reader | None = None,
    ) -> Page[LoggedModel]:
        """Active models of the experiments matching ``filter_string``, newest first (with
        ``reader``, only those of experiments it may read).

        Filters: ``name``, ``source_run_id``, ``model_type``, ``status`` and ``tags.<key>``
        compared with ``=`` or ``!=`` to a quoted string, joined by ``AND``."""
        if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
            raise v.invalid("max_results", max_results, "expected a positive integer")
        if max_results > _MAX_RESULTS:
            raise v.invalid("max_results", max_results, f"at most {_MAX_RESULTS}")
        ids = [v.check_experiment_id(e) for e in experiment_ids]
        conditions = _filter(filter_string)
        ordering = _ordering(order_by)
        offset = decode_page_token(page_token)
        query = (
            select(logged_models)
            .where(logged_models.c.experiment_id.in_(ids))
            .where(logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
            .where(*conditions)
            .where(*_visible(reader))
            .order_by(*ordering)
            .limit(max_results + 1)
            .offset(offset)
        )
        if not ids:
            return Page(())
        with self._db.read() as conn:
            rows = list(conn.execute(query))
            items = _load(conn, rows[:max_results])
        return Page(tuple(items), next_token(offset, max_results, len(rows)))

    def log_outputs(self, run_id: str, models: Sequence[tuple[str, int]]) -> None:
        """Record that the run produced ``models`` (model id, step)."""
        wanted = list(dict.fromkeys((_check_id(m), int(step)) for m, step in models))

        def work(conn: Connection) -> None:
            run_row(conn, run_id, for_update=True)
            for model_id, _ in wanted:
                _model_row(conn, model_id)
            upsert(
                conn,
                run_outputs,
                [{"run_uuid": run_id, "model_id": m, "step": s} for m, s in wanted],
                ["run_uuid", "model_id", "step"],
                ["step"],
            )

        self._db.write(work)


# -- rows ------------------------------------------------------------------------------------------


def _visible(reader: Reader | None) -> list[ColumnElement[bool]]:
    return [] if reader is None else [readable_experiments(logged_models.c.experiment_id, reader)]


def _check_id(model_id: object) -> str:
    if not isinstance(model_id, str) or not model_id:
        raise v.invalid("model_id", model_id, "expected a logged model id")
    return model_id


def _model_row(conn: Connection, model_id: str, for_update: bool = False) -> Row[Any]:
    _check_id(model_id)
    query = select(logged_models).where(logged_models.c.model_id == model_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None or row.lifecycle_stage != LifecycleStage.ACTIVE.value:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return row


def _touch(conn: Connection, model_id: str, **values: Any) -> None:
    conn.execute(
        update(logged_models)
        .where(logged_models.c.model_id == model_id)
        .values(last_updated_timestamp_ms=now_ms(), **values)
    )


def _load(conn: Connection, rows: Sequence[Row[Any]]) -> list[LoggedModel]:
    ids = [r.model_id for r in rows]
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    for part in chunked(ids):
        for table, into in ((logged_model_tags, tags), (logged_model_params, params)):
            for owner, key, value in conn.execute(
                select(table.c.model_id, table.c.key, table.c.value).where(
                    table.c.model_id.in_(part)
                )
            ):
                into[owner][key] = value
    return [
        LoggedModel(
            model_id=r.model_id,
            experiment_id=str(r.experiment_id),
            name=r.name,
            artifact_uri=r.artifact_location,
            status=LoggedModelStatus[r.status],
            creation_timestamp_ms=r.creation_timestamp_ms,
            last_updated_timestamp_ms=r.last_updated_timestamp_ms,
            model_type=r.model_type or "",
            source_run_id=r.source_run_id or "",
            status_message=r.status_message or "",
            tags=tags[r.model_id],
            params=params[r.model_id],
        )
        for r in rows
    ]


def _key_values(items: Mapping[str, str] | None, field: str) -> list[dict[str, str]]:
    rows = []
    for key, value in (items or {}).items():
        v.check_key(key, f"{field} key")
        rows.append({"key": key, "value": v.check_string(value, f"{field} value")})
    return rows


# -- search ----------------------------------------------------------------------------------------

_COLUMNS = {
    "name": logged_models.c.name,
    "source_run_id": logged_models.c.source_run_id,
    "model_type": logged_models.c.model_type,
    "status": logged_models.c.status,
    "model_id": logged_models.c.model_id,
    "creation_timestamp_ms": logged_models.c.creation_timestamp_ms,
    "last_updated_timestamp_ms": logged_models.c.last_updated_timestamp_ms,
}


def _filter(text: str | None) -> list[ColumnElement[bool]]:
    """The conditions of ``text`` in Runstone's search language (LOGGED_MODELS schema)."""
    try:
        expr = parse_filter(text, SearchKind.LOGGED_MODELS)
    except InvalidParameterValue as exc:
        raise InvalidParameterValue(f"Invalid logged model filter: {exc.message}") from None
    return [] if expr is None else [combine(expr, _leaf)]


def _leaf(cmp: Comparison) -> ColumnElement[bool]:
    value = str(cmp.value)
    if cmp.entity is Entity.TAG:
        found = exists(
            select(logged_model_tags.c.key)
            .where(logged_model_tags.c.model_id == logged_models.c.model_id)
            .where(logged_model_tags.c.key == cmp.key)
            .where(logged_model_tags.c.value == value)
        )
        return found if cmp.op is Op.EQ else ~found
    if cmp.key == "status":
        value = value.upper().removeprefix("LOGGED_MODEL_")
    column = _COLUMNS[cmp.key]
    return column == value if cmp.op is Op.EQ else and_(column.is_not(None), column != value)


def _ordering(order_by: Sequence[str] | None) -> list[Any]:
    """``order_by`` clauses (``"<field> [ASC|DESC]"``); newest first by default; the model id
    breaks ties."""
    result: list[Any] = []
    for item in parse_order_by(order_by, SearchKind.LOGGED_MODELS):
        column = _COLUMNS[item.key]
        result.append(column.asc() if item.ascending else column.desc())
    if not result:
        result.append(logged_models.c.creation_timestamp_ms.desc())
    result.append(logged_models.c.model_id.asc())
    return result
