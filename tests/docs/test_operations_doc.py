"""docs/operations.md: every `vault03` command it shows exists, with the options it uses, and
every repository file it names is there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from vault03_api.cli import main

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text()
# Continued lines joined, as bash reads them.
CODE = "\n".join(re.findall(r"```bash\n(.*?)```", DOC, flags=re.DOTALL)).replace("\\\n", " ")


def vault03_commands() -> list[list[str]]:
    commands = []
    for line in CODE.splitlines():
        line = line.split("#")[0].strip()
        # The command itself, or run in the api container (compose exec / run).
        if line.startswith("vault03 ") or " api vault03 " in line:
            words = shlex.split(line)
            commands.append(words[words.index("vault03") + 1 :])
    return commands


@pytest.mark.parametrize("words", vault03_commands(), ids=" ".join)
def test_each_vault03_command_in_the_doc_exists(words: list[str]) -> None:
    command: click.Command = main
    context = click.Context(main)
    rest = list(words)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    assert command is not main, words
    known = {option for param in command.get_params(context) for option in param.opts}
    assert {word for word in rest if word.startswith("--")} <= known, words


def test_the_doc_covers_backup_restore_db_maintenance_and_key_commands() -> None:
    used = {" ".join(words[:2]) for words in vault03_commands()} | {
        words[0] for words in vault03_commands()
    }
    assert {"backup", "restore", "db size", "db integrity-check", "db analyze", "db vacuum"} <= used
    assert {"maintenance schedule", "maintenance on", "maintenance off"} <= used
    assert {"keys rotate", "keys retire"} <= used


def test_every_repository_path_in_the_doc_exists() -> None:
    paths = set(re.findall(r"(?<![\w/])((?:infra|docs)/[\w./-]+)", DOC))
    assert paths
    for path in paths:
        assert (ROOT / path.rstrip("/.")).exists(), path
