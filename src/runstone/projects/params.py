"""Typed entry-point parameters, and commands built from them that no value can inject into.

An entry point's ``command`` is a template with ``{name}`` placeholders (``{{`` and ``}}`` are
literal braces, as in ``str.format``). MLflow formats shell-quoted values into it and hands the
result to a shell; Runstone never lets a parameter value reach a shell parser:

- A template without shell syntax is split into words with :mod:`shlex` (POSIX rules) and the
  placeholders are filled in *inside* the words: ``--alpha={alpha}`` is one argument whatever
  the value holds, and the argument list is executed directly.
- A template that uses shell syntax — any of ``| & ; < > ( ) $ ` * ? [ ] ~ { } #``, a newline,
  or a word starting ``NAME=`` (an assignment) anywhere in its literal text, quoted or not — keeps
  working through ``bash -c``, but each placeholder becomes a reference to a positional
  parameter (``"${1}"``, quoted to suit where it stands) and the values travel as separate
  arguments after the script, so bash expands them as data and never parses them.

Undeclared parameters the user passes are appended as ``--key value``: two more arguments, or
two more positional references. Values are checked against their declared type first:
``int`` and ``float`` must parse (MLflow passes them through unchecked), a ``path`` must exist
locally and is made absolute (a non-local URI such as ``s3://bucket/key`` is passed through
unchanged, not downloaded), and a ``uri`` must look like one.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from runstone.errors import InvalidParameterValue

PARAM_TYPES: Final = ("string", "float", "int", "path", "uri")

# Characters that make a command template need a shell (checked in its literal text only).
_SHELL_CHARS: Final = frozenset("|&;<>()$`*?[]~{}#\n\r")
_ASSIGNMENT: Final = re.compile(r"(?:^|\s)[A-Za-z_][A-Za-z0-9_]*=")
_INT: Final = re.compile(r"[+-]?[0-9]+")
_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:.+", re.DOTALL)
_SENTINEL: Final = re.compile("\x00([0-9]+)\x00")
SHELL_SCRIPT_NAME: Final = "runstone-project"  # $0 of a bash -c command


@dataclass(frozen=True)
class Parameter:
    """A declared parameter. ``default`` is kept as the string it will be passed as; None
    makes the parameter required."""

    name: str
    type: str = "string"
    default: str | None = None


@dataclass(frozen=True)
class ResolvedCommand:
    """What to execute for an entry point, and the parameter values it was built from.

    ``argv`` is an argument list, never a shell string holding a value; ``shell`` says whether
    it is the ``bash -c`` form. ``params`` are the declared parameters' final values (typed,
    defaults filled in, paths absolute); ``extra_params`` the undeclared ones, as given.
    """

    argv: list[str]
    params: dict[str, str]
    extra_params: dict[str, str]
    shell: bool = False

    @property
    def display(self) -> str:
        """The command as one line a person can read (and paste into a shell)."""
        return shlex.join(self.argv)


# -- typing ----------------------------------------------------------------------------------


def check_type(type_name: str, where: str) -> str:
    """``type_name`` if it is a known parameter type, else a clear error about ``where``."""
    if type_name not in PARAM_TYPES:
        raise InvalidParameterValue(
            f"{where} has unknown type {type_name!r}; expected one of {', '.join(PARAM_TYPES)}."
        )
    return type_name


def typed_value(param: Parameter, value: str, base: Path, what: str) -> str:
    """``value`` checked against ``param.type``; ``what`` names it in errors. Relative ``path``
    values are taken relative to ``base``."""
    if param.type == "int":
        if not _INT.fullmatch(value.strip()):
            raise InvalidParameterValue(f"{what} must be an integer, not {value!r}.")
        return value.strip()
    if param.type == "float":
        try:
            float(value)
        except ValueError:
            raise InvalidParameterValue(f"{what} must be a number, not {value!r}.") from None
        return value.strip()
    if param.type == "uri":
        if not _URI.fullmatch(value):
            raise InvalidParameterValue(
                f"{what} must be a URI such as s3://bucket/key or file:///data, not {value!r}."
            )
        return value
    if param.type == "path":
        return _path_value(value, base, what)
    return value


def _path_value(value: str, base: Path, what: str) -> str:
    scheme = urlsplit(value).scheme.lower() if _URI.fullmatch(value) else ""
    if scheme and scheme != "file":
        return value  # a remote location: the program reads it itself
    local = Path(unquote(urlsplit(value).path)) if scheme == "file" else Path(value)
    if not value or not local.parts:
        raise InvalidParameterValue(f"{what} must be a path, not {value!r}.")
    absolute = Path(os.path.abspath(base / local))
    if not absolute.exists():
        raise InvalidParameterValue(f"{what} names {str(absolute)!r}, which does not exist.")
    return str(absolute)


def final_params(
    declared: Mapping[str, Parameter],
    user_params: Mapping[str, str],
    cwd: Path,
    defaults_base: Path,
    entry_point: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """The declared parameters' final values and the undeclared ones (MLflow's "extra")."""
    missing = [
        name for name, p in declared.items() if name not in user_params and p.default is None
    ]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        noun = "parameter" if len(missing) == 1 else "parameters"
        raise InvalidParameterValue(
            f"Entry point {entry_point!r} needs the {noun} {names}: pass -P NAME=VALUE."
        )
    values: dict[str, str] = {}
    for name, param in declared.items():
        if name in user_params:
            what = f"Parameter {name!r} ({param.type})"
            values[name] = typed_value(param, user_params[name], cwd, what)
        elif param.default is not None:
            what = f"The default of parameter {name!r} ({param.type})"
            values[name] = typed_value(param, param.default, defaults_base, what)
    extra = {key: value for key, value in user_params.items() if key not in declared}
    for key in extra:
        if not key or key.startswith("-"):
            raise InvalidParameterValue(f"Parameter name {key!r} is not allowed.")
    return values, extra


# -- command templates -----------------------------------------------------------------------


def parse_template(template: str, names: Mapping[str, object], entry_point: str) -> list[str]:
    """Split ``template`` into literal text (even indexes) and placeholder names (odd
    indexes); ``{{`` and ``}}`` become literal braces. Unknown placeholders are errors."""
    if "\x00" in template:
        raise InvalidParameterValue(f"The command of entry point {entry_point!r} holds a NUL.")
    parts: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char in "{}" and template[i + 1 : i + 2] == char:
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise _template_error(entry_point, "a single '}' (write '}}' for a brace)")
        if char == "{":
            end = template.find("}", i)
            name = template[i + 1 : end] if end != -1 else ""
            if end == -1 or "{" in name:
                raise _template_error(entry_point, "a '{' without its '}' (write '{{')")
            if name not in names:
                known = ", ".join(repr(n) for n in names) or "none"
                raise _template_error(
                    entry_point, f"the unknown placeholder {{{name}}} (declared: {known})"
                )
            parts += ["".join(literal), name]
            literal = []
            i = end + 1
            continue
        literal.append(char)
        i += 1
    parts.append("".join(literal))
    return parts


def _template_error(entry_point: str, what: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"The command of entry point {entry_point!r} has {what}.")


def needs_shell(parts: list[str]) -> bool:
    """Whether the template's literal text uses shell syntax (see the module docstring)."""
    literal = " x ".join(parts[0::2])
    return bool(_SHELL_CHARS.intersection(literal)) or bool(_ASSIGNMENT.search(literal))


def build_argv(
    parts: list[str], values: Mapping[str, str], extra: Mapping[str, str], entry_point: str
) -> tuple[list[str], bool]:
    """The argument list for a parsed template; True when it runs through ``bash -c``."""
    extra_args = [arg for key, value in extra.items() for arg in (f"--{key}", value)]
    if needs_shell(parts):
        return _shell_argv(parts, values, extra_args, entry_point), True
    masked = "".join(
        text if i % 2 == 0 else f"\x00{i}\x00" for i, text in enumerate(parts)
    )  # each placeholder as a marker no template holds, filled in after splitting
    try:
        words = shlex.split(masked, comments=False, posix=True)
    except ValueError as exc:
        raise _template_error(entry_point, f"bad quoting ({exc})") from None
    argv = [_SENTINEL.sub(lambda m: values[parts[int(m.group(1))]], word) for word in words]
    if not argv:
        raise _template_error(entry_point, "no command")
    return argv + extra_args, False


def _shell_argv(
    parts: list[str], values: Mapping[str, str], extra_args: list[str], entry_point: str
) -> list[str]:
    positions: dict[str, int] = {}
    script: list[str] = []
    state = "plain"
    for i, text in enumerate(parts):
        if i % 2 == 0:
            if text.endswith("\\") and (i + 1 < len(parts) or extra_args):
                raise _template_error(entry_point, "a backslash right before a placeholder")
            script.append(text)
            state = _quote_state(text, state, entry_point)
            continue
        index = positions.setdefault(text, len(positions) + 1)
        script.append(_positional(index, state))
    args = [values[name] for name in positions]
    for offset, _ in enumerate(extra_args):
        script.append(" " + _positional(len(args) + offset + 1, "plain"))
    return ["bash", "-c", "".join(script).rstrip(), SHELL_SCRIPT_NAME, *args, *extra_args]


def _positional(index: int, state: str) -> str:
    """A reference to positional parameter ``index`` that expands to exactly its value,
    written for the quoting context it appears in."""
    ref = f'"${{{index}}}"'
    if state == "double":
        return f"${{{index}}}"
    if state == "single":
        return f"'{ref}'"
    if state == "ansi":
        return f"'{ref}$'"
    return ref


def _quote_state(text: str, state: str, entry_point: str) -> str:
    """The bash quoting state after ``text``, starting in ``state``."""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and state != "single":
            i += 2
            continue
        if state == "plain":
            if text.startswith("$'", i):
                state, i = "ansi", i + 1
            elif char == "'":
                state = "single"
            elif char == '"':
                state = "double"
        elif (state in ("single", "ansi") and char == "'") or (state == "double" and char == '"'):
            state = "plain"
        i += 1
    return state


__all__ = [
    "PARAM_TYPES",
    "Parameter",
    "ResolvedCommand",
    "build_argv",
    "check_type",
    "final_params",
    "parse_template",
    "typed_value",
]
