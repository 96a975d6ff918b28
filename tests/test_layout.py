"""The package's layout: arrows point down only.

The import graph is read statically (``ast`` over ``simpleseg_agent/**/*.py``, relative imports resolved,
imports inside functions and ``TYPE_CHECKING`` blocks included), so an import a test run never reaches
still counts. Rules:

- no import cycle between the package's rooms (its top-level subpackages and modules);
- the runtime rooms never import ``training`` or the CLI;
- ``geometry`` knows shapes, not screens: it never imports ``screen``;
- no module imports another module's private name (``from x import _name``).

And, in a fresh interpreter: importing the tools or the demo loads no training module, and the core
(``simpleseg_agent``, ``geometry``, ``grammar``) does not import torch.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simpleseg_agent

PACKAGE = "simpleseg_agent"
ROOT = Path(simpleseg_agent.__file__).resolve().parent
#: Rooms a user's agent, robot or server runs; they never reach up into training or the CLI.
RUNTIME = ("tools", "agent", "grasp", "backends", "screen", "geometry", "grammar", "mockup")
#: Rooms below the runtime: nothing runtime may be imported from them either way round.
FORBIDDEN_FOR_RUNTIME = ("training", "cli")
#: Edges the rules forbid that a change under way removes; each must still exist (a stale entry fails).
KNOWN_EXCEPTIONS = {
    # the screen agent's CLI takes the consensus flags from the CLI module until they come from one config
    ("simpleseg_agent.agent.command", "simpleseg_agent.cli"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_module(name: str, modules: dict[str, Path]) -> bool:
    if name in modules:
        return True
    # a compiled extension module (the IoU kernel) has no .py file: its C source, or the built library
    parent, _, leaf = name.rpartition(".")
    folder = ROOT.parent.joinpath(*parent.split("."))
    return folder.is_dir() and any(any(folder.glob(leaf + ext)) for ext in (".c", ".*.so", ".*.pyd", ".pyd"))


def import_edges() -> list[tuple[str, str, str | None, int]]:
    """Every import inside the package: ``(importer, imported module, imported name or None, line)``."""
    modules = _modules()
    edges = []
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        edges.append((mod, alias.name, None, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if _is_module(sub, modules):
                        edges.append((mod, sub, None, node.lineno))
                    else:
                        edges.append((mod, target, alias.name, node.lineno))
    return edges


def room(module: str) -> str:
    """The room of a module: ``simpleseg_agent.screen.kinds`` -> ``screen``; the package itself -> ``''``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def room_cycles(edges) -> list[list[str]]:
    """The strongly connected groups of two or more rooms (Tarjan), the package's own ``__init__`` left out
    (it re-exports from every room), and the :data:`KNOWN_EXCEPTIONS` too."""
    graph: dict[str, set[str]] = {}
    for a, b, _, _ in edges:
        if (a, b) in KNOWN_EXCEPTIONS:
            continue
        ra, rb = room(a), room(b)
        if ra and rb and ra != rb:
            graph.setdefault(ra, set()).add(rb)
            graph.setdefault(rb, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _edge_lines(edges, keep) -> list[str]:
    return sorted({f"{a} -> {b}{'.' + n if n else ''} (line {line})" for a, b, n, line in edges if keep(a, b, n)})


EDGES = import_edges()


def test_the_walk_sees_the_package() -> None:
    # the walk must find the imports it judges, relative ones and those inside functions included
    assert ("simpleseg_agent.tools.snapping", "simpleseg_agent.screen.elements") in {(a, b) for a, b, _, _ in EDGES}
    assert any(a == "simpleseg_agent.tools.segmenter" and room(b) == "screen" for a, b, _, _ in EDGES)


def test_no_import_cycle_between_rooms() -> None:
    cycles = room_cycles(EDGES)
    detail = {" <-> ".join(c): _edge_lines(EDGES, lambda a, b, n, c=c: room(a) in c and room(b) in c and room(a) != room(b))
              for c in cycles}
    assert not cycles, "import cycles between rooms:\n" + json.dumps(detail, indent=1)


def test_the_runtime_never_imports_training_or_the_cli() -> None:
    bad = [(a, b) for a, b, _, _ in EDGES if room(a) in RUNTIME and room(b) in FORBIDDEN_FOR_RUNTIME]
    unexpected = sorted(set(bad) - KNOWN_EXCEPTIONS)
    assert not unexpected, "runtime -> training / cli imports:\n" + "\n".join(
        _edge_lines(EDGES, lambda a, b, n: (a, b) in unexpected))
    stale = KNOWN_EXCEPTIONS - set(bad)
    assert not stale, f"these edges are gone: remove them from KNOWN_EXCEPTIONS: {sorted(stale)}"


def test_geometry_knows_nothing_about_screens() -> None:
    bad = _edge_lines(EDGES, lambda a, b, n: room(a) == "geometry" and room(b) in ("screen", "agent", "tools", "mockup"))
    assert not bad, "geometry imports screen perception:\n" + "\n".join(bad)


def test_no_module_imports_another_modules_private_name() -> None:
    bad = _edge_lines(EDGES, lambda a, b, n: n is not None and n.startswith("_") and not n.startswith("__"))
    assert not bad, "private names imported across modules (make them public or move them):\n" + "\n".join(bad)


def _fresh(code: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT.parent), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          cwd=str(ROOT.parent))
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


_LOADED = """
import json, sys
import {module}
print(json.dumps({{"training": sorted(m for m in sys.modules if m.startswith("simpleseg_agent.training")),
                  "torch": "torch" in sys.modules, "file": {module}.__file__}}))
"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("module", ["simpleseg_agent.tools", "simpleseg_agent.demo", "simpleseg_agent.screen",
                                    "simpleseg_agent.agent.tk_layout"])
def test_the_runtime_loads_no_training_module(module) -> None:
    seen = _fresh(_LOADED.format(module=module))
    assert Path(seen["file"]).resolve().is_relative_to(ROOT), seen["file"]  # this checkout, not an installed copy
    assert seen["training"] == [], f"import {module} loaded {len(seen['training'])} training modules: {seen['training']}"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("module", ["simpleseg_agent", "simpleseg_agent.geometry", "simpleseg_agent.grammar",
                                    "simpleseg_agent.screen", "simpleseg_agent.mockup"])
def test_the_core_does_not_import_torch(module) -> None:
    seen = _fresh(_LOADED.format(module=module))
    assert not seen["torch"], f"import {module} imported torch"
