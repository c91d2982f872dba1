"""The layers hold: chat handlers never touch storage (they call the application layer), the
application layer never touches Telegram, and no two modules import each other in a circle
(lazy imports inside functions count; imports only for type checking do not)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _modules() -> dict[str, Path]:
    out = {}
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path) -> set[str]:
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module:
                subs = {f"{node.module}.{a.name}" for a in node.names}
                found.update(subs)
                if not subs & set(_modules()):  # `from pkg import submodule` imports the submodule
                    found.add(node.module)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: {i for i in _imports(p) if i in modules} - {m} for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative enough)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_chat_handlers_never_import_storage() -> None:
    offenders = [
        f"{m}: {i}"
        for m, path in _modules().items()
        if m.startswith("bot.chat")
        for i in _imports(path)
        if i.split(".")[0] in ("storage", "sqlite3", "sqlite_utils")
    ]
    assert offenders == []


def test_the_application_layer_never_imports_telegram() -> None:
    offenders = [
        f"{m}: {i}"
        for m, path in _modules().items()
        if m.startswith("bot.service")
        for i in _imports(path)
        if i.split(".")[0] in ("telegram", "apscheduler", "aiohttp")
    ]
    assert offenders == []
