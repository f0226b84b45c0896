"""The packages of vault03_api import each other without a loop (docs/architecture.md).

The graph is read from the source with `ast`, nothing is imported: every `import` counts,
also those inside functions and under TYPE_CHECKING. A node is a subpackage (`vaults`) or a
top-level module (`state`); an edge is any import from one node into another."""

from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import vault03_api

ROOT = Path(vault03_api.__file__).parent
# The composition at the top: nothing under it may import these.
APP = frozenset({"__main__", "main", "cli", "devrun", "console"})
# Under the domains (the shared layer and the foundation): these import none of the domains.
UNDER = frozenset(
    {
        *("settings", "clock", "timestamps", "errors", "db", "keyring", "sealing", "tokens"),
        *("http_policy", "snapshot", "csvtext", "bounds"),
        *("deps", "state", "audit", "deliveries", "alerts", "cli_support", "migrations"),
        *("health", "blobs", "passwords", "inflight", "keyuse", "transactions"),
    }
)

Edges = dict[str, dict[str, list[str]]]


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(node: ast.Import | ast.ImportFrom, module: list[str], package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module if package else module[:-1]
        base = base[: len(base) - (node.level - 1)]
        name = ".".join([*base, *([node.module] if node.module else [])])
    else:
        name = node.module or ""
    # `from vault03_api import clock` names the module clock, not the package.
    return [name, *(f"{name}.{alias.name}" for alias in node.names)]


def _node(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "vault03_api" or len(parts) < 2:
        return None
    name = parts[1]
    return name if (ROOT / name).is_dir() or (ROOT / f"{name}.py").is_file() else None


def import_graph() -> Edges:
    """{node: {imported node: ["file:line", ...]}} over every module of vault03_api."""
    edges: Edges = defaultdict(lambda: defaultdict(list))
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        source = module[1] if len(module) > 1 else None
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = {_node(name) for name in _imported(node, module, path.stem == "__init__")}
            for target in targets - {None, source}:
                assert target is not None
                edges[source][target].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return edges


def find_cycle(edges: Edges) -> list[str] | None:
    """One loop of the graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, {})):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (loop := visit(target)) is not None:
                return loop
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (loop := visit(node)) is not None:
            return loop
    return None


def _explain(loop: list[str], edges: Edges) -> str:
    steps = [f"  {a} -> {b}: {', '.join(edges[a][b][:3])}" for a, b in pairwise(loop)]
    return "import loop " + " -> ".join(loop) + "\n" + "\n".join(steps)


def test_no_import_cycle_between_packages() -> None:
    edges = import_graph()
    loop = find_cycle(edges)
    assert loop is None, _explain(loop, edges)


def test_nothing_under_the_app_imports_it() -> None:
    edges = import_graph()
    upward = {
        f"{source} -> {target}: {', '.join(lines[:3])}"
        for source, targets in edges.items()
        if source not in APP
        for target, lines in targets.items()
        if target in APP
    }
    assert not upward


def test_nothing_under_the_domains_imports_one() -> None:
    edges = import_graph()
    missing = sorted(node for node in UNDER if node not in edges and not _exists(node))
    assert not missing, f"listed as under the domains but not in vault03_api: {missing}"
    downward = {
        f"{source} -> {target}: {', '.join(lines[:3])}"
        for source in UNDER
        for target, lines in edges.get(source, {}).items()
        if target not in UNDER
    }
    assert not downward


def _exists(node: str) -> bool:
    return (ROOT / node).is_dir() or (ROOT / f"{node}.py").is_file()


def imported_names() -> dict[str, set[str]]:
    """{module path under vault03_api: every dotted name it imports}."""
    names: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names[str(path.relative_to(ROOT))] = {
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in _imported(node, module, path.stem == "__init__")
        }
    return names


def test_services_take_what_they_use_not_the_app_state() -> None:
    # Routers unpack the AppState (StateDep); everything else is handed what it uses.
    holders = {
        path
        for path, names in imported_names().items()
        if "vault03_api.state.AppState" in names
        and Path(path).name != "router.py"
        and path not in {"deps.py", "main.py"}
    }
    assert not holders


def test_no_command_reaches_into_another_domains_cli() -> None:
    reaching = {
        f"{path} imports {name}"
        for path, names in imported_names().items()
        if path != "cli.py"  # the `vault03` command gathers them all
        for name in names
        if name.startswith("vault03_api.")
        and name.split(".")[2:3] == ["cli"]
        and name.split(".")[1] != Path(path).parts[0]
    }
    assert not reaching


def test_the_graph_sees_a_loop() -> None:
    # The checker itself: a loop through three nodes is found and named in order.
    edges: Edges = {"a": {"b": ["a.py:1"]}, "b": {"c": ["b.py:1"]}, "c": {"a": ["c.py:1"]}}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ["a.py:1"]}, "b": {}}) is None
    # and the real graph has the edges a reader expects, lazy imports included.
    real = import_graph()
    assert "vaults" in real["portal"] and "state" in real["deps"]
