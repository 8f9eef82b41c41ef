"""Dataset inputs of runs: datasets are shared per experiment, linked to runs with tags."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, func, insert, select

from runstone.entities import Dataset, DatasetInput, InputTag
from runstone.store.sql.common import chunked
from runstone.store.sql.tables import datasets, run_input_tags, run_inputs


def add_inputs(
    conn: Connection, run_id: str, experiment_id: int, items: Sequence[DatasetInput]
) -> None:
    """Link each dataset to the run (once); logging the same dataset again adds only new tags."""
    for item in items:
        dataset_uuid = _dataset_uuid(conn, experiment_id, item.dataset)
        linked = conn.execute(
            select(run_inputs.c.position)
            .where(run_inputs.c.run_uuid == run_id)
            .where(run_inputs.c.dataset_uuid == dataset_uuid)
        ).first()
        if linked is None:
            position = conn.execute(
                select(func.count()).select_from(run_inputs).where(run_inputs.c.run_uuid == run_id)
            ).scalar_one()
            conn.execute(
                insert(run_inputs).values(
                    run_uuid=run_id, dataset_uuid=dataset_uuid, position=position
                )
            )
        existing = set(
            conn.execute(
                select(run_input_tags.c.key)
                .where(run_input_tags.c.run_uuid == run_id)
                .where(run_input_tags.c.dataset_uuid == dataset_uuid)
            ).scalars()
        )
        new_tags = {t.key: t.value for t in item.tags if t.key not in existing}
        if new_tags:
            conn.execute(
                insert(run_input_tags),
                [
                    {"run_uuid": run_id, "dataset_uuid": dataset_uuid, "key": k, "value": val}
                    for k, val in new_tags.items()
                ],
            )


def _dataset_uuid(conn: Connection, experiment_id: int, ds: Dataset) -> str:
    found = conn.execute(
        select(datasets.c.dataset_uuid)
        .where(datasets.c.experiment_id == experiment_id)
        .where(datasets.c.name == ds.name)
        .where(datasets.c.digest == ds.digest)
    ).scalar()
    if found is not None:
        return str(found)
    dataset_uuid = uuid.uuid4().hex
    conn.execute(
        insert(datasets).values(
            dataset_uuid=dataset_uuid,
            experiment_id=experiment_id,
            name=ds.name,
            digest=ds.digest,
            source_type=ds.source_type,
            source=ds.source,
            schema=ds.schema,
            profile=ds.profile,
        )
    )
    return dataset_uuid


def inputs_by_run(conn: Connection, run_ids: Sequence[str]) -> dict[str, tuple[DatasetInput, ...]]:
    found: dict[str, list[tuple[int, str, Dataset]]] = {}
    tags: dict[tuple[str, str], list[InputTag]] = {}
    for part in chunked(run_ids):
        rows = conn.execute(
            select(run_inputs.c.run_uuid, run_inputs.c.position, datasets)
            .join(datasets, datasets.c.dataset_uuid == run_inputs.c.dataset_uuid)
            .where(run_inputs.c.run_uuid.in_(part))
        ).all()
        if not rows:
            continue  # no inputs, so no input tags either
        for r in rows:
            ds = Dataset(r.name, r.digest, r.source_type, r.source, r.schema, r.profile)
            found.setdefault(r.run_uuid, []).append((r.position, r.dataset_uuid, ds))
        with_inputs = list({r.run_uuid for r in rows})
        tag_rows = conn.execute(
            select(run_input_tags)
            .where(run_input_tags.c.run_uuid.in_(with_inputs))
            .order_by(run_input_tags.c.key)
        )
        for t in tag_rows:
            tags.setdefault((t.run_uuid, t.dataset_uuid), []).append(InputTag(t.key, t.value))
    return {
        run_id: tuple(
            DatasetInput(ds, tuple(tags.get((run_id, ds_uuid), ())))
            for _, ds_uuid, ds in sorted(entries, key=lambda e: e[0])
        )
        for run_id, entries in found.items()
    }
