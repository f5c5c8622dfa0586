"""The rooms import one another as the house plan (ARCHITECTURE.md, "Rooms") allows, read from
each product module's source with `ast`: the application (plugin/) speaks neither HTTP nor SQL
nor the store's tables, pages (views/) reach neither clients/ (but for the app's composition root,
views/runtime.py) nor the tables, the sandbox imports nothing of the product but the agent (the
demo's wiring is the product's: views/demo.py), and no product module reaches itself again through
its module-level imports.
Outside store/, no product code reaches the database engine (`Store.engine`): it uses the store's
parts (`store.repository.Store`).

Every import counts for the rules, those inside functions too; a cycle is looked for among the
imports that run when a module is loaded (module and class bodies, not functions, not
`if TYPE_CHECKING:`)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("agent", "clients", "embed_auth", "plugin", "sandbox", "store", "views")

# room → modules it may not import (a name stands for its submodules too; "x*" for any name starting so)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "plugin": ("httpx", "httpx2", "httpcore*", "sqlalchemy", "sqlmodel", "store.models"),
    "views": ("clients", "store.models"),
    "sandbox": ("plugin", "views", "store", "clients", "embed_auth", "manifest"),
}

# module → what it may import although its room's rules forbid it: the one documented exception
# (docs/architecture.md, gap 1). The app's composition root builds the one HTTP client and the
# remote clients on it for the app's life; every other page reaches clients/ through plugin/.
ALLOWED: dict[str, frozenset[str]] = {
    "views.runtime": frozenset({"clients.http", "clients.remote_clients"}),
}


# Rooms that reach the database only through the store's parts, never its `.engine`.
NO_ENGINE = ("embed_auth", "plugin", "views")


@dataclass(frozen=True)
class Import:
    module: str  # what is imported, resolved to a product module where it names one
    line: int
    at_load: bool  # runs when the importing module is loaded


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def product_modules() -> dict[str, Path]:
    return {module_name(p): p for room in ROOMS for p in sorted((ROOT / room).rglob("*.py"))}


def imports_of(source: str, module: str, known: Iterable[str] = ()) -> list[Import]:
    """The imports of a module's source. `from a import b` names `a.b` when that is a module in
    `known`, else `a`; a relative import is resolved against `module`."""
    known = set(known)
    package = module.split(".")
    found: list[Import] = []

    def visit(node: ast.AST, at_load: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, child.lineno, at_load) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = ".".join(package[: len(package) - child.level + int(_is_package(module))])
                    base = f"{parent}.{base}".strip(".")
                for alias in child.names:
                    named = f"{base}.{alias.name}"
                    found.append(Import(named if named in known else base, child.lineno, at_load))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            elif isinstance(child, ast.If) and _type_checking(child.test):
                for statement in child.body:
                    visit(ast.Module(body=[statement], type_ignores=[]), False)
                for statement in child.orelse:
                    visit(ast.Module(body=[statement], type_ignores=[]), at_load)
            else:
                visit(child, at_load)

    visit(ast.parse(source), True)
    return found


def _is_package(module: str) -> bool:
    path = product_modules().get(module)
    return path is not None and path.name == "__init__.py"


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@cache
def product_imports() -> dict[str, tuple[Import, ...]]:
    modules = product_modules()
    return {name: tuple(imports_of(path.read_text(), name, modules)) for name, path in modules.items()}


def matches(module: str, rule: str) -> bool:
    if rule.endswith("*"):
        return module.split(".")[0].startswith(rule[:-1])
    return module == rule or module.startswith(rule + ".")


def violations(room: str, imports: Mapping[str, Iterable[Import]]) -> list[str]:
    found = []
    for module, listed in sorted(imports.items()):
        if module.split(".")[0] != room:
            continue
        for imported in listed:
            allowed = any(matches(imported.module, exception) for exception in ALLOWED.get(module, ()))
            if not allowed and any(matches(imported.module, rule) for rule in FORBIDDEN[room]):
                found.append(f"{module} (line {imported.line}) imports {imported.module}")
    return found


def engine_uses(source: str, module: str) -> list[str]:
    """Each `<anything>.engine` the module's source reads."""
    return [
        f"{module} (line {node.lineno}) uses .engine"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr == "engine"
    ]


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle of the graph, as the modules along it (the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for following in sorted(graph.get(node, ())):
            if state.get(following) == 1:
                return path[path.index(following) :] + [following]
            if following not in state and (cycle := walk(following)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := walk(start)):
            return cycle
    return None


def load_graph(imports: Mapping[str, Iterable[Import]]) -> dict[str, set[str]]:
    """Module → the product modules its loading imports."""
    return {
        module: {i.module for i in listed if i.at_load and i.module in imports and i.module != module}
        for module, listed in imports.items()
    }


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_what_the_plan_allows(room: str) -> None:
    assert violations(room, product_imports()) == []


def test_only_the_store_reaches_the_engine() -> None:
    found = [
        use
        for module, path in product_modules().items()
        if module.split(".")[0] in NO_ENGINE
        for use in engine_uses(path.read_text(), module)
    ]
    assert found == []


def test_no_product_module_imports_itself_again() -> None:
    cycle = find_cycle(load_graph(product_imports()))
    assert cycle is None, "import cycle: " + " → ".join(cycle or ())


def test_every_room_is_read() -> None:
    read = {module.split(".")[0] for module in product_imports()}
    assert read == set(ROOMS)
    assert any(i.module == "clients.remote_clients" for i in product_imports()["plugin.environment_clients"])


def test_each_rule_catches_its_import() -> None:
    known = set(product_modules())
    source = "\n".join([
        "import httpcore2",
        "from store import models",
        "def later():",
        "    from sqlmodel import Session",
        "from ..store import models",
    ])
    seen = {"plugin.example": imports_of(source, "plugin.example", known)}
    assert violations("plugin", seen) == [
        "plugin.example (line 1) imports httpcore2",
        "plugin.example (line 2) imports store.models",
        "plugin.example (line 4) imports sqlmodel",
        "plugin.example (line 5) imports store.models",
    ]
    seen = {
        "views.example": imports_of("from clients.errors import RemoteError", "views.example", known),
        "views.runtime": imports_of("from clients.http import remote_http_client\nfrom clients.tracing import current_trace_id", "views.runtime", known),
    }
    assert violations("views", seen) == [
        "views.example (line 1) imports clients.errors",
        "views.runtime (line 2) imports clients.tracing",
    ]
    seen = {
        "sandbox.example": imports_of("from agent.app import create_agent_app\nimport embed_auth.sessions", "sandbox.example", known),
        "sandbox.demo": imports_of("from views.app import create_app\nfrom clients.http import verification", "sandbox.demo", known),
    }
    assert violations("sandbox", seen) == [
        "sandbox.demo (line 1) imports views.app",
        "sandbox.demo (line 2) imports clients.http",
        "sandbox.example (line 2) imports embed_auth.sessions",
    ]


def test_the_engine_rule_catches_a_store_class_built_from_it() -> None:
    source = "def members(services):\n    return MemberStore(services.store.engine)\n"
    assert engine_uses(source, "plugin.example") == ["plugin.example (line 2) uses .engine"]
    assert engine_uses("def members(services):\n    return services.store.members\n", "plugin.example") == []


def test_a_cycle_is_found_through_load_time_imports_only() -> None:
    known = {"views.a", "views.b", "views.c"}
    sources = {
        "views.a": "from views import b",
        "views.b": "import views.c",
        "views.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from views.a import X\ndef f():\n    import views.a",
    }
    imports = {name: imports_of(source, name, known) for name, source in sources.items()}
    assert find_cycle(load_graph(imports)) is None
    imports["views.c"] = imports_of("class C:\n    from views.a import X", "views.c", known)
    assert find_cycle(load_graph(imports)) == ["views.a", "views.b", "views.c", "views.a"]
