"""Runs: create, read, update, delete/restore, tags, params, batches, inputs, search."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from runstone.entities import (
    DatasetInput,
    LifecycleStage,
    Metric,
    Page,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.errors import InvalidParameterValue, NotFound
from runstone.search import SearchKind, parse_filter, parse_order_by
from runstone.store import validation as v
from runstone.store.paging import decode_page_token, next_token
from runstone.store.sql import filters, idempotency, inputs, loading
from runstone.store.sql.common import (
    StoreParts,
    active_experiment_row,
    active_run_row,
    distinct,
    now_ms,
    run_info_from_row,
    run_info_from_values,
    run_not_found,
    run_row,
    upsert,
)
from runstone.store.sql.metrics import append_metrics, pg_append_new_points
from runstone.store.sql.names import random_run_name
from runstone.store.sql.tables import params, run_tags, runs
from runstone.store.sql.visibility import Reader, readable_experiments

RUN_NAME_TAG = "mlflow.runName"


class RunsPart(StoreParts):
    def create_run(
        self,
        experiment_id: str,
        user_id: str = "",
        start_time: int | None = None,
        tags: Mapping[str, str] | Sequence[RunTag] | None = None,
        run_name: str | None = None,
        idempotency_key: str | None = None,
    ) -> Run:
        """A new RUNNING run. A create retried with the same ``idempotency_key`` returns the
        run the first attempt made."""
        tag_map = self._checked_run_tags(_tag_pairs(tags))
        name = _resolve_run_name(run_name, tag_map)
        tag_map[RUN_NAME_TAG] = name
        v.check_string(user_id, "user_id", v.MAX_USER_ID_LENGTH)
        started = now_ms() if start_time is None else v.check_int64(start_time, "start_time", 0)

        def work(conn: Connection) -> tuple[str, Run]:
            # A shared lock: runs may be created side by side, but not in a deleting experiment.
            exp = active_experiment_row(conn, experiment_id, shared=True)
            run_id = uuid.uuid4().hex
            row = {
                "run_uuid": run_id,
                "experiment_id": exp.experiment_id,
                "name": name,
                "user_id": user_id,
                "status": RunStatus.RUNNING.name,
                "start_time": started,
                "end_time": None,
                "lifecycle_stage": LifecycleStage.ACTIVE.value,
                "artifact_uri": f"{exp.artifact_location.rstrip('/')}/{run_id}/artifacts",
                "deleted_time": None,
            }
            conn.execute(insert(runs).values(row))
            conn.execute(
                insert(run_tags),
                [{"run_uuid": run_id, "key": k, "value": val} for k, val in tag_map.items()],
            )
            return run_id, Run(run_info_from_values(row), RunData(tags=dict(tag_map)))

        return idempotency.once(self._db, "create_run", idempotency_key, work, loading.load_run)

    def get_run(self, run_id: str) -> Run:
        with self._db.read() as conn:
            return loading.load_run(conn, run_id)

    def experiment_id_of_run(self, run_id: str) -> str:
        """The experiment a run belongs to (one primary-key lookup), for permission checks."""
        v.check_run_id(run_id)
        query = select(runs.c.experiment_id).where(runs.c.run_uuid == run_id)
        with self._db.read() as conn:
            found = conn.execute(query).scalar_one_or_none()
        if found is None:
            raise run_not_found(run_id)
        return str(found)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = RunStatus(status).name
        if end_time is not None:
            values["end_time"] = v.check_int64(end_time, "end_time", 0)
        if run_name:
            values["name"] = v.check_string(run_name, "run_name", v.MAX_RUN_NAME_LENGTH)

        def work(conn: Connection) -> RunInfo:
            active_run_row(conn, run_id)
            if values:
                conn.execute(update(runs).where(runs.c.run_uuid == run_id).values(**values))
            if run_name:
                _set_tags(conn, run_id, {RUN_NAME_TAG: run_name})
            return run_info_from_row(run_row(conn, run_id))

        return self._db.write(work)

    def delete_run(self, run_id: str) -> None:
        self._set_lifecycle(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_lifecycle(run_id, LifecycleStage.ACTIVE)

    def _set_lifecycle(self, run_id: str, stage: LifecycleStage) -> None:
        def work(conn: Connection) -> None:
            run_row(conn, run_id, for_update=True)
            deleted_time = now_ms() if stage is LifecycleStage.DELETED else None
            conn.execute(
                update(runs)
                .where(runs.c.run_uuid == run_id)
                .values(lifecycle_stage=stage.value, deleted_time=deleted_time)
            )

        self._db.write(work)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        tag_map = self._checked_run_tags([(key, value)])

        def work(conn: Connection) -> None:
            active_run_row(conn, run_id)
            _set_tags(conn, run_id, tag_map)

        self._db.write(work)

    def delete_tag(self, run_id: str, key: str) -> None:
        v.check_string(key, "key")

        def work(conn: Connection) -> None:
            active_run_row(conn, run_id)
            gone = conn.execute(
                delete(run_tags).where(run_tags.c.run_uuid == run_id).where(run_tags.c.key == key)
            )
            if gone.rowcount == 0:
                raise NotFound(f"No tag with name: {key} in run with id {run_id}")

        self._db.write(work)

    def append_to_json_list_tag(self, run_id: str, key: str, item: Any) -> None:
        """Append ``item`` to the JSON list held by tag ``key`` (created when missing), in one
        transaction, so concurrent appends do not lose each other."""
        v.check_key(key, "key")

        def work(conn: Connection) -> None:
            active_run_row(conn, run_id)  # locks the run: appends to its tags queue up
            current = conn.execute(
                select(run_tags.c.value)
                .where(run_tags.c.run_uuid == run_id)
                .where(run_tags.c.key == key)
            ).scalar()
            try:
                items = json.loads(current) if current else []
            except ValueError:
                items = []
            if not isinstance(items, list):
                items = []
            items.append(item)
            _set_tags(conn, run_id, {key: json.dumps(items)})

        self._db.write(work)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        self.log_batch(run_id, params=[Param(key, value)])

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=[metric])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags in one transaction: all of them, or none."""
        v.check_run_id(run_id)
        v.check_batch_sizes(metrics, params, tags)
        columns = v.check_metrics(metrics)
        param_map = self._checked_params(params)
        tag_map = self._checked_run_tags([(t.key, t.value) for t in tags], "tags")
        if (
            self._db.dialect == "postgresql"
            and not param_map
            and not tag_map
            and self._db.write_statement(lambda conn: pg_append_new_points(conn, run_id, columns))
        ):
            return

        def work(conn: Connection) -> None:
            if len(columns):
                append_metrics(conn, run_id, columns)  # locks the run as it reads summaries
            else:
                active_run_row(conn, run_id)
            _insert_params(conn, run_id, param_map)
            _set_tags(conn, run_id, tag_map)

        self._db.write(work)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        for i, item in enumerate(datasets):
            v.check_dataset_input(item, f"datasets[{i}]")

        def work(conn: Connection) -> None:
            row = active_run_row(conn, run_id)
            inputs.add_inputs(conn, run_id, row.experiment_id, datasets)

        self._db.write(work)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        reader: Reader | None = None,
    ) -> Page[Run]:
        """Runs of ``experiment_ids`` matching ``filter_string``; with ``reader``, those of
        experiments it may not read are left out."""
        limit = v.check_max_results(max_results, v.MAX_SEARCH_RESULTS)
        offset = decode_page_token(page_token)
        exp_ids = distinct(v.check_experiment_id(e) for e in experiment_ids)
        condition = filters.run_condition(parse_filter(filter_string, SearchKind.RUNS))
        order = parse_order_by(order_by, SearchKind.RUNS)
        if not exp_ids:
            return Page(())
        stages = [s.value for s in ViewType(run_view_type).stages()]
        query = (
            select(runs.c.run_uuid)
            .where(runs.c.experiment_id.in_(exp_ids))
            .where(runs.c.lifecycle_stage.in_(stages))
        )
        if condition is not None:
            query = query.where(condition)
        if reader is not None:
            query = query.where(readable_experiments(runs.c.experiment_id, reader))
        query = filters.order_runs(query, order).limit(limit + 1).offset(offset)
        with self._db.read() as conn:
            ids = list(conn.execute(query).scalars())
            found = loading.load_runs(conn, ids[:limit])
        return Page(tuple(found), next_token(offset, limit, len(ids)))

    def _checked_params(self, items: Sequence[Param]) -> dict[str, str]:
        result: dict[str, str] = {}
        for i, param in enumerate(items):
            v.check_key(param.key, f"params[{i}].key")
            value = v.truncate_or_check(
                param.value,
                f"params[{i}].value",
                v.MAX_PARAM_VALUE_LENGTH,
                self._settings.truncate_long_values,
            )
            if result.get(param.key, value) != value:
                raise InvalidParameterValue(
                    f"Duplicate parameter key {param.key!r} with different values in one batch."
                )
            result[param.key] = value
        return result

    def _checked_run_tags(
        self, pairs: Sequence[tuple[str, str]], field: str = "tags"
    ) -> dict[str, str]:
        result: dict[str, str] = {}
        for i, (key, value) in enumerate(pairs):
            v.check_key(key, f"{field}[{i}].key")
            result[key] = v.truncate_or_check(
                value,
                f"{field}[{i}].value",
                v.MAX_RUN_TAG_VALUE_LENGTH,
                self._settings.truncate_long_values,
            )
        return result


def _tag_pairs(tags: Mapping[str, str] | Sequence[RunTag] | None) -> list[tuple[str, str]]:
    if tags is None:
        return []
    if isinstance(tags, Mapping):
        return list(tags.items())
    return [(t.key, t.value) for t in tags]


def _resolve_run_name(run_name: str | None, tags: Mapping[str, str]) -> str:
    tagged = tags.get(RUN_NAME_TAG)
    if run_name and tagged and tagged != run_name:
        raise InvalidParameterValue(
            f"Both 'run_name' ({run_name!r}) and the {RUN_NAME_TAG!r} tag ({tagged!r}) were "
            "given, with different values."
        )
    name = run_name or tagged or random_run_name()
    return v.check_string(name, "run_name", v.MAX_RUN_NAME_LENGTH)


def _insert_params(conn: Connection, run_id: str, values: dict[str, str]) -> None:
    """Params are write-once: logging the same value again is fine, a different one is not."""
    if not values:
        return
    rows = conn.execute(
        select(params.c.key, params.c.value)
        .where(params.c.run_uuid == run_id)
        .where(params.c.key.in_(list(values)))
    )
    existing: dict[str, str] = {key: value for key, value in rows}
    for key, old in existing.items():
        if old != values[key]:
            raise InvalidParameterValue(
                f"Changing param values is not allowed. Param with key={key!r} was already "
                f"logged with value={old!r} for run ID={run_id!r}. Attempted logging new "
                f"value {values[key]!r}."
            )
    new = [
        {"run_uuid": run_id, "key": k, "value": val}
        for k, val in values.items()
        if k not in existing
    ]
    if new:
        conn.execute(insert(params), new)


def _set_tags(conn: Connection, run_id: str, values: dict[str, str]) -> None:
    rows = [{"run_uuid": run_id, "key": k, "value": val} for k, val in values.items()]
    upsert(conn, run_tags, rows, ["run_uuid", "key"], ["value"])
    name = values.get(RUN_NAME_TAG)
    if name:
        v.check_string(name, "run_name", v.MAX_RUN_NAME_LENGTH)
        conn.execute(update(runs).where(runs.c.run_uuid == run_id).values(name=name))
