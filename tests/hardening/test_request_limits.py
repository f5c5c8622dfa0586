"""Request bodies have a size limit (1 MB; more only where a route needs it) enforced before they
are read whole, answered 413; a header block that is too large is answered 431, both in-process
and from the uvicorn server ``pms-sync serve`` runs."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator

import httpx2
import pytest

from tests.hardening.served import Served, pms_sync_serve
from tests.views.conftest import Service
from views.request_limits import BODY_LIMIT, HEADER_LIMIT, MB

TOO_LARGE = {"error": "The request is too large (limit 1 MB)."}


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


def test_a_body_over_the_limit_is_413_by_its_content_length(service: Service) -> None:
    response = service.client.post(
        "/embed/session", content=b" " * (BODY_LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    api = service.client.post("/api/v1/matters/82001/import", content=b"{" + b" " * BODY_LIMIT + b"}", headers=service.bearer())
    assert (api.status_code, api.json()) == (413, TOO_LARGE)


def test_a_streamed_body_over_the_limit_is_413_when_it_passes_the_limit(service: Service) -> None:
    response = service.client.post(
        "/embed/session", content=chunks(3 * MB), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_a_form_over_the_limit_is_413_in_plain_words(service: Service) -> None:
    service.sign_in()
    response = service.client.post("/sign-out", data={"csrf_token": "x" * (BODY_LIMIT + 1)})
    assert (response.status_code, response.text) == (413, TOO_LARGE["error"])
    assert response.headers["x-content-type-options"] == "nosniff", "refusals carry the security headers too"


def test_the_mapping_form_takes_more_than_1_mb_but_not_any_size(service: Service) -> None:
    """Its document (up to 256 KB) comes in up to three fields, URL-encoded."""
    service.sign_in("admin@sandbox.test")
    csrf = service.client.get("/settings/mapping").text.split('name="csrf_token" value="')[1].split('"')[0]
    field = "x" * (700 * 1024)
    large = service.client.post(
        "/settings/mapping", data={"csrf_token": csrf, "action": "preview", "document": field, "pasted": field}
    )
    assert large.status_code == 400 and "Fix this problem in the draft" in large.text, "read and refused as a document, not for its size"
    huge = service.client.post("/settings/mapping", data={"csrf_token": csrf, "document": field, "pasted": field * 2})
    assert huge.status_code == 413 and huge.text == "The request is too large (limit 2 MB)."


def test_a_header_block_over_the_limit_is_431(service: Service) -> None:
    response = service.client.get("/healthz", headers={"x-large": "a" * HEADER_LIMIT})
    assert response.status_code == 431 and response.text == "The request's headers are too large (limit 32 KB)."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with pms_sync_serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


def raw_request(served: Served, head: bytes, body: Iterable[bytes] = ()) -> bytes:
    """Send ``head`` (and ``body``) over a socket; what the server answered, even if it stopped
    reading what we sent."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as connection:
        try:
            connection.sendall(head)
            for chunk in body:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole request was sent
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize("size", [HEADER_LIMIT + 1024, 1 * MB])
def test_pms_sync_serve_answers_a_header_block_too_large_with_431(served: Served, size: int) -> None:
    """Up to h11's buffer the block is parsed and the app refuses it; past it, the server's parser
    does: both are 431, never a dropped connection or a 400."""
    answer = raw_request(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Large: " + b"a" * size + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert answer.endswith(b"The request's headers are too large (limit 32 KB).")


def test_pms_sync_serve_keeps_its_memory_under_a_300_mb_unauthenticated_post(served: Served) -> None:
    """Streamed (chunked) and declared (Content-Length): each is answered 413 once past 1 MB, and
    the client, still sending, gets the answer (the server drops the rest of the body unread)."""
    before = served.peak_memory_mb()
    headers = {"content-type": "application/json"}
    with httpx2.Client(base_url=served.url, timeout=60) as client:
        streamed = client.post("/embed/session", content=chunks(300 * MB, MB), headers=headers)
        assert "content-length" not in streamed.request.headers
        declared = client.post("/embed/session", content=b" " * (300 * MB), headers=headers)
        assert declared.request.headers["content-length"] == str(300 * MB)
        assert client.get("/healthz").text == "ok", "the same connection serves the next request"
    assert [(r.status_code, r.json()) for r in (streamed, declared)] == [(413, TOO_LARGE)] * 2
    after = served.peak_memory_mb()
    print(f"peak memory of pms-sync serve: {before:.0f} MB before, {after:.0f} MB after two 300 MB POSTs")
    assert after - before < 30, f"{before:.0f} MB -> {after:.0f} MB"
