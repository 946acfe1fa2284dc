"""No import cycle between the application's modules (crm/ and scheduler.py), deferred imports included:
a cycle is a layer broken, however it is dodged at run time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, known: set[str]) -> set[str]:
    """The application modules a module imports, at any depth of its code (not under TYPE_CHECKING)."""
    found: set[str] = set()
    package = module if (ROOT / module.replace(".", "/") / "__init__.py").exists() else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    found.add(target)
                elif base in known:
                    found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = [*sorted((ROOT / "crm").rglob("*.py")), ROOT / "scheduler.py"]
    modules = {_module_name(path): path for path in paths}
    known = set(modules)
    return {name: _imports(ast.parse(path.read_text(encoding="utf-8")), name, known)
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_check_finds_a_cycle_and_a_deferred_one() -> None:
    tree = ast.parse("def later():\n    from crm.b import thing\n")
    assert _imports(tree, "crm.a", {"crm.a", "crm.b"}) == {"crm.b"}
    assert cycles({"crm.a": {"crm.b"}, "crm.b": {"crm.c"}, "crm.c": {"crm.a"}, "crm.d": {"crm.a"}}) == [
        ["crm.a", "crm.b", "crm.c"]]
    typed = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from crm.b import Thing\n")
    assert _imports(typed, "crm.a", {"crm.a", "crm.b"}) == set()


def test_no_import_cycle_between_modules() -> None:
    graph = import_graph()
    assert "crm.signup.services" in graph and graph["crm.signup.services"]
    assert cycles(graph) == []
