"""``ModelSpec``: the ``MLmodel`` file of a model directory, read and written as MLflow does.

``MLmodel`` is the one file every MLflow tool reads first, so it is written with MLflow's key
names, value formats and YAML style (``safe_dump``, keys sorted, block style); a file MLflow
wrote reads back into a ``ModelSpec`` and writes out unchanged, keys MLflow omits when null stay
omitted, and keys or flavors Runstone does not know are carried through untouched — a newer
MLflow, or a flavor Runstone has no loader for, must not lose data by passing through Runstone.

The signature is kept as MLflow nests it (``{inputs, outputs, params}``, each a JSON string or
null); turning it into schema objects is the job of ``runstone.models.signature``.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from runstone.errors import InvalidParameterValue, NotFound
from runstone.models.layout import MLMODEL_FILE, check_input_example_info, write_text_atomic

# MLflow's format for ``utc_time_created``: naive UTC with microseconds.
UTC_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"

# Keys MLflow 3 writes even when null; every other known key is left out when it is null.
_WRITTEN_WHEN_NULL: Final = frozenset({"model_id", "model_uuid", "prompts"})
_SIGNATURE_FLAGS: Final = ("is_signature_from_type_hint", "type_hint_from_example")
_STRING_KEYS: Final = ("artifact_path", "run_id", "model_id", "model_uuid")
# Version strings a hand-written file may leave unquoted, which YAML then reads as numbers.
_VERSION_KEYS: Final = ("mlflow_version", "databricks_runtime")
_MAPPING_KEYS: Final = ("metadata", "resources", "auth_policy")
_STRING_LIST_KEYS: Final = ("prompts", "env_vars")
_KNOWN_KEYS: Final = frozenset(
    {
        "flavors",
        "utc_time_created",
        "model_size_bytes",
        "signature",
        "saved_input_example_info",
        *_SIGNATURE_FLAGS,
        *_STRING_KEYS,
        *_VERSION_KEYS,
        *_MAPPING_KEYS,
        *_STRING_LIST_KEYS,
    }
)


def utc_time_created(moment: dt.datetime | None = None) -> str:
    """``utc_time_created`` as MLflow writes it: ``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC."""
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime(UTC_TIME_FORMAT)


def _new_uuid() -> str:
    return uuid.uuid4().hex


@dataclass(eq=True)
class ModelSpec:
    """The contents of an ``MLmodel`` file (mlflow-compat.md §5.2).

    ``extra`` holds the top-level keys Runstone does not know, written back as they were read.
    Flavor configurations are plain mappings, so unknown flavors survive a round trip too.
    """

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    utc_time_created: str = field(default_factory=utc_time_created)
    # Null (key omitted) for models Runstone writes: Runstone is not that MLflow version.
    mlflow_version: str | None = None
    model_uuid: str | None = field(default_factory=_new_uuid)
    model_size_bytes: int | None = None
    signature: dict[str, Any] | None = None
    is_signature_from_type_hint: bool | None = None
    type_hint_from_example: bool | None = None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    prompts: list[str] | None = None
    resources: dict[str, Any] | None = None
    env_vars: list[str] | None = None
    auth_policy: dict[str, Any] | None = None
    databricks_runtime: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The keys of the document this spec was read from, and those that were null there (None
    # when built in code): a known key is written as null exactly when the source had it so.
    _source_keys: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)
    _source_nulls: frozenset[str] = field(
        default=frozenset(), init=False, repr=False, compare=False
    )

    # -- flavors ---------------------------------------------------------------------------

    def add_flavor(self, name: str, **params: Any) -> ModelSpec:
        """Add (or replace) flavor ``name`` with its configuration; returns self for chaining."""
        if not isinstance(name, str) or not name:
            raise InvalidParameterValue(
                f"Invalid flavor name {name!r}: expected a non-empty string."
            )
        self.flavors[name] = dict(params)
        return self

    def flavor(self, name: str) -> dict[str, Any]:
        """The configuration of flavor ``name``; the error lists the flavors the model has."""
        try:
            return self.flavors[name]
        except KeyError:
            present = ", ".join(sorted(self.flavors)) or "none"
            raise NotFound(
                f"Model does not have the {name!r} flavor (flavors present: {present})."
            ) from None

    def has_flavor(self, name: str) -> bool:
        return name in self.flavors

    # -- dict / YAML -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The document as MLflow writes it: null keys left out, except where MLflow keeps them."""
        values: dict[str, Any] = {
            "artifact_path": self.artifact_path,
            "run_id": self.run_id,
            "model_id": self.model_id,
            "utc_time_created": self.utc_time_created,
            "mlflow_version": self.mlflow_version,
            "model_uuid": self.model_uuid,
            "model_size_bytes": self.model_size_bytes,
            "signature": self.signature,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
            "prompts": self.prompts,
            "resources": self.resources,
            "env_vars": self.env_vars,
            "auth_policy": self.auth_policy,
            "databricks_runtime": self.databricks_runtime,
            "is_signature_from_type_hint": self.is_signature_from_type_hint,
            "type_hint_from_example": self.type_hint_from_example,
        }
        source = self._source_keys
        read_signature = source is not None and "signature" in source - self._source_nulls
        if self.signature is not None and not read_signature:
            # MLflow writes both flags next to every signature it saves; a file from an older
            # MLflow that had a signature without them is written back without them.
            for flag in _SIGNATURE_FLAGS:
                if values[flag] is None:
                    values[flag] = False
        # An ``extra`` key that shadows a known one is ignored: the typed field is the truth.
        doc: dict[str, Any] = {
            key: value for key, value in self.extra.items() if key not in _KNOWN_KEYS
        }
        doc["flavors"] = self.flavors
        for key, value in values.items():
            if value is not None or self._keeps_null(key):
                doc[key] = value
        return doc

    def _keeps_null(self, key: str) -> bool:
        if self._source_keys is not None:
            return key in self._source_nulls
        return key in _WRITTEN_WHEN_NULL

    def to_yaml(self) -> str:
        """The ``MLmodel`` text, formatted exactly as MLflow formats it."""
        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    @classmethod
    def from_dict(cls, doc: object, source: str = "MLmodel") -> ModelSpec:
        """Build a spec from a parsed ``MLmodel`` document; errors name ``source``."""
        if not isinstance(doc, Mapping):
            raise InvalidParameterValue(
                f"Invalid MLmodel file {source}: expected a YAML mapping at the top level, "
                f"got {type(doc).__name__}."
            )
        data = dict(doc)
        for key in data:
            if not isinstance(key, str):
                raise InvalidParameterValue(
                    f"Invalid MLmodel file {source}: top-level key {key!r} is not a string."
                )
        known: dict[str, Any] = {"flavors": _check_flavors(data.pop("flavors", None), source)}
        for key in _STRING_KEYS:
            known[key] = _optional(data, key, str, source)
        for key in _VERSION_KEYS:
            known[key] = _version(data, key, source)
        known["utc_time_created"] = _time_created(data, source)
        size = _optional(data, "model_size_bytes", int, source)
        if isinstance(size, bool):
            raise _bad_key(source, "model_size_bytes", "expected an integer")
        known["model_size_bytes"] = size
        known["signature"] = _signature(data, source)
        for key in _SIGNATURE_FLAGS:
            known[key] = _optional(data, key, bool, source)
        info = data.pop("saved_input_example_info", None)
        known["saved_input_example_info"] = (
            None if info is None else check_input_example_info(info, source)
        )
        for key in _MAPPING_KEYS:
            value = _optional(data, key, Mapping, source)
            known[key] = None if value is None else dict(value)
        for key in _STRING_LIST_KEYS:
            known[key] = _string_list(data, key, source)
        spec = cls(**known, extra=data)
        spec._source_keys = frozenset(doc)
        spec._source_nulls = frozenset(key for key, value in doc.items() if value is None)
        return spec

    @classmethod
    def from_yaml(cls, text: str, source: str = "MLmodel") -> ModelSpec:
        """Parse ``MLmodel`` text; malformed YAML raises :class:`InvalidParameterValue`."""
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidParameterValue(f"Invalid MLmodel file {source}: {exc}") from None
        return cls.from_dict(doc, source)

    # -- files -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ModelSpec:
        """Read a model directory's ``MLmodel``, given the directory or the file itself."""
        file_path = mlmodel_path(path)
        try:
            text = file_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"Could not find an MLmodel file at {str(file_path)!r}.") from None
        except (IsADirectoryError, UnicodeDecodeError) as exc:
            raise InvalidParameterValue(
                f"Invalid MLmodel file {str(file_path)!r}: {exc}."
            ) from None
        return cls.from_yaml(text, source=repr(str(file_path)))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``MLmodel`` into directory ``path`` (created if needed) atomically.

        A path whose last part is ``MLmodel`` and which is not a directory names the file itself.
        Returns the path of the file written.
        """
        return write_text_atomic(mlmodel_path(path), self.to_yaml())


def mlmodel_path(path: str | os.PathLike[str]) -> Path:
    """The ``MLmodel`` file of a model directory, or ``path`` itself when it names that file."""
    given = Path(path)
    if given.name == MLMODEL_FILE and not given.is_dir():
        return given
    return given / MLMODEL_FILE


def _bad_key(source: str, key: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid MLmodel file {source}: {key!r} {why}.")


def _optional(data: dict[str, Any], key: str, kind: type, source: str) -> Any:
    value = data.pop(key, None)
    if value is not None and not isinstance(value, kind):
        raise _bad_key(source, key, f"expected {kind.__name__.lower()}, got {type(value).__name__}")
    return value


def _version(data: dict[str, Any], key: str, source: str) -> str | None:
    value = data.pop(key, None)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # ``mlflow_version: 2.0`` written by hand reads as a float
    raise _bad_key(source, key, f"expected a version string, got {type(value).__name__}")


def _time_created(data: dict[str, Any], source: str) -> str:
    value = data.pop("utc_time_created", None)
    if value is None:
        return utc_time_created()
    if isinstance(value, dt.datetime):
        # An unquoted timestamp (written by hand) is parsed by YAML; keep MLflow's format.
        return utc_time_created(value)
    if not isinstance(value, str):
        raise _bad_key(source, "utc_time_created", "expected a string")
    return value


def _check_flavors(value: object, source: str) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad_key(source, "flavors", f"expected a mapping, got {type(value).__name__}")
    flavors: dict[str, dict[str, Any]] = {}
    for name, config in value.items():
        if not isinstance(name, str):
            raise _bad_key(source, "flavors", f"has a flavor name {name!r} that is not a string")
        if not isinstance(config, Mapping):
            raise _bad_key(
                source, f"flavors.{name}", f"expected a mapping, got {type(config).__name__}"
            )
        flavors[name] = dict(config)
    return flavors


def _signature(data: dict[str, Any], source: str) -> dict[str, Any] | None:
    value = data.pop("signature", None)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad_key(source, "signature", f"expected a mapping, got {type(value).__name__}")
    for part in ("inputs", "outputs", "params"):
        if value.get(part) is not None and not isinstance(value[part], str):
            raise _bad_key(source, f"signature.{part}", "expected a JSON string or null")
    return dict(value)


def _string_list(data: dict[str, Any], key: str, source: str) -> list[str] | None:
    value = data.pop(key, None)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad_key(source, key, "expected a list of strings")
    return list(value)
