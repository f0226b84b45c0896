"""The README's first steps on a fresh copy of the repository: `make run` with no settings,
`/api/health` 200 within the documented time, then Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import port_open, wait_for
from tests.support.tools import require_tool

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()

# The fixed ports `make run` uses with no settings (the API, NATS and its monitor, the workers).
FLEET_PORTS = (8041, 4223, 8223, 9101, 9102, 9103, 9104)

Process = tuple[int, int]  # (pid, start time in clock ticks): a pid reused later is not it


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, None when it is gone (or a zombie)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[19])


def _descendants(root: int) -> set[Process]:
    """Every live process below `root`, whatever its session or process group."""
    children: dict[int, list[int]] = {}
    started: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
            started[int(entry.name)] = stat[1]
    found: set[Process] = set()
    queue = list(children.get(root, []))
    while queue:
        pid = queue.pop()
        found.add((pid, started[pid]))
        queue.extend(children.get(pid, []))
    return found


def _alive(process: Process) -> bool:
    stat = _stat(process[0])
    return stat is not None and stat[1] == process[1]


def _fresh_copy(destination: Path) -> None:
    """The repository's tracked files, as a clone has them, with this environment's venv.

    Installing a new venv takes minutes; the copy's `.venv` links to the one running the tests
    and its install stamps are newer than the copied pyproject.toml, so `make run` installs
    nothing and runs exactly as in a clone where `make install` already ran."""
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name, follow_symlinks=False)
    venv, copied = Path(sys.prefix), destination / ".venv"
    copied.mkdir()
    for entry in venv.iterdir():
        if not entry.name.startswith(".installed"):
            (copied / entry.name).symlink_to(entry)
    for stamp in (".installed", ".installed-run"):
        (copied / stamp).touch()


@contextmanager
def _make_run(directory: Path, log: Path, fleet: set[Process]) -> Iterator[subprocess.Popen[bytes]]:
    """`make run` in its own session, as in a terminal, with an empty environment but PATH and
    HOME. On the way out, whatever happened, every process of it seen (`fleet`, which the
    caller keeps up to date) is killed."""
    environment = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    with log.open("wb") as output:
        make = subprocess.Popen(
            [require_tool("make"), "run"],
            cwd=directory,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield make
    finally:
        fleet |= _descendants(make.pid)
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        for pid, _ in filter(_alive, fleet):
            os.kill(pid, signal.SIGKILL)


def _documented_seconds() -> int:
    found = re.search(r"`/api/health` answers 200 within (\d+) seconds of `make run`", README)
    assert found, "the README no longer says how soon /api/health answers after make run"
    return int(found.group(1))


@pytest.mark.fleet
def test_make_run_on_a_fresh_copy_is_healthy_and_ctrl_c_stops_every_process(
    tmp_path: Path,
) -> None:
    assert "make run     # the whole fleet" in README
    health_url = re.search(r"curl -s (http://127\.0\.0\.1:\d+/api/health)\n", README)
    assert health_url, "the README's health check command changed"
    taken = [port for port in FLEET_PORTS if port_open(port)]
    assert not taken, f"make run's fixed ports are in use on this machine: {taken}"
    copy = tmp_path / "vault03"
    _fresh_copy(copy)
    log = tmp_path / "make-run.log"
    fleet: set[Process] = set()
    with _make_run(copy, log, fleet) as make:

        def healthy() -> bool:
            assert make.poll() is None, f"make run exited:\n{log.read_text()}"
            fleet.update(_descendants(make.pid))
            try:
                return httpx.get(health_url.group(1), timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_for(healthy, timeout=_documented_seconds(), interval=0.5, what="health 200")
        except AssertionError as failure:
            raise AssertionError(f"{failure}; make run said:\n{log.read_text()}") from None
        fleet.update(_descendants(make.pid))
        assert len(fleet) >= 7, fleet  # honcho, NATS and the five services at least
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
        make.wait(timeout=120)
        left = [pid for pid, started in fleet if _alive((pid, started))]
        assert left == [], f"processes left after Ctrl-C: {left}\n{log.read_text()}"
        assert [port for port in FLEET_PORTS if port_open(port)] == []
    assert (copy / "var" / "data" / "data.db").is_file()
    assert "A new master key was created in var/keys/" in log.read_text()
