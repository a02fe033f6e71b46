"""The package's layers: every import goes down (or stays in its own package), and no circles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wasteopt"

# Top-level unit (module or sub-package of wasteopt) → layer. docs/architecture.md explains them.
LAYERS: dict[str, int] = {
    "__init__": 0,  # the package root only re-exports, lazily by name
    "errors": 0,
    "clock": 0,
    "files": 0,
    "stopids": 0,
    "coordinates": 0,
    "barriers": 0,  # plane geometry of water and no-go areas (numpy, scipy): no domain
    "roads": 0,  # road graphs, OSM/GeoJSON readers, fastest paths (numpy, scipy): no domain
    "travel_table": 1,
    "matrix_csv": 1,  # checks of a user matrix CSV (pandas): imports only layer 0
    "scenario": 1,
    "compute": 1,  # executors and checkpoints: imports only layer 0
    "generation": 2,
    "network": 2,
    "facilities": 3,
    "routing": 3,
    "operations": 4,
    "simulation": 5,
    "reporting": 6,
    "pipeline": 7,
    "replications": 7,
    "sweep": 7,
    "cli": 8,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    """``wasteopt.routing.check`` → ``routing``; ``wasteopt`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every wasteopt import in ``path``, TYPE_CHECKING ones too."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("wasteopt")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "wasteopt" or target.startswith("wasteopt."):
                # ``from wasteopt.x import y`` may name a submodule y: count it as x.y
                found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
    return found


def _all_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_unit_has_a_layer():
    """Every top-level module and sub-package of wasteopt is assigned a layer."""
    units = {_unit(_module_name(p)) for p in _all_files()}
    assert units - set(LAYERS) == set(), "give these units a layer in LAYERS and the docs"


def test_imports_only_go_down():
    """No module imports a higher layer, nor another package of its own layer."""
    bad = []
    for path in _all_files():
        unit = _unit(_module_name(path))
        for line, target in _imports(path):
            other = _unit(target)
            if other not in LAYERS:  # ``from wasteopt import __version__``
                other = "__init__"
            if other == unit or other == "__init__":
                continue
            if LAYERS[other] >= LAYERS[unit]:
                rel = path.relative_to(PACKAGE.parent)
                bad.append(
                    f"{rel}:{line}: {unit} (layer {LAYERS[unit]}) imports {target} "
                    f"(layer {LAYERS[other]})"
                )
    assert not bad, "imports against the flow:\n" + "\n".join(bad)


def _graph() -> dict[str, set[tuple[str, str]]]:
    modules = {_module_name(p): p for p in _all_files()}
    graph: dict[str, set[tuple[str, str]]] = {m: set() for m in modules}
    for module, path in modules.items():
        for line, target in _imports(path):
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]  # ``from pkg.mod import name``
            if target in modules and target != module:
                graph[module].add((target, f"{path.relative_to(PACKAGE.parent)}:{line}"))
    return graph


def test_no_import_circles():
    """The module import graph has no cycle (a package's __init__ re-exporting is counted)."""
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[tuple[str, str]] = []
    cycles: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        for target, where in sorted(graph[m]):
            if state.get(target) == 1:
                start = (
                    next(i for i, (n, _) in enumerate(stack) if n == target)
                    if any(n == target for n, _ in stack)
                    else 0
                )
                cycle = [w for _, w in stack[start:]] + [where]
                cycles.append(" -> ".join(cycle))
            elif target not in state:
                stack.append((target, where))
                visit(target)
                stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            stack = [(m, m)]
            visit(m)
    assert not cycles, "import circles:\n" + "\n".join(cycles)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from wasteopt.reporting.plots import x\n", "imports wasteopt.reporting.plots"),
        ("from ..cli import main\n", "imports wasteopt.cli"),
    ],
)
def test_the_layer_check_names_file_and_line(tmp_path, monkeypatch, source, expected):
    """A planted upward import is reported with its file and line."""
    fake = tmp_path / "wasteopt"
    (fake / "routing").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "routing" / "__init__.py").write_text("")
    (fake / "routing" / "bad.py").write_text("import math\n" + source)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    with pytest.raises(AssertionError, match=r"wasteopt/routing/bad\.py:2: .*" + expected):
        test_imports_only_go_down()


def test_the_cycle_check_fires(tmp_path, monkeypatch):
    """Two modules importing each other are reported as a circle."""
    fake = tmp_path / "wasteopt"
    (fake / "routing").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "routing" / "__init__.py").write_text("")
    (fake / "routing" / "a.py").write_text("from wasteopt.routing import b\n")
    (fake / "routing" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from wasteopt.routing.a import x\n"
    )
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    with pytest.raises(AssertionError, match=r"import circles"):
        test_no_import_circles()
