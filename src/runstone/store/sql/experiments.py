"""Experiments: create, read, search, rename, delete/restore, tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from runstone.entities import Experiment, LifecycleStage, Page, ViewType
from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound
from runstone.search import SearchKind, parse_filter, parse_order_by
from runstone.store import validation as v
from runstone.store.paging import decode_page_token, next_token
from runstone.store.sql import filters, idempotency
from runstone.store.sql.common import (
    StoreParts,
    active_experiment_row,
    experiment_from_row,
    experiment_row,
    experiment_tags_by_id,
    now_ms,
    upsert,
)
from runstone.store.sql.tables import experiment_tags, experiments, runs
from runstone.store.sql.visibility import Reader, readable_experiments

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"
MAX_EXPERIMENTS_PAGE = 50000


class ExperimentsPart(StoreParts):
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """The new experiment's id. A create retried with the same ``idempotency_key`` returns
        the id the first attempt made."""
        v.check_experiment_name(name)
        if artifact_location is not None:
            v.check_string(artifact_location, "artifact_location", v.MAX_ARTIFACT_LOCATION_LENGTH)
        tag_rows = _checked_tags(tags or {})

        def create(conn: Connection) -> tuple[str, str]:
            made = self._create(conn, name, artifact_location, tag_rows)
            return made, made

        def load(conn: Connection, made: str) -> str:
            return made

        try:
            return idempotency.once(self._db, "create_experiment", idempotency_key, create, load)
        except AlreadyExists:
            # A twin of this request, sent concurrently with the same key, may have won.
            earlier = idempotency.recorded(self._db, "create_experiment", idempotency_key)
            if earlier is None:
                raise
            return earlier

    def _create(
        self, conn: Connection, name: str, location: str | None, tag_rows: list[dict[str, str]]
    ) -> str:
        taken = conn.execute(select(experiments.c.experiment_id).where(experiments.c.name == name))
        if taken.first() is not None:
            raise _name_taken(name)
        now = now_ms()
        row = {
            "name": name,
            "artifact_location": location or "",
            "lifecycle_stage": LifecycleStage.ACTIVE.value,
            "creation_time": now,
            "last_update_time": now,
        }
        try:
            key = conn.execute(insert(experiments).values(row)).inserted_primary_key
        except IntegrityError as exc:  # a concurrent create of the same name won the race
            raise _name_taken(name) from exc
        assert key is not None
        new_id = int(key[0])
        if not location:
            conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == new_id)
                .values(artifact_location=self._default_location(new_id))
            )
        if tag_rows:
            conn.execute(
                insert(experiment_tags), [{**t, "experiment_id": new_id} for t in tag_rows]
            )
        return str(new_id)

    def _default_location(self, experiment_id: int) -> str:
        return f"{self._artifact_root.rstrip('/')}/{experiment_id}"

    def _ensure_default_experiment(self) -> None:
        """Experiment 0, "Default", always exists (created once, by whichever process is first)."""

        def work(conn: Connection) -> None:
            found = conn.execute(
                select(experiments.c.experiment_id).where(
                    experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID
                )
            ).first()
            if found is None:
                now = now_ms()
                conn.execute(
                    insert(experiments).values(
                        experiment_id=DEFAULT_EXPERIMENT_ID,
                        name=DEFAULT_EXPERIMENT_NAME,
                        artifact_location=self._default_location(DEFAULT_EXPERIMENT_ID),
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=now,
                        last_update_time=now,
                    )
                )

        with suppress(IntegrityError):  # another process created it between check and insert
            self._db.write(work)

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._db.read() as conn:
            row = experiment_row(conn, experiment_id)
            tags = experiment_tags_by_id(conn, [row.experiment_id])[row.experiment_id]
            return experiment_from_row(row, tags)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        v.check_string(name, "experiment_name")
        with self._db.read() as conn:
            row = conn.execute(select(experiments).where(experiments.c.name == name)).first()
            if row is None:
                return None
            tags = experiment_tags_by_id(conn, [row.experiment_id])[row.experiment_id]
            return experiment_from_row(row, tags)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        reader: Reader | None = None,
    ) -> Page[Experiment]:
        """Experiments matching ``filter_string``; only those ``reader`` may read if given."""
        limit = v.check_max_results(max_results, MAX_EXPERIMENTS_PAGE)
        offset = decode_page_token(page_token)
        condition = filters.experiment_condition(
            parse_filter(filter_string, SearchKind.EXPERIMENTS)
        )
        ordering = filters.experiment_ordering(parse_order_by(order_by, SearchKind.EXPERIMENTS))
        query = (
            select(experiments)
            .where(
                experiments.c.lifecycle_stage.in_([s.value for s in ViewType(view_type).stages()])
            )
            .order_by(*ordering)
            .limit(limit + 1)
            .offset(offset)
        )
        if condition is not None:
            query = query.where(condition)
        if reader is not None:
            query = query.where(readable_experiments(experiments.c.experiment_id, reader))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
            page = rows[:limit]
            tags = experiment_tags_by_id(conn, [r.experiment_id for r in page])
        items = tuple(experiment_from_row(r, tags[r.experiment_id]) for r in page)
        return Page(items, next_token(offset, limit, len(rows)))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        v.check_experiment_name(new_name)

        def work(conn: Connection) -> None:
            row = experiment_row(conn, experiment_id, for_update=True)
            if row.lifecycle_stage != LifecycleStage.ACTIVE:
                raise InvalidParameterValue("Cannot rename a non-active experiment.")
            if row.name == new_name:
                return
            taken = select(experiments.c.experiment_id).where(experiments.c.name == new_name)
            if conn.execute(taken).first() is not None:
                raise _name_taken(new_name)
            try:
                self._touch(conn, row.experiment_id, name=new_name)
            except IntegrityError as exc:
                raise _name_taken(new_name) from exc

        self._db.write(work)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft delete: the experiment and its active runs move to ``deleted`` together."""

        def work(conn: Connection) -> None:
            row = active_experiment_row(conn, experiment_id)
            # The deletion time marks the runs deleted with the experiment (restore brings
            # back exactly those), so it must differ from any run deleted on its own before,
            # even within the same millisecond.
            latest_alone = conn.execute(
                select(func.max(runs.c.deleted_time))
                .where(runs.c.experiment_id == row.experiment_id)
                .where(runs.c.lifecycle_stage == LifecycleStage.DELETED.value)
            ).scalar()
            now = max(now_ms(), (latest_alone or 0) + 1)
            self._touch(conn, row.experiment_id, now, lifecycle_stage=LifecycleStage.DELETED.value)
            conn.execute(
                update(runs)
                .where(runs.c.experiment_id == row.experiment_id)
                .where(runs.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
                .values(lifecycle_stage=LifecycleStage.DELETED.value, deleted_time=now)
            )

        self._db.write(work)

    def restore_experiment(self, experiment_id: str) -> None:
        """Undo a delete: runs deleted together with the experiment come back too."""

        def work(conn: Connection) -> None:
            row = experiment_row(conn, experiment_id, for_update=True)
            if row.lifecycle_stage != LifecycleStage.DELETED:
                raise InvalidParameterValue(
                    f"Cannot restore experiment {experiment_id}: it is not deleted."
                )
            self._touch(conn, row.experiment_id, lifecycle_stage=LifecycleStage.ACTIVE.value)
            conn.execute(
                update(runs)
                .where(runs.c.experiment_id == row.experiment_id)
                .where(runs.c.lifecycle_stage == LifecycleStage.DELETED.value)
                .where(runs.c.deleted_time == row.last_update_time)
                .values(lifecycle_stage=LifecycleStage.ACTIVE.value, deleted_time=None)
            )

        self._db.write(work)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        row = _checked_tags({key: value})[0]

        def work(conn: Connection) -> None:
            exp = active_experiment_row(conn, experiment_id)
            upsert(
                conn,
                experiment_tags,
                [{**row, "experiment_id": exp.experiment_id}],
                ["experiment_id", "key"],
                ["value"],
            )

        self._db.write(work)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        v.check_string(key, "key")

        def work(conn: Connection) -> None:
            exp = active_experiment_row(conn, experiment_id)
            gone = conn.execute(
                delete(experiment_tags)
                .where(experiment_tags.c.experiment_id == exp.experiment_id)
                .where(experiment_tags.c.key == key)
            )
            if gone.rowcount == 0:
                raise NotFound(f"No tag with name: {key} in experiment with id {experiment_id}")

        self._db.write(work)

    @staticmethod
    def _touch(conn: Connection, experiment_id: int, now: int | None = None, **values: Any) -> None:
        conn.execute(
            update(experiments)
            .where(experiments.c.experiment_id == experiment_id)
            .values(last_update_time=now if now is not None else now_ms(), **values)
        )


def _checked_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    rows = []
    for key, value in tags.items():
        v.check_key(key, "experiment tag key")
        v.check_string(value, f"value of experiment tag {key!r}", v.MAX_EXPERIMENT_TAG_VALUE_LENGTH)
        rows.append({"key": key, "value": value})
    return rows


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(f"Experiment(name={name}) already exists.")
