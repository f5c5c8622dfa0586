"""No secret, token or credential-bearing query string in any log line, at any level: a full run
over loopback (sign in, search, preview, import, Settings save, a schedule's "Run now" posting to
Teams, SIEM delivery) with every record of every logger captured at DEBUG."""

from __future__ import annotations

import base64
import logging
import re
import secrets
import time

import httpx2
import pytest

from plugin.settings import Settings
from sandbox.aderant_db import create_aderant_db
from sandbox.app import create_sandbox_app
from sandbox.ports import bound_socket, port_of
from store.db import make_engine
from store.repository import Store
from store.secrets import SecretBox
from tests.connections.conftest import form_fields
from tests.hardening.loopback import CredentialRecorder, SiemReceiver, serving
from tests.hardening.served import pms_sync_serve
from views.app import create_app
from views.demo import configure_sandbox_organisation
from views.logs import configure_logging

AGENT_KEY = "agent-key-" + secrets.token_urlsafe(16)
TEAMS_SIG = "teams-sig-" + secrets.token_urlsafe(16)
SIEM_URL_TOKEN = "siem-code-" + secrets.token_urlsafe(16)
SIEM_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


@pytest.fixture
def aderant_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'aderant.db'}"
    create_aderant_db(url, generated_matters=50)
    return url


def test_no_secret_reaches_any_log_line(database_url: str, aderant_url: str, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("DEBUG")  # as `pms-sync serve` and `pms-sync demo` do
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # another test's uvicorn.Config may have raised them
        caplog.set_level(logging.DEBUG, logger=name)
    service_socket, sandbox_socket, siem_socket = bound_socket(), bound_socket(), bound_socket()
    service_url, sandbox_url, siem_url = (f"http://127.0.0.1:{port_of(s)}" for s in (service_socket, sandbox_socket, siem_socket))
    sandbox = create_sandbox_app(
        base_url=sandbox_url, aderant_database_url=aderant_url, agent_api_key=AGENT_KEY, service_url=service_url
    )
    recorder = CredentialRecorder(sandbox)
    siem = SiemReceiver()
    key = SecretBox.generate_key()
    store = Store(make_engine(database_url), SecretBox(key))
    environments = sandbox.state.sandbox.environments()
    configure_sandbox_organisation(store, environments, agent_url=f"{sandbox_url}/aderant", agent_key=AGENT_KEY)
    settings = Settings(database_url=database_url, secret_keys=key, public_url=service_url, cookie_secure=False)
    known = {"client secret": environments[0]["client_secret"], "agent key": AGENT_KEY, "Teams sig": TEAMS_SIG,
             "SIEM secret": SIEM_SECRET, "SIEM URL token": SIEM_URL_TOKEN}

    with serving([(service_socket, create_app(settings, scheduler_tick=3600)), (sandbox_socket, recorder), (siem_socket, siem.app())]):
        user_token = sandbox.state.sandbox.tenants["production"].mint_user_token("admin@sandbox.test")
        known["user token"] = user_token
        with httpx2.Client(base_url=service_url, timeout=30, headers={"Origin": service_url}) as client:
            signed_in = client.post("/embed/session", json={"token": user_token, "portal_origin": sandbox_url})
            assert signed_in.status_code == 200, signed_in.text
            known["session cookie"] = next(iter(client.cookies.values()))
            search = client.get("/", params={"q": "82001"})
            assert search.status_code == 200 and "Harbour Holdings" in search.text
            known["CSRF token"] = token = csrf(search.text)
            assert client.get("/matters/82001/preview").status_code == 200
            imported = client.post("/api/v1/matters/82001/import", json={}, headers={"X-CSRF-Token": token})
            assert imported.status_code == 201, imported.text
            api = client.get("/api/v1/matters", params={"q": "Mary Citizen"}, headers={"Authorization": f"Bearer {user_token}"})
            assert api.status_code == 200

            edit = client.get("/settings/connections/1").text
            fields = {**form_fields(edit, "/settings/connections/1"), "csrf_token": token,
                      "siem_url": f"{siem_url}/audit?code={SIEM_URL_TOKEN}", "siem_secret": SIEM_SECRET}
            saved = client.post("/settings/connections/1", data=fields, follow_redirects=False)
            assert saved.status_code == 303, saved.text

            schedule = {"csrf_token": token, "enabled": "on", "interval_minutes": "60", "closed_phase": "matter-closed",
                        "auto_import_clients": "CL080001", "auto_import_since": "2020-01-01",
                        "teams_webhook": f"{sandbox_url}/teams/pms-sync?api-version=1&sig={TEAMS_SIG}"}
            assert client.post("/history/schedule?environment=1", data=schedule, follow_redirects=False).status_code == 303
            run = client.post("/history/schedule/run?environment=1", data={"csrf_token": token}, follow_redirects=False)
            assert run.status_code == 303, run.text
            assert sandbox.state.sandbox.teams.messages.get("pms-sync"), "the run posted to Teams"

            deadline = time.monotonic() + 20
            while not any(b"settings." in e for e in siem.events) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert any(b"settings." in e for e in siem.events), "the SIEM received the Settings change"

    known.update({f"bearer token {i}": t for i, t in enumerate(sorted(recorder.seen))})
    assert len(recorder.seen) >= 2, "the service's own tokens and the agent key were seen by the sandbox"
    lines = caplog.text.splitlines() + [r.getMessage() for r in caplog.records]
    assert len(caplog.records) > 100
    leaks = sorted({f"{name} in: {line[:200]}" for line in lines for name, value in known.items() if value in line})
    assert leaks == []
    assert any("/teams/pms-sync?api-version=***&sig=***" in r.getMessage() for r in caplog.records), "logged, redacted"


def test_pms_sync_serve_keeps_query_values_out_of_its_access_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As the command configures uvicorn (its own log configuration applied after ours): an OpenID
    Connect callback's code is a credential in a query string."""
    code = "code-" + secrets.token_urlsafe(16)
    with pms_sync_serve(tmp_path) as served:
        httpx2.get(f"{served.url}/sign-in/entra/callback", params={"code": code, "state": "s"})
        httpx2.get(f"{served.url}/healthz", params={"token": code})
    log = (tmp_path / "serve.log").read_text()
    assert '"GET /sign-in/entra/callback?code=***&state=*** HTTP/1.1" 404' in log
    assert '"GET /healthz?token=*** HTTP/1.1" 200' in log
    assert code not in log
