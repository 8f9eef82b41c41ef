"""``python -m runstone.serving``: the scoring server for a local model directory.

This is what ``runstone models serve --env-manager uv`` runs inside the model's environment;
users run ``runstone models serve``.
"""

from __future__ import annotations

import argparse

from runstone.config import ScoringSettings
from runstone.serving.runner import run_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m runstone.serving")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    settings = ScoringSettings(model_dir=args.model_dir, timeout_s=args.timeout)
    run_server(settings, args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
