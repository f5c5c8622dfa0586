"""README.md's commands work as written: its two commands (run the demo, run the tests) are the
ones the project and CI use, and its API examples (the curl calls of "The demo" and every GET of
"JSON API") answer a running demo as the README says. Examples are read out of the README's text,
so a change there that breaks one fails here."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import Demo, demo  # noqa: F401

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# Where the README's examples find the demo started with its default ports.
SERVICE, SANDBOX = "http://localhost:8000", "http://127.0.0.1:8001"
MATTER = "82001"  # the matter the README's examples search for and preview

FENCED = re.compile(r"^```\n(.*?)^```", re.S | re.M)
BULLET = re.compile(r"^- (.*?)(?=^- |^\n|\Z)", re.S | re.M)
TOKEN_SPAN = re.compile(r'\{|\}|\[|\]|,|:|"[^"]*"|\.\.\.')


def section(title: str) -> str:
    """The README's text under `## title`, up to the next section."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def fenced_blocks(text: str) -> list[str]:
    return FENCED.findall(text)


def steps(command: str) -> list[list[str]]:
    """A shell line's `&&`-joined commands, each as its words, without leading VAR=value settings
    or pip's --quiet (which change what a command prints, not what it does)."""
    found = []
    for part in command.split("&&"):
        words = shlex.split(part)
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words.pop(0)
        found.append([w for w in words if w != "--quiet"])
    return found


# The two commands --------------------------------------------------------------------------------


def two_commands() -> tuple[str, str]:
    demo_command, test_command = (block.strip() for block in fenced_blocks(section("Two commands")))
    return demo_command, test_command


def test_the_first_command_runs_the_demo_with_the_installed_pms_sync_command() -> None:
    demo_command, _ = two_commands()
    *install, run = steps(demo_command)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert run == [".venv/bin/pms-sync", "demo"] and scripts["pms-sync"] == "views.cli:main"
    assert install == [["python3", "-m", "venv", ".venv"], [".venv/bin/pip", "install", "-e", "."]]


def test_the_test_command_is_what_ci_runs() -> None:
    _, test_command = two_commands()
    run = (ROOT / ".ci" / "run").read_text()
    ci = [step for line in re.findall(r"^(?:[A-Z_]+=\S+ )*(?:\.venv/bin/|python3 ).*$", run, re.M) for step in steps(line)]
    readme = steps(test_command)
    assert readme == [["python3", "-m", "venv", ".venv"], [".venv/bin/pip", "install", "-e", ".[test]"], [".venv/bin/pytest"]]
    assert all(step in ci for step in readme), f"{readme} is not among what .ci/run runs: {ci}"
    assert ci.index(readme[0]) < ci.index(readme[1]) < ci.index(readme[2])


# The API examples --------------------------------------------------------------------------------


def curl_block() -> str:
    """The demo's block of curl calls, its continued lines joined."""
    [block] = [b for b in fenced_blocks(section("The demo")) if "curl" in b]
    return block.replace("\\\n", " ")


def on_demo(url: str, demo: Demo) -> str:
    """A README address on the running demo's ports."""
    assert url.startswith((SERVICE, SANDBOX)), f"{url} is not on the demo's default ports"
    return url.replace(SERVICE, demo.service_url).replace(SANDBOX, demo.sandbox_url)


def readme_token(demo: Demo) -> str:
    """The host token the README's first command gets, by its own arguments."""
    line = next(line for line in curl_block().splitlines() if line.startswith("TOKEN=$("))
    curl, _, reader = line.removeprefix("TOKEN=$(").partition(" | ")
    words = shlex.split(curl)
    assert words[:2] == ["curl", "-s"]
    user = words[words.index("-u") + 1]
    form = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "-d")
    [field] = re.findall(r'json\.load\(sys\.stdin\)\["(\w+)"\]', reader)
    client_id, _, secret = user.partition(":")
    response = httpx2.post(on_demo(words[-1], demo), auth=(client_id, secret), data=form)
    assert response.status_code == 200, response.text
    return response.json()[field]


def api_bullets() -> list[str]:
    """The calls "JSON API" lists, one text each."""
    return BULLET.findall(section("JSON API"))


def documented_gets() -> dict[str, tuple[str, Any]]:
    """Each `GET /api/v1/…` of "JSON API": its path (the README's placeholders left in) → the bullet's
    text and the answer's shape as the README writes it (None if it shows none)."""
    found = {}
    for bullet in api_bullets():
        match = re.match(r"`GET (/api/v1/[^`]+)`(?:\s*→\s*`([^`]+)`)?", bullet)
        if match:
            found[match[1]] = (bullet, shape(match[2]) if match[2] else None)
    return found


def shape(text: str) -> Any:
    """`{"results": [{"matter_number", "title"}], "page"}` as {"results": [{"matter_number": None, "title": None}],
    "page": None}: a key without a value shown has no shape to check; a value shown is the value."""
    tokens = TOKEN_SPAN.findall(text[min(i for i in (text.find("{"), text.find("[")) if i >= 0):])
    value, _ = _value(tokens, 0)
    return value


def _value(tokens: list[str], at: int) -> tuple[Any, int]:
    token = tokens[at]
    if token == "{":
        found: dict[str, Any] = {}
        at += 1
        while tokens[at] != "}":
            key, at = tokens[at].strip('"'), at + 1
            found[key] = None
            if tokens[at] == ":":
                found[key], at = _value(tokens, at + 1)
            if tokens[at] == ",":
                at += 1
        return found, at + 1
    if token == "[":
        items: list[Any] = []
        at += 1
        while tokens[at] != "]":
            if tokens[at] not in (",", "..."):
                item, at = _value(tokens, at)
                items.append(item)
            else:
                at += 1
        return items, at + 1
    value = token.strip('"')
    return (None if value.startswith("<") else value), at + 1  # a value shown, or a placeholder (`"<plain message>"`)


def assert_shaped(answer: Any, expected: Any, where: str) -> None:
    """Every key the README shows is in the answer, at every level the answer fills in, and every
    value it shows is the answer's."""
    if isinstance(expected, str):
        assert answer == expected, f"{where}: the README shows {expected!r}, the answer has {answer!r}"
    elif isinstance(expected, dict):
        assert isinstance(answer, dict), f"{where}: {answer!r} is not an object"
        for key, inner in expected.items():
            assert key in answer, f"{where}: the README shows {key!r}, the answer has {sorted(answer)}"
            if inner is not None and answer[key] is not None:
                assert_shaped(answer[key], inner, f"{where}.{key}")
    elif isinstance(expected, list) and expected:
        assert isinstance(answer, list), f"{where}: {answer!r} is not a list"
        for index, item in enumerate(answer):
            assert_shaped(item, expected[0], f"{where}[{index}]")


def documented_shape(path: str) -> Any:
    """The shape "JSON API" shows for the call at `path` (a concrete /api/v1/… path)."""
    for documented, (_, expected) in documented_gets().items():
        pattern = re.escape(documented.split("?")[0]).replace(r"\{matter_number\}", "[^/]+")
        if re.fullmatch(pattern, path):
            return expected
    raise AssertionError(f"JSON API does not list GET {path}")


@pytest.fixture(scope="module")
def token(demo: Demo) -> str:
    return readme_token(demo)


@pytest.fixture(scope="module")
def environment_id(demo: Demo, token: str) -> int:
    answer = httpx2.get(f"{demo.service_url}/api/v1/environments", headers={"Authorization": f"Bearer {token}"}).json()
    return next(env["id"] for env in answer if env["default"])


@pytest.fixture(scope="module")
def imported(demo: Demo, token: str, environment_id: int) -> list[httpx2.Response]:
    """The README's import of `MATTER` into the default environment (Production, where imports are
    on), sent twice, as "JSON API" writes it; History then has an attempt to show."""
    match = re.match(r'`POST (/api/v1/\S+)` with `\{"(\w+)":', import_bullet())
    assert match, "JSON API shows no import request"
    path, body = match.groups()
    path = path.replace("{matter_number}", MATTER).replace("ID", str(environment_id))
    headers = {"Authorization": f"Bearer {token}"}
    # "parties left out take their preview default": the decisions are left empty.
    return [httpx2.post(f"{demo.service_url}{path}", json={body: {}}, headers=headers, timeout=30) for _ in range(2)]


def import_bullet() -> str:
    [bullet] = [b for b in api_bullets() if b.startswith("`POST /api/v1/matters/{matter_number}/import")]
    return bullet


def import_answers() -> dict[int, Any]:
    """The answers "JSON API" shows for an import, by status."""
    return {int(status): shape(text) for status, text in re.findall(r"`(\d{3}) (\{[^`]+\})`", import_bullet())}


def test_the_curl_examples_answer_as_the_json_api_section_says(demo: Demo, token: str) -> None:
    calls = [shlex.split(line) for line in curl_block().splitlines() if line.startswith("curl ")]
    assert len(calls) == 2
    for words in calls:
        assert words[:2] == ["curl", "-H"] and words[2] == "Authorization: Bearer $TOKEN"
        url = on_demo(words[3], demo)
        response = httpx2.get(url, headers={"Authorization": f"Bearer {token}"})

        assert response.status_code == 200, f"{words[3]}: {response.text}"
        answer = response.json()
        assert_shaped(answer, documented_shape(httpx2.URL(url).path), words[3])
        if "/preview" in url:
            assert answer["matter_number"] == MATTER and answer["parties"]
        else:
            assert MATTER in [m["matter_number"] for m in answer["results"]]


def test_an_import_answers_as_the_json_api_section_says(imported: list[httpx2.Response]) -> None:
    answers = import_answers()
    assert {201, 200} <= set(answers)
    first, again = imported
    assert first.status_code == 201, first.text
    assert_shaped(first.json(), answers[201], "the import")
    assert again.status_code == 200, again.text
    assert_shaped(again.json(), answers[200], "the import again")
    assert again.json()["work_item_id"] == first.json()["work_item_id"]


def test_every_documented_get_answers_with_the_fields_it_shows(
    demo: Demo, token: str, environment_id: int, imported: list[httpx2.Response]
) -> None:
    gets = documented_gets()
    assert {"/api/v1/environments", "/api/v1/openapi.json"} <= set(gets) and len(gets) >= 5
    for documented, (bullet, expected) in gets.items():
        path = re.sub(r"\[[^\]]*\]", "", documented)  # optional parameters left out
        path = path.replace("ID", str(environment_id)).replace("TEXT", MATTER).replace("{matter_number}", MATTER)
        assert not re.search(r"[A-Z]{2,}|[{}\[\]]", path), f"{documented}: a placeholder is left in {path}"
        headers = {} if "no token needed" in bullet else {"Authorization": f"Bearer {token}"}
        response = httpx2.get(f"{demo.service_url}{path}", headers=headers)

        assert response.status_code == 200, f"GET {path}: {response.text}"
        if expected is not None:
            assert_shaped(response.json(), expected, f"GET {path}")
            if path.startswith("/api/v1/history"):  # the import above is there to be shown
                assert response.json()["items"], "History shows no attempt after an import"
        else:
            [version] = re.findall(r"OpenAPI (\d+\.\d+)", bullet)
            assert response.json()["openapi"].startswith(version)


def test_a_call_without_a_token_is_refused_as_the_json_api_section_says(demo: Demo) -> None:
    [error] = re.findall(r"Errors are `(\{[^`]+\})`", section("JSON API"))
    response = httpx2.get(f"{demo.service_url}/api/v1/environments")
    assert response.status_code == 401
    assert_shaped(response.json(), shape(error), "an error")
