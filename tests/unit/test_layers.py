"""The import rules of every layer, read from the source: the pure domain packages
import only the standard library, themselves and what they share (``domain``, itself
standard library only); ``scheduler`` never imports ``server``; and no two of the
project's modules import each other in a circle (lazy imports inside functions count:
they hide a circle, they do not break it)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "breakouts", "interpretation", "scheduler", "server")
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The absolute names a module imports (``from x import y`` names ``x.y`` when
    ``y`` is a module of ours)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        submodules = {f"{base}.{a.name}" for a in node.names} & known
        # ``from . import x`` of a submodule x imports x, not its package anew
        found.update(submodules if len(submodules) == len(node.names) else {base, *submodules})
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imported(name, path, known) & known for name, path in mods.items()}


@pytest.mark.parametrize(
    ("package", "may_import"),
    [
        ("domain", lambda top: top in STDLIB or top == "domain"),
        ("breakouts", lambda top: top in STDLIB or top in ("breakouts", "domain")),
        ("interpretation", lambda top: top in STDLIB or top in ("interpretation", "domain")),
        ("scheduler", lambda top: top != "server"),
    ],
)
def test_each_layer_imports_only_what_its_rule_allows(package, may_import) -> None:
    mods = modules()
    known = set(mods)
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in mods.items()
        if name.split(".")[0] == package
        for target in imported(name, path, known)
        if not may_import(target.split(".")[0])
    )
    assert wrong == []


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_two_modules_import_each_other_in_a_circle() -> None:
    assert circles(graph()) == []


def test_no_test_imports_a_private_name() -> None:
    """Tests use what the packages offer; a private name may change without notice."""
    private = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level or (node.module or "").split(".")[0] not in PACKAGES:
                    continue
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                names = [a.name for a in node.names if a.name.split(".")[0] in PACKAGES]
            for name in names:
                if any(part.startswith("_") for part in name.split(".")):
                    private.append(f"{path.relative_to(ROOT)} imports {name}")
    assert private == []
