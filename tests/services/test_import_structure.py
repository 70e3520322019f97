"""The services modules import each other at the top of the module only, and never in a cycle.

An import inside a function hides a dependency (that is how lifecycle <-> payments went unseen); a cycle
makes the order of imports matter. Both are read from the source, counting every import statement.
"""

from __future__ import annotations

import ast
from pathlib import Path

import billfold.services

PACKAGE = "billfold.services"
ROOT = Path(billfold.services.__file__).parent


def _imports(tree: ast.AST, module: str) -> list[tuple[str, bool]]:
    """``(imported services module, at module level)`` for every import of a services module."""
    top = {id(node) for node in ast.iter_child_nodes(tree)}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package upwards
                base = ".".join([*module.split(".")[: -node.level], *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        targets = {
            ".".join(name.split(".")[:3])
            for name in names
            if name.startswith(PACKAGE + ".") and (ROOT / f"{name.split('.')[2]}.py").exists()
        }
        found += [(target, id(node) in top) for target in sorted(targets)]
    return found


def _graph() -> dict[str, list[tuple[str, bool]]]:
    graph = {}
    for path in sorted(ROOT.glob("*.py")):
        module = f"{PACKAGE}.{path.stem}"
        imports = _imports(ast.parse(path.read_text(), str(path)), module)
        graph[module] = [(target, top) for target, top in imports if target != module]
    return graph


def test_services_import_each_other_only_at_module_level() -> None:
    graph = _graph()
    assert len(graph) > 15
    hidden = sorted({(m, target) for m, edges in graph.items() for target, top in edges if not top})
    assert hidden == []


def test_services_modules_form_no_cycle() -> None:
    edges = {module: {target for target, _ in targets} for module, targets in _graph().items()}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(edges):
        if module not in done:
            visit(module, [module])
    assert cycles == []


def test_the_checks_see_a_hidden_import_and_a_cycle() -> None:
    source = "import x\n\ndef f():\n    from billfold.services.payments import grant\n"
    assert _imports(ast.parse(source), f"{PACKAGE}.lifecycle") == [(f"{PACKAGE}.payments", False)]
    for source in (
        "from billfold.services import totals\n",
        "from . import totals\n",
        "from .totals import f\n",
    ):
        assert _imports(ast.parse(source), f"{PACKAGE}.x") == [(f"{PACKAGE}.totals", True)]
