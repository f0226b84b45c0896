"""Per-service packaging: what each image installs is declared, complete and installable alone."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from vault03_api.migrations import head_revision

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("common", "api", "email", "sms", "postal", "notifier")
INTERNAL_PREFIX = "vault03-"


def package_of(service: str) -> str:
    return f"vault03_{service}"


def project(path: Path) -> dict[str, object]:
    data: dict[str, object] = tomllib.loads(path.read_text())["project"]
    return data


def requirements(path: Path) -> dict[str, Requirement]:
    declared = project(path)["dependencies"]
    assert isinstance(declared, list)
    return {canonicalize_name(Requirement(text).name): Requirement(text) for text in declared}


def service_requirements(service: str) -> dict[str, Requirement]:
    return requirements(ROOT / "services" / service / "pyproject.toml")


def installed_with(service: str) -> set[str]:
    """Distributions an image of `service` gets directly: its own and vault03-common's."""
    names = set(service_requirements(service))
    if "vault03-common" in names:
        names |= set(service_requirements("common"))
    return names


def package_files(service: str) -> Iterator[Path]:
    base = ROOT / "services" / service / package_of(service)
    for path in sorted(base.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def imported_top_levels(service: str) -> set[str]:
    names: set[str] = set()
    for path in package_files(service):
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__"}


@pytest.mark.parametrize("service", SERVICES)
def test_root_dependencies_cover_the_service(service: str) -> None:
    root = requirements(ROOT / "pyproject.toml")
    for name, requirement in service_requirements(service).items():
        if name.startswith(INTERNAL_PREFIX):
            continue
        assert name in root, f"{service} needs {name}, which the root pyproject.toml lacks"
        assert requirement.extras <= root[name].extras, f"{name}: extras differ from the root"


@pytest.mark.parametrize("service", SERVICES)
def test_service_declares_everything_it_imports(service: str) -> None:
    distributions = packages_distributions()
    declared = installed_with(service)
    for module in sorted(imported_top_levels(service)):
        if module == package_of(service):
            continue
        if module.startswith("vault03_"):
            owner = module.replace("_", "-")
            assert owner == "vault03-common", f"{service} must not import {module}"
            assert owner in declared, f"{service} imports {module} without depending on it"
            continue
        owners = {canonicalize_name(name) for name in distributions.get(module, [])}
        assert owners, f"{service} imports {module}, which no installed distribution provides"
        assert owners & declared, f"{service} imports {module} ({owners}) without declaring it"


@pytest.mark.parametrize("service", SERVICES)
def test_service_project_names_its_package(service: str) -> None:
    path = ROOT / "services" / service / "pyproject.toml"
    data = tomllib.loads(path.read_text())
    assert data["project"]["name"] == package_of(service).replace("_", "-")
    assert data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [package_of(service)]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each service's wheel, built by the backend the Dockerfiles' `pip install` uses."""
    out = tmp_path_factory.mktemp("wheels")
    sources = [str(ROOT / "services" / service) for service in SERVICES]
    # hatchling is a test dependency: no isolated build environment to set up per project.
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps"]
    subprocess.run(
        [*pip_wheel, "--quiet", "-w", str(out), *sources],
        check=True,
        timeout=600,
    )
    return {service: next(out.glob(f"{package_of(service)}-*.whl")) for service in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_wheel_carries_every_file_of_the_package(service: str, wheels: dict[str, Path]) -> None:
    """Templates and migrations (env.py, script.py.mako, versions/) travel with the code."""
    with zipfile.ZipFile(wheels[service]) as wheel:
        names = set(wheel.namelist())
    base = ROOT / "services" / service
    missing = [str(p.relative_to(base)) for p in package_files(service)]
    missing = [name for name in missing if name not in names]
    assert not missing


def _install_alone(service: str, target: Path, wheels: dict[str, Path]) -> Path:
    """A fresh venv with vault03_common and the service only, as the image's builder stage."""
    venv.create(target, with_pip=False)  # this pip installs into it: no ensurepip per venv
    python = target / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run(
        [*pip, "--no-compile", str(wheels["common"]), str(wheels[service])],
        check=True,
        timeout=900,
        env=_clean_env(),
    )
    return python


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT03_", "PYTHONPATH"))}
    return {**env, **extra}


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path]) -> dict[str, Path]:
    """service -> the python of its isolated venv (built in parallel: pip dominates)."""
    base = tmp_path_factory.mktemp("alone")
    workers = [s for s in SERVICES if s != "common"]
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        pythons = pool.map(lambda s: _install_alone(s, base / s, wheels), workers)
        return dict(zip(workers, pythons, strict=True))


def _run(python: Path, code: str, cwd: Path, **env: str) -> str:
    result = subprocess.run(
        [str(python), "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(**env),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _alembic_script(path: Path) -> bool:
    """env.py and versions/ run only inside alembic; the migrations package itself imports."""
    return "migrations" in path.parts and path.name != "__init__.py"


@pytest.mark.parametrize("service", ["api", "email", "sms", "postal", "notifier"])
def test_every_module_imports_in_the_service_alone(
    service: str, alone: dict[str, Path], tmp_path: Path
) -> None:
    base = ROOT / "services" / service
    modules = [
        ".".join(path.relative_to(base).with_suffix("").parts).removesuffix(".__init__")
        for path in package_files(service)
        if path.suffix == ".py" and path.name != "__main__.py" and not _alembic_script(path)
    ]
    code = f"import importlib\nfor m in {modules!r}: importlib.import_module(m)\nprint('ok')"
    assert _run(alone[service], code, tmp_path) == "ok\n"


def test_api_alone_creates_its_key_and_applies_its_migrations(
    alone: dict[str, Path], tmp_path: Path
) -> None:
    bin_dir = alone["api"].parent
    env = _clean_env(
        VAULT03_API_DATA_DIR=str(tmp_path / "data"),
        VAULT03_API_KEYS_DIR=str(tmp_path / "keys"),
        VAULT03_API_BACKUP_DIR=str(tmp_path / "backup"),
    )
    for command in (["keys", "init"], ["migrate"]):
        result = subprocess.run(
            [str(bin_dir / "vault03"), *command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "keys" / "kek-0001.key").stat().st_size == 32
    code = (
        "import sqlite3, sys\n"
        "print(sqlite3.connect(sys.argv[1]).execute('select version_num from alembic_version')"
        ".fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data" / "data.db")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == head_revision()


def test_email_alone_renders_its_packaged_templates(alone: dict[str, Path], tmp_path: Path) -> None:
    """...and its translations: the catalogues travel in vault03_common's wheel."""
    code = (
        "from vault03_common.events import EmailPayload\n"
        "from vault03_email.render import render_bodies\n"
        "from vault03_email.settings import EmailSettings\n"
        "payload = EmailPayload(to='a@example.org', template='notice', subject='s',"
        " context={'body': 'Hello from the image', 'office': {'name': 'Cabinet'},"
        " 'language': 'fr'})\n"
        "text, html = render_bodies(payload, EmailSettings())\n"
        "print('Hello from the image' in text and 'Hello from the image' in html,"
        " text.startswith('Madame, Monsieur,'))"
    )
    assert _run(alone["email"], code, tmp_path) == "True True\n"
