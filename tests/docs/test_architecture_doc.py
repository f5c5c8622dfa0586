"""docs/architecture.md names only what exists: every file and folder path, every link, and every
dotted name of our code (`plugin.importer.import_matter`, `store.imports.ImportStore.claim`), so a
rename that leaves the page behind fails here. Names are found by reading the source (ast), not by
importing it."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
ROOMS = ("agent", "benchmarks", "clients", "embed_auth", "manifest", "plugin", "sandbox", "store", "tests", "views")

CODE_SPAN = re.compile(r"`([^`\n]+)`")
# A repository path: words joined by "/", optionally ending in "/" or "*" (views/settings_*.py).
REPO_PATH = re.compile(r"[A-Za-z_.][\w.*-]*(?:/[\w.*-]+)+/?")
DOTTED = re.compile(r"[a-z_]+(?:\.[A-Za-z_]\w*)+")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def spans(text: str) -> list[str]:
    return CODE_SPAN.findall(text)


def mentioned_paths(text: str) -> set[str]:
    """Paths in code spans (`plugin/importer.py`, `tests/plugin`), never remote routes (`/v1/...`)."""
    return {s for s in spans(text) if REPO_PATH.fullmatch(s) and s.split("/")[0] in (*ROOMS, "docs", "static")}


def mentioned_names(text: str) -> set[str]:
    """Dotted names of our code in code spans: their first part is a room."""
    return {s for s in spans(text) if DOTTED.fullmatch(s) and s.split(".")[0] in ROOMS}


def path_exists(path: str) -> bool:
    return any(True for _ in ROOT.glob(path.rstrip("/"))) if "*" in path else (ROOT / path).exists()


@functools.cache
def module_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def defined_names(body: list[ast.stmt], *, in_class: bool) -> dict[str, ast.AST]:
    """Functions, classes and assigned names of a module or class body; for a class also what its
    methods assign to `self`."""
    names: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, (ast.ImportFrom, ast.Import)) and not in_class:
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
        if in_class and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and inner.value.id == "self":
                    if isinstance(inner.ctx, ast.Store):
                        names.setdefault(inner.attr, inner)
    return names


def resolves(name: str) -> bool:
    """`room.module[.Class][.attribute]`: the longest prefix that is a module or package of the
    repository, then each further part defined in the one before."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        for source in (base.with_suffix(".py"), base / "__init__.py"):
            if source.is_file():
                return _defined(module_tree(source).body, parts[cut:], in_class=False)
        if cut == len(parts) and base.is_dir():
            return True
    return False


def _defined(body: list[ast.stmt], rest: list[str], *, in_class: bool) -> bool:
    if not rest:
        return True
    found = defined_names(body, in_class=in_class).get(rest[0])
    if found is None:
        return False
    if len(rest) == 1:
        return True
    return isinstance(found, ast.ClassDef) and _defined(found.body, rest[1:], in_class=True)


DOC_TEXT = DOC.read_text(encoding="utf-8")


def test_the_page_names_code_to_check() -> None:
    """The patterns find what the page is made of, so the checks below are not vacuous."""
    assert len(mentioned_paths(DOC_TEXT)) >= 40
    assert len(mentioned_names(DOC_TEXT)) >= 60
    assert "plugin/importer.py" not in mentioned_paths("`/api/v1/matters` `GET /v1/matters`")


def test_the_resolver_tells_real_names_from_others() -> None:
    assert resolves("plugin.importer.import_matter")
    assert resolves("store.imports.ImportStore.claim")
    assert resolves("store.repository.Store.engine")  # assigned in __init__
    assert resolves("plugin.services.Services.settle")  # a dataclass field
    assert not resolves("plugin.importer.import_matters")
    assert not resolves("store.imports.ImportStore.claim_matter")
    assert not resolves("plugin.no_such_module")
    assert not path_exists("plugin/no_such_module.py")


@pytest.mark.parametrize("path", sorted(mentioned_paths(DOC_TEXT)))
def test_every_path_exists(path: str) -> None:
    assert path_exists(path), f"docs/architecture.md mentions {path}, which the repository does not have"


@pytest.mark.parametrize("name", sorted(mentioned_names(DOC_TEXT)))
def test_every_dotted_name_exists(name: str) -> None:
    assert resolves(name), f"docs/architecture.md mentions {name}, which the code does not define"


def test_every_link_leads_somewhere() -> None:
    targets = [t for t in LINK.findall(DOC_TEXT) if "://" not in t]
    missing = [t for t in targets if not (DOC.parent / t).exists()]
    assert not missing


def test_every_top_level_folder_of_code_is_a_room_of_the_page() -> None:
    """A new top-level folder holding Python code needs its row in the rooms table."""
    folders = {
        d.name
        for d in ROOT.iterdir()
        if d.is_dir() and not d.name.startswith(".") and next(d.rglob("*.py"), None) is not None
    }
    assert folders, "no code found"
    table = {row.split("|")[1].strip() for row in DOC_TEXT.splitlines() if row.startswith("| `")}
    assert {f"`{f}/`" for f in folders} <= table


def test_the_readme_links_the_page() -> None:
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
