"""Which requests the scoring server answers on its event loop rather than in its pool: small
JSON numeric-lane requests, once the lane has been measured cheap; everything else in the
pool, so that /ping keeps answering and slow requests can be answered 504."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from runstone.models.pyfunc import load_model
from runstone.models.signature import infer_signature
from runstone.serving import app as scoring
from runstone.serving.app import ScoringApp

pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from runstone.models.flavors import sklearn as flavor

JSON = "application/json"
IRIS_X, IRIS_Y = load_iris(return_X_y=True, as_frame=True)
COLUMNS = [str(c) for c in IRIS_X.columns]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    estimator = LogisticRegression(max_iter=1000).fit(IRIS_X, IRIS_Y)
    folder = tmp_path_factory.mktemp("inline") / "m"
    signature = infer_signature(IRIS_X, estimator.predict(IRIS_X))
    flavor.save_model(estimator, folder, signature=signature)
    return folder


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each lane prediction ran in."""
    seen: list[str] = []
    predict_matrix = flavor.SklearnPyfunc.predict_matrix

    def recording(self: Any, values: Any, params: Any = None) -> Any:
        seen.append(threading.current_thread().name)
        return predict_matrix(self, values, params)

    monkeypatch.setattr(flavor.SklearnPyfunc, "predict_matrix", recording)
    return seen


def body_of(rows: int) -> bytes:
    data = [IRIS_X.iloc[i % len(IRIS_X)].tolist() for i in range(rows)]
    return orjson.dumps({"dataframe_split": {"columns": COLUMNS, "data": data}})


LOOP_THREAD = "test-event-loop"


def score(app: ScoringApp, *requests: tuple[bytes, str]) -> list[tuple[int, bytes, bytes]]:
    """The answers to ``requests`` (body, content type), sent one after the other from an
    event loop of its own, in a thread named :data:`LOOP_THREAD` (this test's thread may
    already run one: Playwright's, left by a browser test in the same worker)."""

    async def run() -> list[tuple[int, bytes, bytes]]:
        return [await app._score(body, content_type) for body, content_type in requests]

    answers: list[tuple[int, bytes, bytes]] = []
    loop_thread = threading.Thread(
        target=lambda: answers.extend(asyncio.run(run())), name=LOOP_THREAD
    )
    loop_thread.start()
    loop_thread.join()
    assert len(answers) == len(requests), "the event loop failed: see the thread's traceback"
    return answers


def test_cheap_lane_requests_are_answered_on_the_loop_once_measured(
    model_dir: Path, threads: list[str]
) -> None:
    app = ScoringApp(load_model(model_dir))
    assert app.lane_cost_s is None  # nothing measured yet: the first goes to the pool
    answers = score(app, *[(body_of(1), JSON)] * 30)
    assert {status for status, _, _ in answers} == {200}
    assert threads[0].startswith("runstone-predict")
    assert app.lane_cost_s is not None
    assert app.lane_cost_s < scoring.INLINE_CPU_S
    on_loop = [name for name in threads if name == LOOP_THREAD]
    assert len(on_loop) >= 20  # the first few may still average above the limit
    assert threads[-1] == LOOP_THREAD
    assert len({body for _, _, body in answers}) == 1  # the same answer wherever it ran


def test_a_lane_measured_slow_is_answered_in_the_pool_until_it_is_cheap_again(
    model_dir: Path, threads: list[str]
) -> None:
    app = ScoringApp(load_model(model_dir))
    app.lane_cost_s = 5 * scoring.INLINE_CPU_S  # say a spell of slow predictions
    score(app, *[(body_of(1), JSON)] * 5)
    assert all(name.startswith("runstone-predict") for name in threads)
    assert app.lane_cost_s < 5 * scoring.INLINE_CPU_S  # cheap ones pull the average down
    score(app, *[(body_of(1), JSON)] * 60)
    assert threads[-1] == LOOP_THREAD


@pytest.mark.parametrize(
    ("rows", "content_type"),
    [
        (2_000, JSON),  # a large table: its cost is not the one measured
        (1, f"{JSON}; charset=utf-8"),
        (1, "text/csv"),
    ],
)
def test_large_or_other_requests_go_to_the_pool(
    model_dir: Path, threads: list[str], rows: int, content_type: str
) -> None:
    app = ScoringApp(load_model(model_dir))
    app.lane_cost_s = 0.0
    body = body_of(rows)
    if content_type == "text/csv":
        body = IRIS_X.head(rows).to_csv(index=False).encode()
    assert len(body) > scoring.INLINE_BODY_BYTES or content_type != JSON
    [(status, _, answer)] = score(app, (body, content_type))
    assert status == 200, answer
    assert all(name.startswith("runstone-predict") for name in threads)


def test_requests_that_are_not_the_lane_never_run_on_the_loop(model_dir: Path) -> None:
    app = ScoringApp(load_model(model_dir))
    app.lane_cost_s = 0.0
    ran_in: list[str] = []
    predict = app.model.predict  # type: ignore[union-attr]

    def recording(data: Any, params: Any = None) -> Any:
        ran_in.append(threading.current_thread().name)
        return predict(data, params)

    app.model.predict = recording  # type: ignore[method-assign, union-attr]
    records = orjson.dumps({"dataframe_records": IRIS_X.head(2).to_dict(orient="records")})
    [(status, _, answer)] = score(app, (records, JSON))
    assert status == 200, answer
    assert len(ran_in) == 1
    assert ran_in[0].startswith("runstone-predict")


def test_bad_small_requests_are_answered_without_the_pool(model_dir: Path) -> None:
    app = ScoringApp(load_model(model_dir))
    app._pool.shutdown()  # a request handed to the pool now fails
    [(status, _, answer)] = score(app, (b"{not json", JSON))
    assert status == 400
    assert orjson.loads(answer)["error_code"] == "BAD_REQUEST"


def test_a_short_timeout_keeps_every_request_in_the_pool(
    model_dir: Path, threads: list[str]
) -> None:
    app = ScoringApp(load_model(model_dir), timeout_s=0.5)
    app.lane_cost_s = 0.0
    score(app, *[(body_of(1), JSON)] * 3)
    assert len(threads) == 3
    assert all(name.startswith("runstone-predict") for name in threads)
