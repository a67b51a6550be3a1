"""The layout holds: shared code never imports an analysis, analyses never import each other or
the front ends, nothing but front ends imports ``synth``, and module-level imports have no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "viewcast"
SHARED = (
    "viewcast._version",
    "viewcast.errors",
    "viewcast.contracts",
    "viewcast.compute",
    "viewcast.io",
    "viewcast.nn",
    "viewcast.report",
    "viewcast.progress",
)
ANALYSES = ("viewcast.forecasting", "viewcast.capacity", "viewcast.followers", "viewcast.claims", "viewcast.popularity")
#: Analyses built on another one: the capacity plan is made on the views forecast's quantiles.
BUILDS_ON = {"viewcast.capacity": ("viewcast.forecasting",)}
FRONT_ENDS = ("viewcast.cli", "viewcast.service")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The viewcast module an import names (``from viewcast.io import tables`` -> viewcast.io.tables)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    found: set[str] = set()
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]

    def visit(nodes, depth: int) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue  # annotations only: never executed
            if isinstance(node, ast.Import):
                found.update(filter(None, (_resolve(a.name) for a in node.names if a.name.startswith("viewcast"))))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                if base.startswith("viewcast"):
                    for alias in node.names:
                        target = _resolve(f"{base}.{alias.name}") or _resolve(base)
                        if target:
                            found.add(target)
            if not top_level_only or isinstance(node, (ast.If, ast.Try, ast.With)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, []) or [], depth + 1)

    visit(tree.body, 0)
    found.discard(module)
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _within(m, SHARED)))
def test_shared_code_never_imports_an_analysis_or_a_front_end(module):
    bad = {m for m in _imports(module, top_level_only=False) if _within(m, ANALYSES + FRONT_ENDS + ("viewcast.synth",))}
    assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _within(m, ANALYSES)))
def test_analyses_import_only_shared_code_and_themselves(module):
    own = next(a for a in ANALYSES if _within(module, (a,)))
    others = tuple(a for a in ANALYSES if a != own and a not in BUILDS_ON.get(own, ())) + FRONT_ENDS + ("viewcast.synth",)
    bad = {m for m in _imports(module, top_level_only=False) if _within(m, others)}
    assert not bad, f"{module} imports {sorted(bad)}"


def test_only_front_ends_import_the_generators():
    for module in MODULES:
        if _within(module, ("viewcast.synth",) + FRONT_ENDS):
            continue
        bad = {m for m in _imports(module, top_level_only=False) if _within(m, ("viewcast.synth",))}
        assert not bad, f"{module} imports {sorted(bad)}"


def test_module_level_imports_have_no_cycles():
    graph = {m: _imports(m, top_level_only=True) for m in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
