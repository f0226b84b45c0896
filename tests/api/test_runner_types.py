"""mypy strict checks every argument given to the transaction runner (ParamSpec)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import vault03_api

SNIPPET = """\
from sqlalchemy import Engine
from sqlmodel import Session

from vault03_api.transactions import run_read, run_write


def count(session: Session, *, vault_id: int) -> int:
    return vault_id


async def use(engine: Engine) -> None:
    fine: int = await run_read(engine, count, vault_id=1)
    await run_read(engine, count, vault_id="one")
    await run_write(engine, count, vault=1)
    wrong: str = await run_write(engine, count, vault_id=1)
    await run_write(engine, count)
"""


def test_mypy_rejects_wrong_arguments_to_the_runner(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(snippet)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        # The sources, as the project's own mypy run reads them (the installed package has
        # no py.typed marker).
        env={**os.environ, "MYPYPATH": str(Path(vault03_api.__file__).parent.parent)},
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    by_line = {int(line.split(":")[1]): line for line in errors}
    assert result.returncode == 1, result.stdout + result.stderr
    assert set(by_line) == {13, 14, 15, 16}, result.stdout
    assert (
        'Argument "vault_id" to "run_read" has incompatible type "str"; expected "int"'
        in by_line[13]
    )
    assert 'Unexpected keyword argument "vault"' in by_line[14]
    assert "[arg-type]" in by_line[15]  # the result is an int, not the str asked for
    assert 'Missing named argument "vault_id"' in by_line[16]
