"""The code's shape holds: data flows one way, and no module imports, even from inside a function, a module
that imports it back.

The import graph is read from the source (ast), so an import made late, inside a function, counts like
one at the top; only imports under `if TYPE_CHECKING:` are left out of the cycle check, since they never run.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sagetrim"

# The bottom of the flow: what every step may use. None of it depends on a step, even indirectly.
FOUNDATION = ("errors", "optout", "inputs", "yamlfile", "costs", "catalog", "aws", "config")
STEPS_AND_ABOVE = ("inventory", "rules", "actions", "pipeline", "report", "deploy", "cli", "clikit")
# The steps in the order data flows through them: none imports a later one.
FLOW = ("inventory", "rules", "actions", "pipeline")
# Type-only references up the flow that are known and bounded: the scan's result carries the rules' findings.
TYPE_ONLY_EXCEPTIONS = {("sagetrim.inventory.scan", "sagetrim.rules"),
                        ("sagetrim.inventory.scan", "sagetrim.rules.model")}
# Only these draw on a terminal (module names, or packages ending in a dot).
TERMINAL = ("sagetrim.cli", "sagetrim.clikit", "sagetrim.agent.cli", "sagetrim.report.")


@dataclass(frozen=True)
class Import:
    """One import statement: the module it names (inside sagetrim) and where it is."""

    target: str
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`


def _module_name(path: Path) -> str:
    parts = ["sagetrim", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _named(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules an import statement names: `from a import b` names `a.b` when that is a module."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base


def _imports_in(nodes: list[ast.stmt], module: str, path: Path, type_only: bool) -> Iterator[tuple[str, int, bool]]:
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from _imports_in(node.body, module, path, True)
            yield from _imports_in(node.orelse, module, path, type_only)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from ((name, node.lineno, type_only) for name in _named(module, path, node))
        for field in ("body", "orelse", "finalbody", "handlers"):
            yield from _imports_in(getattr(node, field, []), module, path, type_only)
        if isinstance(node, ast.Match):
            for case in node.cases:
                yield from _imports_in(case.body, module, path, type_only)


@cache
def imports_of(module: str) -> tuple[Import, ...]:
    """Every sagetrim module that `module` imports, at the top or in a function. Importing `a.b.c` also
    runs the packages `a.b` on the way, unless `module` sits inside them (then they ran before it)."""
    path = modules()[module]
    out: dict[tuple[str, bool], Import] = {}
    for name, line, type_only in _imports_in(ast.parse(path.read_text()).body, module, path, False):
        if name != "sagetrim" and not name.startswith("sagetrim."):
            continue
        parts = name.split(".")
        while ".".join(parts) not in modules():
            parts.pop()
        for depth in range(2, len(parts) + 1):
            target = ".".join(parts[:depth])
            if target != module and not module.startswith(target + ".") and target in modules():
                out.setdefault((target, type_only), Import(target, line, type_only))
    return tuple(out.values())


@cache
def external_imports(module: str) -> frozenset[str]:
    """The top-level names of the packages outside sagetrim that `module` imports, anywhere in it."""
    path = modules()[module]
    names = _imports_in(ast.parse(path.read_text()).body, module, path, False)
    return frozenset(name.split(".")[0] for name, _, _ in names if not name.startswith("sagetrim"))


def _runtime_graph() -> dict[str, list[Import]]:
    return {m: [i for i in imports_of(m) if not i.type_only] for m in modules()}


def find_cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for edge in graph[v]:
            w = edge.target
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(_path_through(sorted(component), graph))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def _path_through(component: list[str], graph: dict[str, list[Import]]) -> list[str]:
    """One cycle inside a strongly connected component, from its first module back to it."""
    inside = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for edge in graph[v]:
            if edge.target == start:
                return [*paths[v], start]
            if edge.target in inside and edge.target not in paths:
                paths[edge.target] = [*paths[v], edge.target]
                queue.append(edge.target)
    return [*component, start]  # unreachable for a strongly connected component


def describe(cycle: list[str], graph: dict[str, list[Import]]) -> str:
    steps = []
    for a, b in itertools.pairwise(cycle):
        line = next(e.line for e in graph[a] if e.target == b)
        steps.append(f"{a} (line {line}) -> {b}")
    return "; ".join(steps)


def closure(module: str) -> set[str]:
    """Every module `module` imports, directly or through others, at run time."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for edge in imports_of(todo.pop()):
            if not edge.type_only and edge.target not in seen:
                seen.add(edge.target)
                todo.append(edge.target)
    return seen


def _component(module: str) -> str:
    return module.split(".")[1] if "." in module else module


# -- the graph reader itself ---------------------------------------------------------------------------


def test_the_reader_sees_imports_inside_functions_and_relative_ones():
    # given config, which imports the schedules package at the top
    # when its imports are read
    targets = {i.target for i in imports_of("sagetrim.config")}
    # then the package is there, and a function-level import elsewhere is too
    assert "sagetrim.schedules" in targets
    assert "sagetrim.pipeline.scan" in {i.target for i in imports_of("sagetrim.cli")}  # inside a command
    assert "rich" in external_imports("sagetrim.report.scan")


def test_a_cycle_is_found_and_named():
    # given a made-up graph a -> b -> c -> a, and d on its own
    graph = {"a": [Import("b", 3, False)], "b": [Import("c", 7, False)], "c": [Import("a", 9, False)],
             "d": [Import("a", 1, False)]}
    # when cycles are searched
    cycles = find_cycles(graph)
    # then the one cycle is reported with the line of each import
    assert cycles == [["a", "b", "c", "a"]]
    assert describe(cycles[0], graph) == "a (line 3) -> b; b (line 7) -> c; c (line 9) -> a"


# -- the rules of the shape ----------------------------------------------------------------------------


def test_no_module_imports_itself_back_even_from_inside_a_function():
    graph = _runtime_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(describe(c, graph) for c in cycles)


@pytest.mark.parametrize("base", FOUNDATION)
def test_the_foundation_depends_on_no_step_of_the_flow(base):
    inside = [m for m in modules() if _component(m) == base]
    offending = sorted({(m, d) for m in inside for d in closure(m) if _component(d) in STEPS_AND_ABOVE})
    assert not offending, f"{base} reaches up the flow: " + ", ".join(f"{m} -> {d}" for m, d in offending)


def test_a_step_imports_no_later_step():
    offending = sorted(f"{m} (line {i.line}) -> {i.target}" for m in modules() for i in imports_of(m)
                       if _component(m) in FLOW and _component(i.target) in FLOW
                       and FLOW.index(_component(i.target)) > FLOW.index(_component(m))
                       and not (i.type_only and (m, i.target) in TYPE_ONLY_EXCEPTIONS))
    assert not offending, "steps that import a later step: " + ", ".join(offending)


def test_the_pipeline_renders_nothing_and_knows_no_caller():
    inside = [m for m in modules() if _component(m) == "pipeline"]
    callers = sorted(f"{m} -> {i.target}" for m in inside for i in imports_of(m)
                     if _component(i.target) in ("report", "cli", "clikit", "deploy"))
    assert not callers, callers
    assert not {m: external_imports(m) & {"rich", "typer"} for m in inside if external_imports(m) & {"rich", "typer"}}


@pytest.mark.parametrize("library", ["rich", "typer"])
def test_only_the_command_line_and_the_reports_draw_on_a_terminal(library):
    drawing = sorted(m for m in modules() if library in external_imports(m)
                     and not any(m == t or (t.endswith(".") and m.startswith(t)) for t in TERMINAL))
    assert not drawing, f"{library} is imported by {drawing}"


def test_nothing_imports_the_command_line():
    importers = sorted(m for m in modules() for i in imports_of(m)
                       if i.target == "sagetrim.cli" and m != "sagetrim.__main__")
    assert not importers, f"these import sagetrim.cli: {importers}"
