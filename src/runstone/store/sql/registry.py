"""The model registry: registered models, their versions, stages, tags and aliases.

Models are keyed by a number (``model_key``), so a rename is one UPDATE that carries versions,
tags and aliases along. A model's ``last_version`` counts the versions it ever had: a new
version takes ``last_version + 1`` in the same UPDATE that locks the model's row, so concurrent
creates get distinct, gap-free numbers and a deleted version's number is never given again.
Every write locks its model's row first, so writes to one model never interleave (two
transitions that each archive the other Production versions, a tag set on a version being
deleted) and always take locks in the same order. A write that changes a model's tags,
aliases or versions also rewrites the model's summary, which searches read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from runstone.entities import (
    ModelStage,
    ModelVersion,
    ModelVersionStatus,
    Page,
    RegisteredModel,
)
from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound
from runstone.store import validation as v
from runstone.store.sql import idempotency
from runstone.store.sql.common import StoreParts, now_ms, upsert
from runstone.store.sql.registry_loading import (
    STAGE_ORDER,
    VERSION_ROWS,
    latest_versions,
    load_model,
    load_versions,
    models_query,
    read_models,
    refresh_latest,
    refresh_summaries,
    version_entity,
)
from runstone.store.sql.registry_search import (
    alias_not_found,
    alias_row,
    download_uri,
    find_model,
    model_not_found,
    model_row,
    search_models,
    search_versions,
    version_not_found,
    version_row,
)
from runstone.store.sql.tables import (
    model_stage_latest,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)
from runstone.store.sql.visibility import Reader

T = TypeVar("T")
_RUN_ID_COLUMN_LENGTH = 32
_ARCHIVING_STAGES = frozenset({ModelStage.STAGING, ModelStage.PRODUCTION})


class RegistryPart(StoreParts):
    # -- registered models -----------------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> RegisteredModel:
        """The new model. A create retried with the same ``idempotency_key`` returns the model
        the first attempt made instead of failing with "already exists"."""
        v.check_model_name(name)
        tag_rows = _checked_tags(tags)
        text = v.check_description(description)

        def create(conn: Connection) -> tuple[str, RegisteredModel]:
            model_key = _insert_model(conn, name, text, tag_rows)
            refresh_summaries(conn, [model_key])
            return str(model_key), load_model(conn, model_key)

        def load(conn: Connection, made: str) -> RegisteredModel:
            return load_model(conn, int(made))

        operation = "create_registered_model"
        try:
            return idempotency.once(self._db, operation, idempotency_key, create, load)
        except AlreadyExists:
            # A twin of this request, sent concurrently with the same key, may have won.
            earlier = idempotency.recorded(self._db, operation, idempotency_key)
            if earlier is None:
                raise
            with self._db.read() as conn:
                return load(conn, earlier)

    def get_registered_model(self, name: str) -> RegisteredModel:
        v.check_model_name(name)
        with self._db.read() as conn:
            where = [registered_models.c.name == name]
            models = read_models(conn, models_query(where))
        if not models:
            raise model_not_found(name)
        return models[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        v.check_model_name(name)
        v.check_model_name(new_name, "new_name")

        def work(conn: Connection) -> RegisteredModel:
            row = model_row(conn, name, for_update=True)
            if new_name != name:
                if find_model(conn, new_name) is not None:
                    raise _name_taken(new_name)
                try:
                    _touch_model(conn, row.model_key, name=new_name)
                except IntegrityError as exc:  # a concurrent create or rename took the name
                    raise _name_taken(new_name) from exc
            return load_model(conn, row.model_key)

        return self._db.write(work)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        v.check_model_name(name)
        text = v.check_description(description)

        def work(conn: Connection) -> RegisteredModel:
            row = model_row(conn, name, for_update=True)
            _touch_model(conn, row.model_key, description=text)
            return load_model(conn, row.model_key)

        return self._db.write(work)

    def delete_registered_model(self, name: str) -> None:
        """Delete the model with its versions, tags and aliases (foreign keys cascade)."""
        v.check_model_name(name)

        def work(conn: Connection) -> None:
            gone = conn.execute(delete(registered_models).where(registered_models.c.name == name))
            if gone.rowcount == 0:
                raise model_not_found(name)

        self._db.write(work)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        reader: Reader | None = None,
    ) -> Page[RegisteredModel]:
        """Models matching ``filter_string`` (by default by name); models tagged as prompts
        only when the filter asks about ``tags.`mlflow.prompt.is_prompt```; with ``reader``,
        only those it may read."""
        with self._db.read() as conn:
            return search_models(conn, filter_string, max_results, order_by, page_token, reader)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when none are given) that has
        one, in stage order: None, Staging, Production, Archived."""
        v.check_model_name(name)
        wanted = {_stage(s) for s in stages} if stages else set(STAGE_ORDER)
        with self._db.read() as conn:
            rows = latest_versions(conn, model_row(conn, name).model_key)
            return load_versions(conn, [r for r in rows if ModelStage(r.current_stage) in wanted])

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        v.check_model_name(name)
        row = _checked_tags({key: value})[0]

        def work(conn: Connection, model_key: int) -> None:
            upsert(
                conn,
                registered_model_tags,
                [{**row, "model_key": model_key}],
                ["model_key", "key"],
                ["value"],
            )

        self._write_model(name, work)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag; a tag the model does not have is already gone (as in MLflow)."""
        v.check_model_name(name)
        v.check_string(key, "key")

        def work(conn: Connection, model_key: int) -> None:
            conn.execute(
                delete(registered_model_tags)
                .where(registered_model_tags.c.model_key == model_key)
                .where(registered_model_tags.c.key == key)
            )

        self._write_model(name, work)

    # -- aliases ---------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version``, moving it if it named another version."""
        v.check_model_name(name)
        v.check_alias(alias)
        number = v.check_version(version)

        def work(conn: Connection, model_key: int) -> None:
            version_row(conn, name, number)
            upsert(
                conn,
                registered_model_aliases,
                [{"model_key": model_key, "alias": alias, "version": number}],
                ["model_key", "alias"],
                ["version"],
            )

        self._write_model(name, work)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias; one the model does not have is already gone (as in MLflow). The
        model itself must exist."""
        v.check_model_name(name)
        _alias_argument(alias)

        def work(conn: Connection, model_key: int) -> None:
            conn.execute(
                delete(registered_model_aliases)
                .where(registered_model_aliases.c.model_key == model_key)
                .where(registered_model_aliases.c.alias == alias)
            )

        self._write_model(name, work)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        v.check_model_name(name)
        _alias_argument(alias)
        with self._db.read() as conn:
            row = alias_row(conn, name, alias)
            if row is None:
                model_row(conn, name)  # an unknown model is reported as such
                raise alias_not_found(alias)
            return load_versions(conn, [row])[0]

    # -- model versions --------------------------------------------------------------------------

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
        *,
        idempotency_key: str | None = None,
    ) -> ModelVersion:
        """A new version numbered ``last_version + 1``, READY at once, in stage None. A
        create retried with the same ``idempotency_key`` returns the version the first
        attempt made rather than making another."""
        v.check_model_name(name)
        values = {
            "source": v.check_model_source(source),
            "run_id": _optional_run_id(run_id),
            "run_link": _optional(run_link, "run_link", v.MAX_RUN_LINK_LENGTH),
            "model_id": _optional(model_id, "model_id", v.MAX_MODEL_ID_LENGTH),
            "description": v.check_description(description),
            "user_id": v.check_string(user_id or "", "user_id", v.MAX_USER_ID_LENGTH),
        }
        tag_rows = _checked_tags(tags)

        def create(conn: Connection) -> tuple[str, ModelVersion]:
            model_key, made = _insert_version(conn, name, values, tag_rows)
            refresh_summaries(conn, [model_key])
            return f"{model_key}:{made.version}", made

        def load(conn: Connection, made: str) -> ModelVersion:
            model_key, number = (int(part) for part in made.split(":"))
            row = conn.execute(
                VERSION_ROWS.where(model_versions.c.model_key == model_key).where(
                    model_versions.c.version == number
                )
            ).first()
            if row is None:
                raise NotFound(f"Model Version (name={name}, version={number}) not found")
            return load_versions(conn, [row])[0]

        return idempotency.once(self._db, "create_model_version", idempotency_key, create, load)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        v.check_model_name(name)
        number = v.check_version(version)
        with self._db.read() as conn:
            return load_versions(conn, [version_row(conn, name, number)])[0]

    def update_model_version(self, name: str, version: str | int, description: str) -> ModelVersion:
        v.check_model_name(name)
        number = v.check_version(version)
        text = v.check_description(description)

        def work(conn: Connection, model_key: int) -> ModelVersion:
            version_row(conn, name, number)
            _touch_version(conn, model_key, number, now_ms(), description=text)
            return load_versions(conn, [version_row(conn, name, number)])[0]

        return self._write_model(name, work)

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete the version with its tags and aliases; its number is not given again."""
        v.check_model_name(name)
        number = v.check_version(version)

        def work(conn: Connection, model_key: int) -> None:
            gone = conn.execute(
                delete(model_versions)
                .where(model_versions.c.model_key == model_key)
                .where(model_versions.c.version == number)
            )
            if gone.rowcount == 0:
                raise version_not_found(name, number)
            refresh_latest(conn, model_key)
            _touch_model(conn, model_key)

        self._write_model(name, work)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        reader: Reader | None = None,
    ) -> Page[ModelVersion]:
        with self._db.read() as conn:
            return search_versions(conn, filter_string, max_results, order_by, page_token, reader)

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str | ModelStage,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to ``stage`` (any letter case). With ``archive_existing_versions``
        (only for Staging and Production) the model's other versions in that stage move to
        Archived, in the same transaction."""
        v.check_model_name(name)
        number = v.check_version(version)
        target = _stage(stage)
        if archive_existing_versions and target not in _ARCHIVING_STAGES:
            raise InvalidParameterValue(
                f"Model version transition cannot archive existing model versions because "
                f"'{target.value}' is not an Active stage. Valid stages are "
                f"{ModelStage.STAGING.value} and {ModelStage.PRODUCTION.value}."
            )

        def work(conn: Connection, model_key: int) -> ModelVersion:
            version_row(conn, name, number)
            now = now_ms()
            _touch_version(conn, model_key, number, now, current_stage=target.value)
            if archive_existing_versions:
                conn.execute(
                    update(model_versions)
                    .where(model_versions.c.model_key == model_key)
                    .where(model_versions.c.current_stage == target.value)
                    .where(model_versions.c.version != number)
                    .values(current_stage=ModelStage.ARCHIVED.value, last_updated_timestamp=now)
                )
            refresh_latest(conn, model_key)
            _touch_model(conn, model_key, now)
            return load_versions(conn, [version_row(conn, name, number)])[0]

        return self._write_model(name, work)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the version's files are: its source, followed through the registry while it
        names another version (``models:/<name>/<version>`` or ``models:/<name>@<alias>``)."""
        v.check_model_name(name)
        number = v.check_version(version)
        with self._db.read() as conn:
            return download_uri(conn, name, number)

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        v.check_model_name(name)
        number = v.check_version(version)
        row = _checked_tags({key: value})[0]

        def work(conn: Connection, model_key: int) -> None:
            version_row(conn, name, number)
            upsert(
                conn,
                model_version_tags,
                [{**row, "model_key": model_key, "version": number}],
                ["model_key", "version", "key"],
                ["value"],
            )

        self._write_model(name, work)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        """Remove a tag; a tag the version does not have is already gone (as in MLflow)."""
        v.check_model_name(name)
        number = v.check_version(version)
        v.check_string(key, "key")

        def work(conn: Connection, model_key: int) -> None:
            version_row(conn, name, number)
            conn.execute(
                delete(model_version_tags)
                .where(model_version_tags.c.model_key == model_key)
                .where(model_version_tags.c.version == number)
                .where(model_version_tags.c.key == key)
            )

        self._write_model(name, work)

    def _write_model(self, name: str, work: Callable[[Connection, int], T]) -> T:
        """``work(conn, model_key)`` in one transaction that first locks the model's row and
        last rewrites the model's summary, the copy of its tags, aliases and latest versions
        that searches read (registry_loading.py), since ``work`` may change any of them."""

        def locked(conn: Connection) -> T:
            model_key = model_row(conn, name, for_update=True).model_key
            result = work(conn, model_key)
            refresh_summaries(conn, [model_key])
            return result

        return self._db.write(locked)


# -- writes -------------------------------------------------------------------------------------


def _insert_model(
    conn: Connection, name: str, description: str, tag_rows: list[dict[str, str]]
) -> int:
    if find_model(conn, name) is not None:
        raise _name_taken(name)
    now = now_ms()
    row = {
        "name": name,
        "description": description,
        "user_id": "",
        "creation_timestamp": now,
        "last_updated_timestamp": now,
        "last_version": 0,
    }
    try:
        key = conn.execute(insert(registered_models).values(row)).inserted_primary_key
    except IntegrityError as exc:  # a concurrent create of the same name won the race
        raise _name_taken(name) from exc
    assert key is not None
    model_key = int(key[0])
    if tag_rows:
        conn.execute(
            insert(registered_model_tags), [{**t, "model_key": model_key} for t in tag_rows]
        )
    return model_key


def _insert_version(
    conn: Connection, name: str, values: dict[str, Any], tag_rows: list[dict[str, str]]
) -> tuple[int, ModelVersion]:
    """Number and store a new version. The UPDATE that takes the number locks the model's row
    until commit, so a concurrent create waits and then takes the next number."""
    now = now_ms()
    taken = conn.execute(
        update(registered_models)
        .where(registered_models.c.name == name)
        .values(last_version=registered_models.c.last_version + 1, last_updated_timestamp=now)
    )
    if taken.rowcount == 0:
        raise model_not_found(name)
    model_key, number = conn.execute(
        select(registered_models.c.model_key, registered_models.c.last_version).where(
            registered_models.c.name == name
        )
    ).one()
    row = {
        **values,
        "model_key": model_key,
        "version": number,
        "creation_timestamp": now,
        "last_updated_timestamp": now,
        "current_stage": ModelStage.NONE.value,
        "status": ModelVersionStatus.READY.name,
        "status_message": None,
    }
    conn.execute(insert(model_versions).values(row))
    # The newest version of all is the newest in stage None: no need to recompute.
    upsert(
        conn,
        model_stage_latest,
        [{"model_key": model_key, "stage": ModelStage.NONE.value, "version": number}],
        ["model_key", "stage"],
        ["version"],
    )
    if tag_rows:
        conn.execute(
            insert(model_version_tags),
            [{**t, "model_key": model_key, "version": number} for t in tag_rows],
        )
    made = conn.execute(
        VERSION_ROWS.where(model_versions.c.model_key == model_key).where(
            model_versions.c.version == number
        )
    ).one()
    return model_key, version_entity(name, made, {t["key"]: t["value"] for t in tag_rows}, ())


def _touch_model(conn: Connection, model_key: int, now: int | None = None, **values: Any) -> None:
    conn.execute(
        update(registered_models)
        .where(registered_models.c.model_key == model_key)
        .values(last_updated_timestamp=now if now is not None else now_ms(), **values)
    )


def _touch_version(conn: Connection, model_key: int, number: int, now: int, **values: Any) -> None:
    conn.execute(
        update(model_versions)
        .where(model_versions.c.model_key == model_key)
        .where(model_versions.c.version == number)
        .values(last_updated_timestamp=now, **values)
    )


# -- arguments -----------------------------------------------------------------------------------


def _checked_tags(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    rows = []
    for key, value in (tags or {}).items():
        checked_key, checked_value = v.check_registry_tag(key, value)
        rows.append({"key": checked_key, "value": checked_value})
    return rows


def _stage(stage: object) -> ModelStage:
    if isinstance(stage, ModelStage):
        return stage
    if not isinstance(stage, str):
        raise v.invalid("stage", stage, "expected a string")
    try:
        return ModelStage.parse(stage)
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid Model Version stage: {stage}. Value must be one of "
            f"{', '.join(s.value for s in ModelStage)}."
        ) from None


def _alias_argument(alias: object) -> str:
    """An alias to look up or remove: any non-empty string of alias length (a reserved or
    malformed one simply names no alias)."""
    text = v.check_string(alias, "alias", v.MAX_ALIAS_LENGTH)
    if not text:
        raise v.invalid("alias", text, "an alias must not be empty")
    return text


def _optional(value: str | None, field: str, max_length: int) -> str | None:
    return None if value is None else v.check_string(value, field, max_length)


def _optional_run_id(run_id: str | None) -> str | None:
    """The run the version came from: a run id, or nothing. The run may live in another
    tracking store, so it is not looked up."""
    if not run_id:
        return None
    v.check_run_id(run_id)
    if len(run_id) > _RUN_ID_COLUMN_LENGTH:
        raise v.invalid("run_id", run_id, f"longer than {_RUN_ID_COLUMN_LENGTH} characters")
    return run_id


# -- errors --------------------------------------------------------------------------------------


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(f"Registered Model (name={name}) already exists.")
