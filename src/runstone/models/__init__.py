"""Models: the ``MLmodel`` file, signatures, the files of a model directory and its captured
environment.

This package reads and writes local directories only (uploading is the client's job) and
imports no heavy library at import time: pandas, numpy and the ML frameworks are imported by
the functions that need them.
"""

from runstone.models.environment import (
    CondaEnv,
    PythonEnv,
    capture_requirements,
    current_python_version,
    read_requirements,
    write_environment,
    write_requirements,
)
from runstone.models.layout import (
    CONDA_ENV_FILE,
    INPUT_EXAMPLE_FILE,
    MLMODEL_FILE,
    PYTHON_ENV_FILE,
    REQUIREMENTS_FILE,
    SERVING_INPUT_EXAMPLE_FILE,
    directory_size,
    input_example_info,
)
from runstone.models.schema_enforce import enforce_params, enforce_schema
from runstone.models.signature import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)
from runstone.models.spec import ModelSpec, utc_time_created

__all__ = [
    "CONDA_ENV_FILE",
    "INPUT_EXAMPLE_FILE",
    "MLMODEL_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "SERVING_INPUT_EXAMPLE_FILE",
    "ColSpec",
    "CondaEnv",
    "DataType",
    "ModelSignature",
    "ModelSpec",
    "ParamSchema",
    "ParamSpec",
    "PythonEnv",
    "Schema",
    "TensorSpec",
    "capture_requirements",
    "current_python_version",
    "directory_size",
    "enforce_params",
    "enforce_schema",
    "infer_signature",
    "input_example_info",
    "read_requirements",
    "utc_time_created",
    "write_environment",
    "write_requirements",
]
