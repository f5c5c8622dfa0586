"""`plugin/` works on typed values: the remote systems' JSON is read and written in `clients/`.
Clio Operate's and Teams' field names are camelCase (`systemName`, `isAbstract`, `keyDates`,
`isSubtle`), and ours are not, so no string in `plugin/` may be camelCase."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAMEL_CASE = re.compile(r"[a-z]+[A-Z][A-Za-z0-9]*")


def camel_case_strings(source: str) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CAMEL_CASE.fullmatch(node.value)
    ]


def test_the_check_finds_a_remote_field_name() -> None:
    assert camel_case_strings('node.get("systemName")\nlabel = "work type"') == [(1, "systemName")]


def test_plugin_names_no_remote_field() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in sorted((ROOT / "plugin").rglob("*.py"))
        for line, text in camel_case_strings(path.read_text())
    ]
    assert found == []
