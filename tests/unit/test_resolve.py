"""``runs:/`` and ``models:/`` URIs: parsing (pure) and resolution against a stand-in registry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from runstone.client.resolve import (
    Location,
    LoggedModelUri,
    ModelsUri,
    RunsUri,
    download_location,
    is_logical_uri,
    parse_models_uri,
    parse_runs_uri,
    resolve,
    resolve_model_version,
)
from runstone.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelOutput,
    LoggedModelStatus,
    ModelStage,
    ModelVersion,
    Run,
    RunData,
    RunInfo,
    RunOutputs,
    RunStatus,
)
from runstone.errors import InvalidParameterValue, NotFound

RUN_ID = "a" * 32

# -- parsing runs:/ ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"runs:/{RUN_ID}", RunsUri(RUN_ID, "")),
        (f"runs:/{RUN_ID}/", RunsUri(RUN_ID, "")),
        (f"runs:/{RUN_ID}/model", RunsUri(RUN_ID, "model")),
        (f"runs:/{RUN_ID}/model/sub/MLmodel", RunsUri(RUN_ID, "model/sub/MLmodel")),
        (f"runs:/{RUN_ID}/a//b/./c/", RunsUri(RUN_ID, "a/b/c")),
        (f"runs:///{RUN_ID}/model", RunsUri(RUN_ID, "model")),
        (f"RUNS:/{RUN_ID}/model", RunsUri(RUN_ID, "model")),
        (f"runs:/{RUN_ID}/my%20model", RunsUri(RUN_ID, "my%20model")),  # not decoded
        (f"runs:/{RUN_ID}/modèle ü", RunsUri(RUN_ID, "modèle ü")),
    ],
)
def test_runs_uris_parse(uri: str, expected: RunsUri) -> None:
    assert parse_runs_uri(uri) == expected
    assert is_logical_uri(uri)


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("runs:", "nothing follows runs:/"),
        ("runs:/", "nothing follows runs:/"),
        (f"runs:{RUN_ID}/model", "nothing follows runs:/"),
        ("runs://host/x/model", "host"),
        ("runs://model", "host"),
        ("runs:/ /model", "run id is missing"),
        ("models:/m/1", "does not start with runs:/"),
        (f"runs:/{RUN_ID}/../other/artifacts", "'..'"),
        (f"runs:/{RUN_ID}/a/%2e%2e/%2e%2e/x", "'..'"),
        (f"runs:/{RUN_ID}/a\\..\\b", "backslash"),
        (f"runs:/{RUN_ID}/x#frag", "'#'"),
    ],
)
def test_malformed_runs_uris_are_one_clear_line(uri: str, fragment: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        parse_runs_uri(uri)
    message = caught.value.message
    assert "\n" not in message
    assert repr(uri) in message
    assert fragment in message


# -- parsing models:/ --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/fraud/3", ModelsUri("fraud", version="3")),
        ("models:/fraud/003", ModelsUri("fraud", version="3")),
        ("models:/fraud/3/", ModelsUri("fraud", version="3")),
        ("models:///fraud/3", ModelsUri("fraud", version="3")),
        ("MODELS:/fraud/3", ModelsUri("fraud", version="3")),
        ("models:/fraud/3/data/model.pkl", ModelsUri("fraud", version="3", path="data/model.pkl")),
        ("models:/fraud/latest", ModelsUri("fraud")),
        ("models:/fraud/LATEST", ModelsUri("fraud")),
        ("models:/fraud/Production", ModelsUri("fraud", stage=ModelStage.PRODUCTION)),
        ("models:/fraud/staging", ModelsUri("fraud", stage=ModelStage.STAGING)),
        ("models:/fraud/ARCHIVED/x", ModelsUri("fraud", stage=ModelStage.ARCHIVED, path="x")),
        ("models:/fraud/None", ModelsUri("fraud", stage=ModelStage.NONE)),
        ("models:/fraud@champion", ModelsUri("fraud", alias="champion")),
        ("models:/fraud@champion/MLmodel", ModelsUri("fraud", alias="champion", path="MLmodel")),
        ("models:/a@b@c", ModelsUri("a@b", alias="c")),  # the last '@' starts the alias
        ("models:/fraud detector/2", ModelsUri("fraud detector", version="2")),
        ("models:/détecteur de fraude 🐟/2", ModelsUri("détecteur de fraude 🐟", version="2")),
        ("models:/my%20model/1", ModelsUri("my%20model", version="1")),  # taken literally
        ("models:/5/1", ModelsUri("5", version="1")),  # a name may be all digits
        # one segment without '@' is a logged model's id, as in MLflow 3
        (
            "models:/m-0123456789abcdef0123456789abcdef",
            LoggedModelUri("m-" + "0123456789abcdef" * 2),
        ),
        ("models:/fraud", LoggedModelUri("fraud")),
    ],
)
def test_models_uris_parse(uri: str, expected: ModelsUri | LoggedModelUri) -> None:
    assert parse_models_uri(uri) == expected
    assert is_logical_uri(uri)


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("models:", "nothing follows models:/"),
        ("models:/", "nothing follows models:/"),
        ("models:fraud/1", "nothing follows models:/"),
        ("models://profile@databricks/fraud/1", "host"),
        ("models:/fraud/", "a version, stage, 'latest' or '@alias' is needed"),
        ("models:/fraud//1", "a version, stage, 'latest' or '@alias' is needed"),
        ("models://1", "host"),
        ("models:/ /1", "the model name is empty"),
        ("models:/@champion", "the model name is empty"),
        ("models:/fraud@", "the alias after '@' is empty"),
        ("models:/fraud/Prod", "'Prod' is not a version number, 'latest' or a stage"),
        ("models:/fraud/ Staging", "is not a version number"),
        ("models:/fraud/٣", "is not a version number"),  # a non-ASCII digit
        ("models:/fraud/-1", "is not a version number"),
        ("models:/fraud/1.0", "is not a version number"),
        ("models:/fraud/1?x=y", "is not a version number"),
        ("models:/fraud/1/../../other/1", "'..'"),
        ("models:/fraud@champion/%2e%2e/x", "'..'"),
        ("runs:/abc/model", "does not start with models:/"),
        ("s3://bucket/model", "does not start with models:/"),
    ],
)
def test_malformed_models_uris_are_one_clear_line(uri: str, fragment: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        parse_models_uri(uri)
    message = caught.value.message
    assert "\n" not in message
    assert repr(uri) in message
    assert fragment in message
    if "'..'" not in fragment:
        assert "models:/<name>@<alias>" in message  # the expected forms


@pytest.mark.parametrize(
    "uri", ["s3://bucket/x", "/tmp/x", "file:///tmp/x", "mlflow-artifacts:/1/x", "runsx:/a", ""]
)
def test_physical_uris_are_not_logical(uri: str) -> None:
    assert not is_logical_uri(uri)


# -- resolution against a stand-in registry ----------------------------------------------------


def _version(name: str, number: int, stage: ModelStage = ModelStage.NONE) -> ModelVersion:
    return ModelVersion(name, str(number), 1, 1, current_stage=stage)


@dataclass
class FakeLookup:
    """Runs by id and versions by (name, number), each with its download URI."""

    runs: dict[str, str] = field(default_factory=dict)  # run id -> artifact URI
    versions: dict[tuple[str, str], tuple[ModelVersion, str]] = field(default_factory=dict)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)
    logged: dict[str, LoggedModel] = field(default_factory=dict)
    outputs: dict[str, list[LoggedModelOutput]] = field(default_factory=dict)

    def log_model(self, run_id: str, model_id: str, name: str, step: int = 0) -> None:
        self.logged[model_id] = LoggedModel(
            model_id, "0", name, f"s3://bucket/models/{model_id}", LoggedModelStatus.READY, 1, 1
        )
        self.outputs.setdefault(run_id, []).append(LoggedModelOutput(model_id, step))

    def get_logged_model(self, model_id: str) -> LoggedModel:
        if model_id not in self.logged:
            raise NotFound(f"Logged model {model_id!r} not found")
        return self.logged[model_id]

    def add(self, name: str, number: int, uri: str, stage: ModelStage = ModelStage.NONE) -> None:
        self.versions[(name, str(number))] = (_version(name, number, stage), uri)

    def get_run(self, run_id: str) -> Run:
        if run_id not in self.runs:
            raise NotFound(f"Run {run_id!r} not found")
        info = RunInfo(
            run_id=run_id,
            experiment_id="0",
            run_name="r",
            user_id="",
            status=RunStatus.RUNNING,
            start_time=1,
            end_time=None,
            artifact_uri=self.runs[run_id],
            lifecycle_stage=LifecycleStage.ACTIVE,
        )
        return Run(info, RunData(), outputs=RunOutputs(tuple(self.outputs.get(run_id, ()))))

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        try:
            return self.versions[(name, str(version))][0]
        except KeyError:
            raise NotFound(f"Model Version (name={name}, version={version}) not found") from None

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        newest: dict[ModelStage, ModelVersion] = {}
        for (model, _), (version, _) in self.versions.items():
            if model != name:
                continue
            old = newest.get(version.current_stage)
            if old is None or int(old.version) < int(version.version):
                newest[version.current_stage] = version
        wanted = {ModelStage.parse(s) for s in stages} if stages else set(newest)
        return [v for stage, v in newest.items() if stage in wanted]

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        if (name, alias) not in self.aliases:
            raise NotFound(f"Registered model alias {alias} not found.")
        return self.get_model_version(name, self.aliases[(name, alias)])

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        self.get_model_version(name, version)
        return self.versions[(name, str(version))][1]


@pytest.fixture
def lookup() -> FakeLookup:
    found = FakeLookup(runs={RUN_ID: "s3://bucket/exp/run/artifacts"})
    found.add("m", 1, f"runs:/{RUN_ID}/model", ModelStage.ARCHIVED)
    found.add("m", 2, "s3://bucket/elsewhere/model", ModelStage.PRODUCTION)
    found.add("m", 3, "models:/m/2", ModelStage.STAGING)
    found.add("m", 4, f"runs:/{RUN_ID}/model4")
    found.aliases[("m", "champion")] = "2"
    return found


def test_runs_uri_resolves_to_the_run_artifact_root(lookup: FakeLookup) -> None:
    location = resolve(lookup, f"runs:/{RUN_ID}/model/MLmodel")
    assert location == Location("s3://bucket/exp/run/artifacts", "model/MLmodel")
    assert location.uri == "s3://bucket/exp/run/artifacts/model/MLmodel"
    assert resolve(lookup, f"runs:/{RUN_ID}").uri == "s3://bucket/exp/run/artifacts"


def test_model_uris_resolve_to_the_version_location(lookup: FakeLookup) -> None:
    assert resolve(lookup, "models:/m/1") == Location("s3://bucket/exp/run/artifacts/model")
    assert resolve(lookup, "models:/m/2").uri == "s3://bucket/elsewhere/model"
    assert resolve(lookup, "models:/m@champion").uri == "s3://bucket/elsewhere/model"
    assert resolve(lookup, "models:/m/production").uri == "s3://bucket/elsewhere/model"
    assert resolve(lookup, "models:/m/latest").uri == "s3://bucket/exp/run/artifacts/model4"
    assert resolve(lookup, "models:/m/2/data/x.pkl") == Location(
        "s3://bucket/elsewhere/model", "data/x.pkl"
    )


def test_model_sources_that_are_model_uris_are_followed(lookup: FakeLookup) -> None:
    assert resolve(lookup, "models:/m/Staging/MLmodel") == Location(
        "s3://bucket/elsewhere/model", "MLmodel"
    )
    lookup.add("outer", 1, "models:/m/3/inner")
    assert resolve(lookup, "models:/outer/1/file") == Location(
        "s3://bucket/elsewhere/model", "inner/file"
    )


def test_a_loop_of_model_sources_is_refused(lookup: FakeLookup) -> None:
    lookup.add("a", 1, "models:/b/1")
    lookup.add("b", 1, "models:/a/latest")
    with pytest.raises(InvalidParameterValue, match=r"loop .*a/1 -> b/1 -> a/1"):
        resolve(lookup, "models:/a/1")
    lookup.add("self", 1, "models:/self@me")
    lookup.aliases[("self", "me")] = "1"
    with pytest.raises(InvalidParameterValue, match="loop"):
        resolve(lookup, "models:/self/1")


def test_missing_things_are_not_found(lookup: FakeLookup) -> None:
    with pytest.raises(NotFound, match="version=9"):
        resolve(lookup, "models:/m/9")
    with pytest.raises(NotFound, match="alias"):
        resolve(lookup, "models:/m@nobody")
    with pytest.raises(NotFound, match="in stage 'Staging'"):
        resolve_model_version(lookup, ModelsUri("empty", stage=ModelStage.STAGING))
    with pytest.raises(NotFound, match="newest version of model 'empty'"):
        resolve(lookup, "models:/empty/latest")
    with pytest.raises(NotFound, match="Run"):
        resolve(lookup, f"runs:/{'b' * 32}/x")


def test_stage_picks_the_newest_version_in_it(lookup: FakeLookup) -> None:
    lookup.add("m", 7, "s3://bucket/seven", ModelStage.PRODUCTION)
    assert resolve_model_version(lookup, parse_models_uri("models:/m/Production")).version == "7"
    assert resolve_model_version(lookup, parse_models_uri("models:/m/latest")).version == "7"
    assert resolve_model_version(lookup, parse_models_uri("models:/m/archived")).version == "1"


def test_download_locations_split_as_mlflow_does(lookup: FakeLookup) -> None:
    root = "s3://bucket/exp/run/artifacts"
    assert download_location(lookup, f"runs:/{RUN_ID}/model") == Location(root, "model")
    assert download_location(lookup, f"runs:/{RUN_ID}/a/b") == Location(f"{root}/a", "b")
    assert download_location(lookup, f"runs:/{RUN_ID}") == Location(root)
    # a model version's files go straight into the destination
    assert download_location(lookup, "models:/m/1") == Location(f"{root}/model")
    assert download_location(lookup, "models:/m/1/MLmodel") == Location(f"{root}/model", "MLmodel")
    assert download_location(lookup, "s3://bucket/a/b") == Location("s3://bucket/a", "b")
    assert download_location(lookup, "/tmp/a/b/") == Location("/tmp/a", "b")
    assert download_location(lookup, "s3://bucket") == Location("s3://bucket")
    assert download_location(lookup, "file:///a") == Location("file:///a")
    assert download_location(lookup, "mlflow-artifacts:/x") == Location("mlflow-artifacts:/x")


def test_logged_models_resolve_by_id_by_run_and_through_versions(lookup: FakeLookup) -> None:
    lookup.log_model(RUN_ID, "m-1", "clf", step=1)
    lookup.log_model(RUN_ID, "m-2", "clf", step=3)
    lookup.log_model(RUN_ID, "m-3", "other", step=9)
    assert resolve(lookup, "models:/m-1") == Location("s3://bucket/models/m-1")
    # runs:/<run>/<name>: the model of that name the run logged last (highest step)
    assert resolve(lookup, f"runs:/{RUN_ID}/clf") == Location("s3://bucket/models/m-2")
    assert resolve(lookup, f"runs:/{RUN_ID}/clf/MLmodel") == Location(
        "s3://bucket/models/m-2", "MLmodel"
    )
    # a path that names no logged model stays inside the run's artifacts
    assert resolve(lookup, f"runs:/{RUN_ID}/plots") == Location(
        "s3://bucket/exp/run/artifacts", "plots"
    )
    lookup.add("reg", 1, "models:/m-3")
    assert resolve(lookup, "models:/reg/1/MLmodel") == Location("s3://bucket/models/m-3", "MLmodel")
    with pytest.raises(NotFound, match=r"no logged model with id 'reg'.*models:/reg/<version>"):
        resolve(lookup, "models:/reg")
