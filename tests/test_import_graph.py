"""No import circles among the project's modules, imports inside functions included.

The graph is read from the source with ``ast`` (every ``import`` and ``from ... import`` anywhere
in a module, so a circle hidden inside a function shows); an edge goes to the deepest project
module an import names. The layering (tools_registry <- gem_env <- synth, trainers) is checked too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tools_registry", "gem_env", "synth", "trainers")
#: What each package may import from the others.
ALLOWED = {
    "tools_registry": set(),
    "gem_env": {"tools_registry"},
    "synth": {"tools_registry", "gem_env"},
    "trainers": {"tools_registry", "gem_env", "synth"},
}


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            out[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` over the four packages."""
    mods = _modules()

    def project(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in mods.items():
        base = name if is_pkg else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {project(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                pkg = base
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                full = (f"{pkg}.{node.module}" if node.module else pkg) if node.level else node.module
                deps |= {
                    project(f"{full}.{a.name}") if f"{full}.{a.name}" in mods else project(full) for a in node.names
                }
        graph[name] = {d for d in deps if d and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_the_graph_is_read():
    graph = import_graph()
    assert "gem_env.resolution" in graph["gem_env.env"]
    assert "gem_env.env" in graph["gem_env.registration"]  # an import inside a function counts


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_packages_import_only_downward():
    bad = [
        f"{m} -> {d}"
        for m, deps in import_graph().items()
        for d in deps
        if d.split(".")[0] != m.split(".")[0] and d.split(".")[0] not in ALLOWED[m.split(".")[0]]
    ]
    assert bad == []
