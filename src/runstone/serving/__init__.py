"""The model scoring server: MLflow's ``/invocations`` protocol for any pyfunc model.

:mod:`runstone.serving.payload` reads request bodies and writes answers, :mod:`.app` is the
ASGI application, :mod:`.runner` runs it (``serve``) or scores one input offline
(``predict``), :mod:`.environments` builds uv environments for ``--env-manager uv`` and
:mod:`.docker` writes Docker build contexts. Nothing heavy is imported here.
"""
