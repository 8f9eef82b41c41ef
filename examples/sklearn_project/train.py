"""Train an elastic-net regressor on scikit-learn's diabetes data and log it to Runstone.

Run it as a project (`runstone run examples/sklearn_project -P alpha=0.3`): the run that
`runstone run` created is joined by `runstone.start_run()`, so the parameters it recorded and
the metrics and model logged here land in one run. Run directly (`python train.py`), it starts
a run of its own.
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

import runstone
import runstone.sklearn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--l1-ratio", type=float, default=0.1)
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args()

    features, target = load_diabetes(return_X_y=True)  # ships with scikit-learn: no download
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=42
    )
    model = ElasticNet(
        alpha=args.alpha, l1_ratio=args.l1_ratio, max_iter=args.max_iter, random_state=42
    )

    with runstone.start_run():
        model.fit(x_train, y_train)
        predicted = model.predict(x_test)
        runstone.log_metrics(
            {
                "rmse": float(mean_squared_error(y_test, predicted) ** 0.5),
                "mae": float(mean_absolute_error(y_test, predicted)),
                "r2": float(r2_score(y_test, predicted)),
            }
        )
        info = runstone.sklearn.log_model(model, name="model", input_example=x_test[:3])
        print(f"logged the model at {info.model_uri}")


if __name__ == "__main__":
    main()
