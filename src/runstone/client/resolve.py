"""Logical artifact URIs (``runs:/`` and ``models:/``) → the storage locations behind them.

These URIs name things, not places: a run's artifacts, or a registered model version. This module
is the one place that turns them into physical URIs (DESIGN.md), so every caller — downloads,
artifact repositories, model loading — reads the same version for the same URI.

Parsing is pure. Names are taken literally: nothing is percent-decoded, so ``models:/a%20b/1``
names the model ``a%20b`` and ``models:/a b/1`` the model ``a b``; what the URI says is what the
store is asked for, never a silently different name.

Forms, as MLflow accepts them:

- ``runs:/<run_id>[/<path>]`` — the run's artifact URI, plus ``path`` inside it;
- ``models:/<name>/<version>`` — that version (digits);
- ``models:/<name>/<stage>`` — the newest version in that stage (any letter case);
- ``models:/<name>/latest`` — the newest version in any stage;
- ``models:/<name>@<alias>`` — the version the alias points at;

- ``models:/<model_id>`` — a logged model (MLflow 3): one segment, no ``@``;

each registry form may be followed by ``/<path>`` inside the version's artifacts. A logged
model's URI takes no path, as in MLflow, where ``models:/<a>/<b>`` always names a registered
model. A bare ``models:/<name>`` is therefore a logged-model id, never "the latest version".

``runs:/<run_id>/<name>`` also finds a logged model: MLflow 3 stores a model that a run logs
under the model's own location, not under the run's artifacts, and users still address it
through the run by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runstone.entities import LoggedModel, ModelStage, ModelVersion, Run
from runstone.errors import InvalidParameterValue, NotFound

RUNS_FORMS = "runs:/<run_id> or runs:/<run_id>/<path>"
MODELS_FORMS = (
    "models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest or "
    "models:/<name>@<alias> (each optionally followed by /<path>), or models:/<model_id>"
)
# How many models:/ → models:/ (or runs:/) hops a version's source may take before resolution
# gives up: far more than any real chain, few enough to stop a cycle at once.
MAX_HOPS = 16


@dataclass(frozen=True, slots=True)
class RunsUri:
    """``runs:/<run_id>/<path>``; ``path`` is relative and clean ("" for the run's root)."""

    run_id: str
    path: str = ""


@dataclass(frozen=True, slots=True)
class ModelsUri:
    """``models:/…``: exactly one of ``version``, ``stage`` and ``alias`` is set, or none of them
    for ``latest``. ``path`` is relative and clean ("" for the version's whole artifacts)."""

    name: str
    version: str | None = None
    stage: ModelStage | None = None
    alias: str | None = None
    path: str = ""

    @property
    def latest(self) -> bool:
        return self.version is None and self.stage is None and self.alias is None

    def describe(self) -> str:
        """The version this URI selects, in words, for error messages."""
        if self.version is not None:
            return f"version {self.version} of model {self.name!r}"
        if self.alias is not None:
            return f"alias {self.alias!r} of model {self.name!r}"
        if self.stage is not None:
            return f"the newest version of model {self.name!r} in stage {self.stage.value!r}"
        return f"the newest version of model {self.name!r}"


@dataclass(frozen=True, slots=True)
class LoggedModelUri:
    """``models:/<model_id>``: a logged model (MLflow 3)."""

    model_id: str


@dataclass(frozen=True, slots=True)
class Location:
    """A physical place: ``root`` is a storage URI (a path, ``file:``, ``s3:``,
    ``mlflow-artifacts:``…) and ``path`` a clean relative path under it ("" for the root)."""

    root: str
    path: str = ""

    @property
    def uri(self) -> str:
        return join_uri(self.root, self.path)


class Lookup(Protocol):
    """What resolution asks a store (or a client) for."""

    def get_run(self, run_id: str) -> Run: ...
    def get_model_version(self, name: str, version: str | int) -> ModelVersion: ...
    def get_latest_versions(
        self, name: str, stages: list[str] | None = None
    ) -> list[ModelVersion]: ...
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...
    def get_model_version_download_uri(self, name: str, version: str | int) -> str: ...
    def get_logged_model(self, model_id: str) -> LoggedModel: ...


# -- parsing -----------------------------------------------------------------------------------


def scheme_of(uri: str) -> str:
    """``runs``, ``models`` or "" (any other URI): the scheme compared as URL schemes are,
    without regard to letter case."""
    head, sep, _ = uri.partition(":")
    lowered = head.lower()
    return lowered if sep and lowered in ("runs", "models") else ""


def is_logical_uri(uri: str) -> bool:
    """Whether ``uri`` names a run's artifacts or a model version rather than a place."""
    return bool(scheme_of(uri))


def parse_runs_uri(uri: str) -> RunsUri:
    body = _body(uri, "runs", RUNS_FORMS)
    run_id, _, path = body.partition("/")
    if not run_id.strip():
        raise _malformed(uri, RUNS_FORMS, "the run id is missing")
    return RunsUri(run_id, _clean_path(uri, path))


def parse_models_uri(uri: str) -> ModelsUri | LoggedModelUri:
    raw = _body(uri, "models", MODELS_FORMS)
    if "/" not in raw and "@" not in raw and raw.strip():
        return LoggedModelUri(raw)
    first, _, rest = raw.rstrip("/").partition("/")
    if "@" in first:  # models:/<name>@<alias>[/<path>]
        name, _, alias = first.rpartition("@")
        _require_name(uri, name)
        if not alias.strip():
            raise _malformed(uri, MODELS_FORMS, "the alias after '@' is empty")
        return ModelsUri(name, alias=alias, path=_clean_path(uri, rest))
    _require_name(uri, first)
    suffix, _, path = rest.partition("/")
    if not suffix.strip():
        why = "a version, stage, 'latest' or '@alias' is needed after the model name"
        raise _malformed(uri, MODELS_FORMS, why)
    clean = _clean_path(uri, path)
    if suffix.isascii() and suffix.isdigit():
        return ModelsUri(first, version=str(int(suffix)), path=clean)
    if suffix.lower() == "latest":
        return ModelsUri(first, path=clean)
    try:
        if suffix != suffix.strip():
            raise ValueError(suffix)
        stage = ModelStage.parse(suffix)
    except ValueError:
        stages = ", ".join(s.value for s in ModelStage)
        why = f"{suffix!r} is not a version number, 'latest' or a stage ({stages})"
        raise _malformed(uri, MODELS_FORMS, why) from None
    return ModelsUri(first, stage=stage, path=clean)


def _body(uri: str, scheme: str, forms: str) -> str:
    """What follows ``<scheme>:/`` (``<scheme>:///`` too: an empty authority)."""
    if not isinstance(uri, str) or scheme_of(uri) != scheme:
        raise _malformed(uri, forms, f"it does not start with {scheme}:/")
    rest = uri[len(scheme) + 1 :]
    if rest.startswith("///"):
        rest = rest[2:]
    elif rest.startswith("//"):
        raise _malformed(uri, forms, "a host or profile after '//' is not supported")
    if not rest.startswith("/") or len(rest) == 1:
        raise _malformed(uri, forms, f"nothing follows {scheme}:/")
    return rest[1:]


def _require_name(uri: str, name: str) -> None:
    if not name.strip():
        raise _malformed(uri, MODELS_FORMS, "the model name is empty")


def _clean_path(uri: str, path: str) -> str:
    """``path`` through the artifact layer's one safety check, or a one-line refusal that names
    the URI: a logical URI must not lead out of the run's or the version's artifacts."""
    # The artifacts package loads fsspec; it is imported when a URI is parsed, not at import.
    from runstone.artifacts.paths import safe_relative_path

    try:
        return safe_relative_path(path)
    except InvalidParameterValue as exc:
        raise InvalidParameterValue(f"Invalid URI {uri!r}: {exc.message}") from None


def _malformed(uri: object, forms: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid URI {uri!r}: {why}; expected {forms}.")


# -- resolution --------------------------------------------------------------------------------


def resolve_model_version(lookup: Lookup, parsed: ModelsUri) -> ModelVersion:
    """The version a ``models:/`` URI selects; NotFound (from the store, or here when a stage
    or the model has no versions) if there is none."""
    if parsed.version is not None:
        return lookup.get_model_version(parsed.name, parsed.version)
    if parsed.alias is not None:
        return lookup.get_model_version_by_alias(parsed.name, parsed.alias)
    stages = [parsed.stage.value] if parsed.stage is not None else None
    versions = lookup.get_latest_versions(parsed.name, stages)
    if not versions:
        raise NotFound(f"There is no {parsed.describe().removeprefix('the ')}.")
    return max(versions, key=lambda v: int(v.version))


def resolve(lookup: Lookup, uri: str) -> Location:
    """The physical location behind a ``runs:/`` or ``models:/`` URI (any other URI is returned
    as it is, as its own root).

    For ``runs:/`` the root is the run's artifact URI and the path the one in the URI. For
    ``models:/`` the root is the version's own location and the path the URI's sub-path, so a
    download of a whole version lands directly in its destination, as in MLflow.

    A model version whose download URI is itself logical (a ``runs:/`` source, or a
    ``models:/`` one) is followed until a physical place is reached; a chain that comes back to
    a version it passed through, or is implausibly long, is refused.
    """
    seen: list[str] = []
    current = uri
    suffix = ""  # sub-paths of the models:/ URIs passed through, outermost last
    while True:
        scheme = scheme_of(current)
        if scheme == "models":
            parsed = parse_models_uri(current)
            if isinstance(parsed, LoggedModelUri):
                location = Location(logged_model(lookup, parsed.model_id).artifact_uri)
                return Location(location.uri, suffix) if seen else location
            version = resolve_model_version(lookup, parsed)
            key = f"{version.name}/{version.version}"
            if key in seen or len(seen) >= MAX_HOPS:
                chain = " -> ".join([*seen, key])
                raise InvalidParameterValue(
                    f"Cannot resolve {uri!r}: model version sources form a loop or a chain "
                    f"too long to follow ({chain})."
                )
            seen.append(key)
            suffix = _join_paths(parsed.path, suffix)
            current = lookup.get_model_version_download_uri(version.name, version.version)
            continue
        if scheme == "runs":
            location = _run_location(lookup, parse_runs_uri(current))
        else:
            location = Location(current)
        return Location(location.uri, suffix) if seen else location


def logged_model(lookup: Lookup, model_id: str) -> LoggedModel:
    """The logged model ``model_id``; the NotFound says how to name a registered model, since
    ``models:/<name>`` is easily written by mistake for one."""
    try:
        return lookup.get_logged_model(model_id)
    except NotFound:
        raise NotFound(
            f"There is no logged model with id {model_id!r} (models:/{model_id} names a logged "
            f"model; for a registered model write models:/{model_id}/<version>, "
            f"models:/{model_id}/latest or models:/{model_id}@<alias>)."
        ) from None


def run_logged_model(lookup: Lookup, parsed: RunsUri) -> LoggedModel | None:
    """The model the run logged under the name that starts ``parsed.path`` (MLflow 3), if
    any; when it logged several of that name, the one logged at the highest step."""
    head = parsed.path.partition("/")[0]
    if not head:
        return None
    best: tuple[int, LoggedModel] | None = None
    for output in lookup.get_run(parsed.run_id).outputs.model_outputs:
        model = lookup.get_logged_model(output.model_id)
        if model.name == head and (best is None or output.step >= best[0]):
            best = (output.step, model)
    return None if best is None else best[1]


def _run_location(lookup: Lookup, parsed: RunsUri) -> Location:
    """Where ``runs:/<run_id>/<path>`` points: inside the run's artifacts, or — when the path
    starts with the name of a model the run logged — inside that model's location."""
    model = run_logged_model(lookup, parsed)
    if model is not None:
        return Location(model.artifact_uri, parsed.path.partition("/")[2])
    return Location(lookup.get_run(parsed.run_id).info.artifact_uri, parsed.path)


def _join_paths(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def join_uri(root: str, path: str) -> str:
    """``path`` (clean, relative) under ``root``, whatever the root's scheme."""
    if not path:
        return root
    return f"{root.rstrip('/')}/{path}"


def download_location(lookup: Lookup, uri: str) -> Location:
    """Where ``download_artifacts(artifact_uri=uri)`` reads from, split as MLflow splits it, so
    files land where MLflow puts them: a ``models:/`` URI's version is the root (its files go
    straight into the destination); otherwise the last path segment is what is downloaded
    (``runs:/<id>/a/b`` and ``s3://bucket/a/b`` both arrive as ``<dst>/b``)."""
    scheme = scheme_of(uri)
    location = resolve(lookup, uri)
    if scheme == "models" or (scheme == "runs" and not location.path):
        return location
    if location.path:
        head, _, last = location.path.rpartition("/")
        return Location(join_uri(location.root, head), last)
    return _split_last(location.root)


def _split_last(uri: str) -> Location:
    """A physical URI as (its parent, its last segment), when it has a parent to stand on."""
    trimmed = uri.rstrip("/")
    parent, sep, last = trimmed.rpartition("/")
    if not sep or not last or parent.endswith(":") or parent.endswith(":/") or not parent:
        return Location(uri)
    if parent.endswith("//") and parent.count("/") == 2:  # s3://bucket: the bucket is the root
        return Location(uri)
    return Location(parent, last)
