"""Organisation-level audit events reach the SIEM through the running service: a member added on
Settings → Members (a form post with its CSRF token) and a sign-in outside Clio Operate refused
(OpenID Connect, a real provider over loopback: tests/access/conftest.py) are delivered by the
service's own audit delivery to a SIEM webhook served over loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx2
import pytest
from starlette.applications import Starlette

from sandbox.ports import bound_socket, port_of
from tests.access.conftest import Service, oidc_provider, oidc_service  # noqa: F401
from tests.access.test_members_page import PAGE, post
from tests.access.test_oidc_sign_in import sign_in
from tests.boundary.conftest import ADMIN, PRODUCTION
from tests.connections.conftest import submit
from tests.hardening.loopback import LoopbackOrApp, SiemReceiver, serving

SIEM_SECRET = "c2llbS1zZWNyZXQtZm9yLW9yZ2FuaXNhdGlvbi1ldmVudHM="
CONNECTION = f"/settings/connections/{PRODUCTION}"
DELIVERY_DEADLINE = 20  # seconds: the service's delivery looks for pending events every 2 s


@pytest.fixture
def remote_transport() -> Callable[[Starlette], httpx2.AsyncBaseTransport]:
    """The sandbox in-process, and the SIEM over loopback."""
    return LoopbackOrApp


@pytest.fixture
def siem() -> Iterator[tuple[SiemReceiver, str]]:
    receiver = SiemReceiver()
    sock = bound_socket()
    with serving([(sock, receiver.app())]):
        yield receiver, f"http://127.0.0.1:{port_of(sock)}/audit"


def delivered(receiver: SiemReceiver, wanted: set[str]) -> list[dict]:
    """The events the SIEM received, once it has every type in `wanted` (or the deadline passed)."""
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while True:
        bodies = [json.loads(event) for event in receiver.events]
        if wanted <= {b["data"]["event"] for b in bodies} or time.monotonic() > deadline:
            return bodies
        time.sleep(0.1)


def test_a_member_change_and_a_refused_oidc_sign_in_reach_the_siem(
    oidc_service: Service, siem: tuple[SiemReceiver, str]  # noqa: F811
) -> None:
    service, (receiver, siem_url) = oidc_service, siem
    assert service.sign_in(ADMIN).status_code == 200
    saved = submit(service, CONNECTION, CONNECTION, siem_url=siem_url, siem_secret=SIEM_SECRET)
    assert saved.status_code == 303, saved.text

    forged = post(service, PAGE, {"email": "forged@firm.test", "role": "staff"}, token="forged")
    assert forged.status_code == 403
    added = post(service, PAGE, {"email": "norole@firm.test", "display_name": "Noel Norole", "role": ""})
    assert added.status_code == 303, added.text
    refused = sign_in(service, "norole@firm.test")  # a member, but without a role: refused
    assert refused.status_code == 403 and "Sign-in refused" in refused.text

    bodies = delivered(receiver, {"member.added", "sign_in.refused"})
    organisation_events = [b for b in bodies if b["data"]["environment_id"] is None]
    assert [(b["type"], b["data"].get("email"), b["data"].get("method")) for b in organisation_events] == [
        ("pms_sync.member.added", "norole@firm.test", None),
        ("pms_sync.sign_in.refused", None, "oidc"),
    ], "each once, in order; the forged form added nobody"
    member, refusal = (b["data"] for b in organisation_events)
    assert member["actor"] == ADMIN and member["organisation_id"] == service.organisation_id
    assert refusal["actor"] == "norole@firm.test" and "no role on PMS Sync" in refusal["reason"]
    assert refusal["organisation_id"] == service.organisation_id
