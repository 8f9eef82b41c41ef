"""docs/security.md names only commands and options that exist (its snippets are shell and proxy
configuration, not Python, so this checks them instead of running them)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from runstone.cli.main import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _options(command: click.Command) -> set[str]:
    names = {opt for param in command.params for opt in getattr(param, "opts", [])}
    names |= {opt for param in command.params for opt in getattr(param, "secondary_opts", [])}
    for sub in _subcommands(command).values():
        names |= _options(sub)
    return names


def _commands(command: click.Command, prefix: str = "runstone") -> set[str]:
    found = {prefix}
    for name, sub in _subcommands(command).items():
        found |= _commands(sub, f"{prefix} {name}")
    return found


def _subcommands(command: click.Command) -> dict[str, click.Command]:
    """A group's commands, loaded the way the CLI loads them (some groups load lazily)."""
    if not isinstance(command, click.Group):
        return {}
    ctx = click.Context(command)
    found = {}
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None:
            found[name] = sub
    return found


def test_every_option_the_page_names_exists() -> None:
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", DOC.read_text()))
    assert named
    assert named - _options(cli) == set()


def test_every_command_the_page_names_exists() -> None:
    named = {
        " ".join(words.split()[:4])
        for words in re.findall(r"`(runstone [a-z -]+)", DOC.read_text())
        + re.findall(r"^(runstone [a-z -]+)", DOC.read_text(), flags=re.MULTILINE)
    }
    known = _commands(cli)
    missing = {n for n in named if not any(n.strip() == k or n.startswith(k + " ") for k in known)}
    assert missing == set()
    assert any(name.startswith("runstone users tokens create") for name in named)
