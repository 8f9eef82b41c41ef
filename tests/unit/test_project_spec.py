"""MLproject files, typed parameters, and commands that no parameter value can inject into."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runstone.errors import InvalidParameterValue
from runstone.projects.spec import (
    EntryPoint,
    EnvSpec,
    Parameter,
    ResolvedCommand,
    load_project,
    read_python_env,
)

# Writes its arguments (after the script name) as JSON to argv.json in the current folder.
RECORD_SCRIPT = (
    "import json, sys\nwith open('argv.json', 'w') as f:\n    json.dump(sys.argv[1:], f)\n"
)

NASTY_VALUES = [
    "x; touch pwned",
    "$(touch pwned)",
    "`touch pwned`",
    "'; touch pwned; '",
    '"; touch pwned; "',
    "a\ntouch pwned",
    "--flag=value",
    "-rf",
    "* ?",
    "${HOME} ~ {alpha}",
    "",
    "a b\tc",
    "\\; touch pwned \\",
]


def write_project(root: Path, mlproject: str | None, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if mlproject is not None:
        (root / "MLproject").write_text(mlproject)
    for name, text in files.items():
        (root / name.replace("__", ".")).write_text(text)
    return root


def resolve(
    root: Path, entry: str = "main", cwd: Path | None = None, **params: str
) -> ResolvedCommand:
    point = load_project(root).entry_point(entry)
    return point.resolve(params, root / "storage", cwd or root)


def run_recorded(command: ResolvedCommand, root: Path) -> list[str]:
    """Run ``command`` for real in ``root`` (with this interpreter as ``python``); the
    arguments the record script received."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    subprocess.run(command.argv, cwd=root, env={**os.environ, "PATH": path}, check=True)
    recorded: list[str] = json.loads((root / "argv.json").read_text())
    return recorded


# -- parsing ---------------------------------------------------------------------------------


def test_full_file_with_shorthand_and_full_parameters(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        "name: demo\n"
        "python_env: python_env.yaml\n"
        "entry_points:\n"
        "  main:\n"
        "    parameters:\n"
        "      alpha: {type: float, default: 0.5}\n"
        "      epochs: {type: int, default: 10}\n"
        "      data: path\n"
        "      label: {default: cat}\n"
        "      plain:\n"
        "    command: python train.py --alpha {alpha} --data {data}\n",
        python_env__yaml="python: '3.11'\ndependencies: [numpy]\n",
    )
    spec = load_project(root)
    assert spec.name == "demo"
    assert spec.root == root
    assert spec.env == EnvSpec("python_env", file=root / "python_env.yaml")
    main = spec.entry_point("main")
    assert main.parameters == {
        "alpha": Parameter("alpha", "float", "0.5"),
        "epochs": Parameter("epochs", "int", "10"),
        "data": Parameter("data", "path", None),
        "label": Parameter("label", "string", "cat"),
        "plain": Parameter("plain", "string", None),
    }
    assert main.command == "python train.py --alpha {alpha} --data {data}"


@pytest.mark.parametrize("name", ["MLproject", "mlproject", "MLProject", "MLPROJECT"])
def test_mlproject_name_is_matched_in_any_case(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("name: cased\nentry_points: {main: {command: echo hi}}\n")
    spec = load_project(tmp_path)
    assert spec.name == "cased"
    assert list(spec.entry_points) == ["main"]


def test_env_fallbacks_without_an_env_key(tmp_path: Path) -> None:
    root = write_project(tmp_path / "none", "name: x\n")
    assert load_project(root).env == EnvSpec("none")
    conda = write_project(tmp_path / "conda", "name: x\n", conda__yaml="name: c\n")
    assert load_project(conda).env == EnvSpec("conda_env", file=conda / "conda.yaml")
    both = write_project(
        tmp_path / "both", None, conda__yaml="name: c\n", python_env__yaml="python: '3.11'\n"
    )
    assert load_project(both).env == EnvSpec("python_env", file=both / "python_env.yaml")


def test_conda_and_docker_env_keys(tmp_path: Path) -> None:
    root = write_project(tmp_path / "c", "conda_env: envs/c.yaml\n")
    (root / "envs").mkdir()
    (root / "envs" / "c.yaml").write_text("name: c\n")
    assert load_project(root).env == EnvSpec("conda_env", file=root / "envs" / "c.yaml")
    docker = write_project(
        tmp_path / "d",
        "docker_env:\n"
        "  image: python:3.11\n"
        "  volumes: ['/data:/data']\n"
        "  environment: [HOME_VAR, [NAME, value], [PORT, 80]]\n",
    )
    assert load_project(docker).env == EnvSpec(
        "docker_env",
        docker_image="python:3.11",
        docker_volumes=("/data:/data",),
        docker_environment=("HOME_VAR", ("NAME", "value"), ("PORT", "80")),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python_env: p.yaml\nconda_env: c.yaml\n", "python_env and conda_env"),
        ("python_env: missing.yaml\n", "'missing.yaml', which is not a file"),
        ("docker_env: {volumes: []}\n", "'image' string"),
        ("docker_env: {image: x, environment: [[a, b, c]]}\n", "neither NAME nor [NAME, VALUE]"),
        ("entry_points: {main: {parameters: {a: bool}, command: x}}\n", "unknown type 'bool'"),
        ("entry_points: {main: {parameters: {a: 3}, command: x}}\n", "a type name or a mapping"),
        ("entry_points: {main: {command: 'python {nope}'}}\n", "unknown placeholder {nope}"),
        ("entry_points: {main: {command: 'echo {'}}\n", "without its '}'"),
        ("entry_points: {main: {parameters: {}}}\n", "has no command"),
        ("entry_points: [main]\n", "entry_points must be a mapping"),
        ("name: [unclosed\n", "is not valid YAML at line"),
        ("- a list\n", "must hold a YAML mapping"),
    ],
)
def test_malformed_files_are_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "MLproject").write_text(text)
    (tmp_path / "p.yaml").write_text("python: '3.11'\n")
    (tmp_path / "c.yaml").write_text("name: c\n")
    with pytest.raises(InvalidParameterValue) as caught:
        load_project(tmp_path)
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        load_project(tmp_path / "nowhere")


def test_read_python_env(tmp_path: Path) -> None:
    path = tmp_path / "python_env.yaml"
    path.write_text(
        "python: 3.10\nbuild_dependencies: [pip, setuptools]\ndependencies: [-r requirements.txt]\n"
    )
    env = read_python_env(path)
    assert env.python == "3.1"  # what YAML makes of an unquoted 3.10; quote versions
    assert env.build_dependencies == ["pip", "setuptools"]
    assert env.dependencies == ["-r requirements.txt"]
    path.write_text("dependencies: numpy\n")
    with pytest.raises(InvalidParameterValue, match="'dependencies' must be a list"):
        read_python_env(path)
    path.write_text("{}\n")
    assert read_python_env(path).python is None


# -- entry points without an MLproject ----------------------------------------------------------


def test_folder_without_mlproject_runs_py_and_sh_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path, None, train__py="print(1)\n", run__sh="echo hi\n")
    spec = load_project(root)
    assert spec.name is None
    assert spec.entry_points == {}
    command = spec.entry_point("train.py").resolve({"lr": "0.1"}, tmp_path, tmp_path)
    assert command.argv == ["python", "train.py", "--lr", "0.1"]
    assert command.extra_params == {"lr": "0.1"}
    monkeypatch.setenv("SHELL", "/bin/zsh")
    assert spec.entry_point("run.sh").resolve({}, tmp_path, tmp_path).argv == ["/bin/zsh", "run.sh"]
    monkeypatch.delenv("SHELL")
    assert spec.entry_point("run.sh").resolve({}, tmp_path, tmp_path).argv == ["bash", "run.sh"]


def test_folder_without_mlproject_or_script_says_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="declares no entry points"):
        load_project(tmp_path).entry_point("main")


@pytest.mark.parametrize("name", ["main", "missing.py", "../outside.py", "/etc/x.sh", "data.txt"])
def test_unknown_entry_point_lists_the_declared_ones(tmp_path: Path, name: str) -> None:
    (tmp_path / "data.txt").write_text("x")
    (tmp_path / "outside.py").write_text("x")
    root = write_project(
        tmp_path / "p", "entry_points: {train: {command: a}, test: {command: b}}\n"
    )
    with pytest.raises(InvalidParameterValue, match=r"declared: 'train', 'test'"):
        load_project(root).entry_point(name)


# -- parameter values ------------------------------------------------------------------------

TYPED = (
    "entry_points:\n"
    "  main:\n"
    "    parameters:\n"
    "      lr: {type: float, default: 0.1}\n"
    "      epochs: {type: int, default: 3}\n"
    "      data: {type: path, default: data.csv}\n"
    "      source: {type: uri, default: 's3://bucket/key'}\n"
    "      name: string\n"
    "    command: python train.py {lr} {epochs} {data} {source} {name}\n"
)


def test_defaults_are_filled_in_and_paths_made_absolute(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", TYPED, data__csv="1\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    command = resolve(root, cwd=elsewhere, name="n")
    assert command.params == {
        "lr": "0.1",
        "epochs": "3",
        "data": str(root / "data.csv"),  # a default is relative to the project
        "source": "s3://bucket/key",
        "name": "n",
    }
    assert command.argv == [
        "python",
        "train.py",
        "0.1",
        "3",
        str(root / "data.csv"),
        "s3://bucket/key",
        "n",
    ]
    assert not command.shell


def test_user_values_are_typed_and_paths_relative_to_cwd(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", TYPED, data__csv="1\n")
    (tmp_path / "mine.csv").write_text("2\n")
    command = resolve(
        root,
        cwd=tmp_path,
        lr="1e-3",
        epochs="-2",
        data="mine.csv",
        source="file:///tmp/x",
        name="n",
        extra="e",
    )
    assert command.params["lr"] == "1e-3"
    assert command.params["epochs"] == "-2"
    assert command.params["data"] == str(tmp_path / "mine.csv")
    assert command.params["source"] == "file:///tmp/x"
    assert command.extra_params == {"extra": "e"}
    assert command.argv[-2:] == ["--extra", "e"]
    uri = (tmp_path / "mine.csv").as_uri()
    assert resolve(root, data=uri, name="n").params["data"] == str(tmp_path / "mine.csv")
    assert resolve(root, data="s3://b/k", name="n").params["data"] == "s3://b/k"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "needs the parameter 'name'"),
        ({"name": "n", "epochs": "1.5"}, "Parameter 'epochs' (int) must be an integer, not '1.5'"),
        ({"name": "n", "epochs": "ten"}, "must be an integer, not 'ten'"),
        ({"name": "n", "lr": "fast"}, "Parameter 'lr' (float) must be a number, not 'fast'"),
        ({"name": "n", "data": "nope.csv"}, "Parameter 'data' (path) names"),
        ({"name": "n", "source": "not a uri"}, "Parameter 'source' (uri) must be a URI"),
        ({"name": "n", "source": "C:/windows"}, "must be a URI"),
        ({"name": "n", "-x": "1"}, "Parameter name '-x' is not allowed"),
    ],
)
def test_bad_values_are_clear_errors(tmp_path: Path, params: dict[str, str], expected: str) -> None:
    root = write_project(tmp_path, TYPED, data__csv="1\n")
    with pytest.raises(InvalidParameterValue) as caught:
        resolve(root, **params)
    assert expected in caught.value.message


def test_missing_required_parameters_are_all_named(tmp_path: Path) -> None:
    root = write_project(
        tmp_path, "entry_points: {main: {parameters: {a: string, b: int}, command: 'x {a} {b}'}}"
    )
    with pytest.raises(InvalidParameterValue, match="needs the parameters 'a', 'b'"):
        resolve(root)


def test_a_bad_default_is_reported_as_the_default(tmp_path: Path) -> None:
    root = write_project(
        tmp_path, "entry_points: {main: {parameters: {n: {type: int, default: x}}, command: a}}"
    )
    with pytest.raises(InvalidParameterValue, match="The default of parameter 'n'"):
        resolve(root)
    assert resolve(root, n="4").params == {"n": "4"}


# -- building commands -----------------------------------------------------------------------


def entry(command: str, *names: str) -> EntryPoint:
    return EntryPoint("main", {n: Parameter(n) for n in names}, command)


def test_placeholders_inside_words_and_escaped_braces(tmp_path: Path) -> None:
    point = entry("run --alpha={a} '{b} and {a}' {{literal}} x{{", "a", "b")
    argv = point.resolve({"a": "1 2", "b": "q"}, tmp_path, tmp_path).argv
    assert argv == ["bash", "-c", argv[2], "runstone-project", "1 2", "q"]
    plain = entry("run --alpha={a} '{b} and {a}'", "a", "b")
    assert plain.resolve({"a": "1 2", "b": "q"}, tmp_path, tmp_path).argv == [
        "run",
        "--alpha=1 2",
        "q and 1 2",
    ]


@pytest.mark.parametrize(
    "template",
    [
        "python record.py {a} && true",
        "python record.py {a} | cat",
        "FOO=1 python record.py {a}",
        "python record.py $HOME {a} > /dev/null; true",
    ],
)
def test_shell_syntax_selects_bash(tmp_path: Path, template: str) -> None:
    command = entry(template, "a").resolve({"a": "v"}, tmp_path, tmp_path)
    assert command.shell
    assert command.argv[:2] == ["bash", "-c"]
    assert command.argv[3:] == ["runstone-project", "v"]


@pytest.mark.parametrize("value", NASTY_VALUES)
def test_values_stay_one_argument_without_a_shell(tmp_path: Path, value: str) -> None:
    root = write_project(
        tmp_path,
        "entry_points:\n"
        "  main:\n"
        "    parameters: {a: string, b: string}\n"
        '    command: python record.py {a} --b={b} "{a}"\n',
        record__py=RECORD_SCRIPT,
    )
    command = resolve(root, a=value, b=value, extra=value)
    assert not command.shell
    assert run_recorded(command, root) == [value, f"--b={value}", value, "--extra", value]
    assert not (root / "pwned").exists()


@pytest.mark.parametrize("value", NASTY_VALUES)
def test_values_stay_one_argument_through_bash(tmp_path: Path, value: str) -> None:
    root = write_project(
        tmp_path,
        "entry_points:\n"
        "  main:\n"
        "    parameters: {a: string, b: string}\n"
        "    command: >-\n"
        "      true && python record.py {a} --b={b} \"x{a}\" '{b}y' $'\\t{a}' | cat\n",
        record__py=RECORD_SCRIPT,
    )
    command = resolve(root, a=value, b=value)
    assert command.shell
    recorded = run_recorded(command, root)
    assert recorded == [value, f"--b={value}", f"x{value}", f"{value}y", f"\t{value}"]
    assert not (root / "pwned").exists()


def test_extras_reach_a_shell_command_as_arguments(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        "entry_points: {main: {command: 'true; python record.py'}}\n",
        record__py=RECORD_SCRIPT,
    )
    command = resolve(root, **{"k; touch pwned": "$(touch pwned)"})
    assert run_recorded(command, root) == ["--k; touch pwned", "$(touch pwned)"]
    assert not (root / "pwned").exists()


def test_script_entry_points_keep_values_whole(tmp_path: Path) -> None:
    root = write_project(tmp_path, None, record__py=RECORD_SCRIPT)
    command = resolve(root, "record.py", x="a; touch pwned")
    assert run_recorded(command, root) == ["--x", "a; touch pwned"]
    assert not (root / "pwned").exists()


def test_bad_quoting_in_a_template_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="bad quoting"):
        entry("python 'unclosed {a}", "a").resolve({"a": "1"}, tmp_path, tmp_path)
    with pytest.raises(InvalidParameterValue, match="single '}'"):
        entry("python }", "a").resolve({"a": "1"}, tmp_path, tmp_path)
    with pytest.raises(InvalidParameterValue, match="backslash right before"):
        entry("echo $X\\{a}", "a").resolve({"a": "1"}, tmp_path, tmp_path)


def test_display_is_a_pasteable_line(tmp_path: Path) -> None:
    command = entry("python t.py {a}", "a").resolve({"a": "x y"}, tmp_path, tmp_path)
    assert command.display == "python t.py 'x y'"
