"""Walk pytest_tower's imports: cycles, layer breaks and long modules without a reason.

    python bench/check_imports.py [package folder]    # exit 1 when something is found

Why a script (and tests/unit/test_architecture.py on top of it): an import
cycle only bites on some import order (an xdist worker, an in-process
pytester rerun), so it has to be found by reading the code, not by running
it. Module-level imports make the graph; imports inside a function run late
and are listed apart; `if TYPE_CHECKING:` blocks are not imports at all.
A module over LIMIT lines must say why in its docstring ("long because ...").
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

LIMIT = 300
REASON = "long because"
PACKAGE = Path(__file__).resolve().parent.parent / "pytest_tower"
ABOVE_CORE = ("run", "checks", "environments", "report", "history", "plugin", "hookspecs",
              "reference")
LAYERS: dict[str, tuple[str, ...]] = {
    # layer -> what it must never import, at module level or inside a function
    "pytest_tower.core": (*(f"pytest_tower.{layer}" for layer in ABOVE_CORE), "pytest",
                          "_pytest"),
    "pytest_tower.report": ("pytest_tower.run",),  # it renders the report dict, not the run
}


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    docstring: str
    top: set[str] = field(default_factory=set)    # imported at module level (full names)
    inner: set[str] = field(default_factory=set)  # imported inside a function


def modules(package: Path = PACKAGE) -> dict[str, Module]:
    """Every module of the package by dotted name, with what it imports."""
    found: dict[str, Module] = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        module = Module(name, path, len(text.splitlines()), ast.get_docstring(tree) or "")
        base = name if is_package else name.rpartition(".")[0]
        for node, in_function in _imports(tree):
            (module.inner if in_function else module.top).update(_targets(node, base))
        found[name] = module
    return found


Found = Iterator[tuple[ast.Import | ast.ImportFrom, bool]]


def _imports(tree: ast.AST) -> Found:
    """Import statements with whether they run inside a function; TYPE_CHECKING skipped."""
    def walk(node: ast.AST, in_function: bool) -> Found:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]), in_function)
            else:
                yield from walk(child, in_function or isinstance(
                    child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))
    return walk(tree, False)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(node: ast.Import | ast.ImportFrom, base: str) -> set[str]:
    """Full names imported: `from a.b import c` names a.b.c too (c may be a module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:  # relative: base is the importing module's package
        parts = base.split(".")
        prefix = ".".join(parts[:len(parts) - node.level + 1])
        source = f"{prefix}.{node.module}" if node.module else prefix
    else:
        source = node.module or ""
    return {source, *(f"{source}.{alias.name}" for alias in node.names)}


def graph(mods: dict[str, Module], *, inner: bool = False) -> dict[str, set[str]]:
    """Our module -> our modules it imports (module level, or inside functions)."""
    edges: dict[str, set[str]] = {}
    for name, module in mods.items():
        edges[name] = {t for t in (module.inner if inner else module.top)
                       if t in mods and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges) + 100))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def unexplained_long(mods: dict[str, Module], limit: int = LIMIT) -> list[Module]:
    """Modules over `limit` lines whose docstring does not say why ("long because")."""
    return [m for m in mods.values()
            if m.lines > limit and REASON not in " ".join(m.docstring.split()).lower()]


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_breaks(mods: dict[str, Module],
                 layers: dict[str, tuple[str, ...]] = LAYERS) -> dict[str, list[str]]:
    """Module -> what it imports that its layer must not (LAYERS), in any function too."""
    found: dict[str, list[str]] = {}
    for layer, banned in layers.items():
        for name, module in mods.items():
            if not _under(name, layer):
                continue
            bad = sorted(t for t in module.top | module.inner
                         if any(_under(t, b) for b in banned))
            if bad:
                found[name] = bad
    return found


def main(argv: list[str]) -> int:
    package = Path(argv[0]) if argv else PACKAGE
    mods = modules(package)
    top_cycles = cycles(graph(mods))
    long = unexplained_long(mods)
    breaks = layer_breaks(mods)
    print(f"{len(mods)} modules under {package}")
    print(f"module-level import cycles: {len(top_cycles)}")
    for group in top_cycles:
        print("  " + " <-> ".join(group))
    late = {n: sorted(t) for n, t in graph(mods, inner=True).items() if t}
    print(f"imports inside functions (run late, not in the graph): {len(late)} modules")
    for name, targets in sorted(late.items()):
        print(f"  {name} -> {', '.join(targets)}")
    print(f"modules over {LIMIT} lines without '{REASON}' in the docstring: {len(long)}")
    for module in long:
        print(f"  {module.path.relative_to(package.parent)}: {module.lines} lines")
    print(f"layer breaks (core imports nothing above it nor pytest; report never run): "
          f"{len(breaks)}")
    for name, targets in sorted(breaks.items()):
        print(f"  {name} -> {', '.join(targets)}")
    return 1 if top_cycles or long or breaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
