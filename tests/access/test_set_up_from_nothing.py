"""A new organisation set up from nothing inside the product, as the README's steps say: the first
administrator made by `pms-sync admin bootstrap`, then everything else in the browser (here driven
over HTTP) on the one running service, with no file edit and no restart, up to a staff member's
first import. It prints how long the in-product part took the machine."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx2
import pytest
from starlette.testclient import TestClient

from plugin.settings import Settings
from sandbox.app import create_sandbox_app
from sandbox.clio.tokens import SigningKeys
from store.db import make_engine
from store.repository import Store
from store.secrets import SecretBox
from tests.access.conftest import Browser, Provider
from tests.connections.conftest import csrf, form_fields
from tests.connections.test_connection_check import HOP
from tests.views.conftest import AGENT_KEY, SANDBOX, SERVICE
from views.app import create_app
from views.cli import main

LOGIN, EMAIL = "admin@firm.test", "ada.admin@firm.test"  # an account at the OpenID Connect provider, and its e-mail


@pytest.fixture
def empty_service(
    database_url: str, aderant_db: str, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch,
    signing_keys: SigningKeys,
) -> Iterator[tuple[TestClient, object, Store]]:
    """The service with no organisation at all, the sandbox's tenants beside it."""
    key = SecretBox.generate_key()
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", key)
    sandbox = create_sandbox_app(
        base_url=SANDBOX, aderant_database_url=aderant_db, agent_api_key=AGENT_KEY, service_url=SERVICE,
        signing_keys=signing_keys,
    )
    settings = Settings(
        database_url=database_url, secret_keys=key, public_url=SERVICE, cookie_secure=False, oidc_providers=oidc_provider.settings
    )
    store = Store(make_engine(database_url), SecretBox(key))
    with TestClient(create_app(settings, transport=httpx2.ASGITransport(app=sandbox)), base_url=SERVICE) as client:
        yield client, sandbox, store
    store.engine.dispose()


def test_a_new_organisation_is_set_up_in_the_product_and_imports(empty_service, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    admin, sandbox, store = empty_service
    production = next(e for e in sandbox.state.sandbox.environments() if e["tenant"] == "production")

    # 1. The one command: the organisation and its first administrator.
    assert main(["admin", "bootstrap", "Harbour Legal", EMAIL, "--name", "Ada Admin"]) == 0
    capsys.readouterr()
    started = time.perf_counter()

    # 2. The administrator signs in outside Clio Operate and sees that nothing is configured yet.
    start = admin.get("/sign-in/alterspective", follow_redirects=False).headers["location"]
    assert admin.get(Browser().log_in(start, LOGIN), follow_redirects=False).status_code == 303
    assert "not configured" in admin.get("/").text

    # 3. Settings → Connections: add Production, as the README lists its settings.
    listing = admin.get("/settings/connections")
    added = admin.post("/settings/connections", data={
        "csrf_token": csrf(listing.text), "name": "Production",
        "agent_url": f"{SANDBOX}/aderant", "agent_key": AGENT_KEY,
        "identity_url": production["identity_url"], "api_url": production["api_url"],
        "client_id": production["client_id"], "client_secret": production["client_secret"],
        "portal_origins": SANDBOX, "admin_roles": "system-administrator",
    }, follow_redirects=False)
    assert added.status_code == 303, added.text
    edit = re.search(r"/settings/connections/(\d+)", added.headers["location"])
    assert edit is not None
    page = f"/settings/connections/{edit[1]}"

    # 4. Test connection: every hop answers.
    checked = admin.post(f"{page}/test", data={"csrf_token": csrf(admin.get(page).text)})
    assert [m["outcome"] for m in HOP.finditer(checked.text)] == ["ok"] * 4, checked.text

    # 5. Switch "Import writes" on.
    fields = {**form_fields(admin.get(page).text, page), "import_writes_enabled": "yes"}
    assert admin.post(page, data=fields, follow_redirects=False).status_code == 303
    setup_seconds = time.perf_counter() - started

    # 6. A staff member of the firm, in the Clio Operate portal, imports a matter.
    staff = {"Authorization": f"Bearer {sandbox.state.sandbox.tenants['production'].mint_user_token('staff@sandbox.test')}"}
    imported = admin.post("/api/v1/matters/82001/import", json={}, headers=staff)
    assert imported.status_code == 201, imported.text
    assert imported.json()["status"] == "imported"
    organisation = store.organisation_by_name("Harbour Legal")
    assert organisation is not None
    assert [h.matter_number for h in store.imports.history(organisation)] == ["82001"]
    with capsys.disabled():
        print(f"\n  set-up in the product (sign-in, add environment, Test connection, Import writes): {setup_seconds * 1000:.0f} ms")
