"""No import cycles in src/propscan: every module's imports (module level and inside functions) form a DAG.

Why: a cycle means two modules cannot be understood, tested or moved apart;
it is also where start-up order bugs come from. The walk reads the source with
``ast`` (nothing is imported), so a cycle through a function-level import,
which Python tolerates at run time, is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "propscan"


def module_names(src: Path = SRC) -> dict[str, Path]:
    """Every module under ``src/propscan``, by dotted name (a package by its ``__init__``)."""
    out: dict[str, Path] = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The propscan modules ``name`` imports, anywhere in its source (``TYPE_CHECKING`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    skip: set[int] = set()
    for node in ast.walk(tree):  # typing-only imports never run
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()

    def add(target: str) -> None:
        # the module itself if it is one, else the nearest package that is
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == PACKAGE:
                    add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node)
            if base.split(".")[0] != PACKAGE:
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                add(sub if sub in modules else base)
    return found


def graph(src: Path = SRC) -> dict[str, set[str]]:
    modules = module_names(src)
    g = {name: imports_of(name, path, modules) for name, path in modules.items()}
    for name in modules:  # importing a.b.c runs a/__init__ and a/b/__init__ first
        parent = name.rpartition(".")[0]
        while parent:
            if parent != name:
                g[name].discard(parent)  # ... but a package's own children may import it freely: not an edge
            parent = parent.rpartition(".")[0]
    return g


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search, colouring the nodes)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(g, WHITE)
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        colour[n] = GREY
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if colour.get(m) == GREY:
                return stack[stack.index(m):] + [m]
            if colour.get(m) == WHITE:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        colour[n] = BLACK
        return None

    for n in sorted(g):
        if colour[n] == WHITE:
            found = visit(n)
            if found:
                return found
    return None


def folders(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between the top-level parts of propscan (``propscan.store``, ``propscan.analyzer``, ...)."""
    top = lambda m: ".".join(m.split(".")[:2])  # noqa: E731
    out: dict[str, set[str]] = {}
    for a, bs in g.items():
        out.setdefault(top(a), set()).update(top(b) for b in bs if top(b) != top(a))
    return out


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycles_between_folders() -> None:
    """Layers, not a web: e.g. corpus sits above the store, readers above cleanup, cli above train."""
    cycle = find_cycle(folders(graph()))
    assert cycle is None, "import cycle between folders: " + " -> ".join(cycle or [])


def test_the_library_never_imports_its_front_ends() -> None:
    g = folders(graph())
    for name, deps in g.items():
        if name not in ("propscan.cli", "propscan.web", "propscan.__main__"):
            assert not deps & {"propscan.cli", "propscan.web"}, f"{name} imports {deps & {'propscan.cli', 'propscan.web'}}"


def test_the_walk_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import x\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    g = graph(tmp_path)
    assert g["propscan.sub.b"] == {"propscan.a"}
    assert g["propscan.c"] == set()
    assert find_cycle(g) == ["propscan.a", "propscan.sub.b", "propscan.a"]
