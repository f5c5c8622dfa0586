"""Access tests: a real OpenID Connect provider (`oidc-provider` on Node.js, over loopback) and the
service in-process, with a person's trip through the provider driven by plain HTTP."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx2
import pytest

from plugin.settings import OidcProviderSettings
from sandbox.ports import bound_socket, port_of
from tests.views.conftest import SERVICE, Service, aderant_db, service  # noqa: F401

OIDC_DIR = Path(__file__).parent / "oidc"
INSTALL = "run `npm ci --prefix tests/access/oidc`"

# Accounts at the provider: the login names the account; any password is accepted.
ACCOUNTS = {
    "admin@firm.test": {"email": "Ada.Admin@Firm.test", "email_verified": True, "name": "Ada Admin"},
    "staff@firm.test": {"email": "staff@firm.test", "email_verified": True, "name": "Sid Staff"},
    "norole@firm.test": {"email": "norole@firm.test", "email_verified": True, "name": "Noel Norole"},
    "stranger@elsewhere.test": {"email": "stranger@elsewhere.test", "email_verified": True, "name": "Stan Stranger"},
    "upn-only": {"preferred_username": "Upn.User@Firm.test", "name": "Una Upn"},
}


@dataclass(frozen=True)
class Provider:
    issuer: str
    settings: tuple[OidcProviderSettings, ...]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The `oidc-provider` package run by Node.js, with one client per provider of ours."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"Node.js is not installed: the oidc-provider for these tests runs on it ({INSTALL})")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip(f"the oidc-provider package is not installed: {INSTALL}")
    listening = bound_socket()  # kept open until the provider has stopped
    port = port_of(listening)
    issuer = f"http://127.0.0.1:{port}"
    settings = tuple(
        OidcProviderSettings(name, issuer, f"pms-sync-{name}", f"secret-of-{name}") for name in ("alterspective", "entra")
    )
    clients = [
        {"client_id": p.client_id, "client_secret": p.client_secret, "redirect_uris": [f"{SERVICE}/sign-in/{p.name}/callback"]}
        for p in settings
    ]
    env = {**os.environ, "OIDC_FD": str(listening.fileno()), "OIDC_PORT": str(port), "OIDC_CLIENTS": json.dumps(clients), "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)}
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [node, "provider.mjs"], cwd=OIDC_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, pass_fds=(listening.fileno(),)
        )
    try:
        _wait_for_discovery(issuer, process, log)
        yield Provider(issuer, settings)
    finally:
        process.terminate()
        process.wait(timeout=10)
        listening.close()


def _wait_for_discovery(issuer: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the oidc-provider process stopped:\n{log.read_text()}")
        try:
            if httpx2.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the oidc-provider did not publish its discovery document in time:\n{log.read_text()}")


@pytest.fixture
def oidc_service(service: Service, oidc_provider: Provider) -> Service:  # noqa: F811
    """The service, configured with both providers (Alterspective and Entra ID) at the test provider."""
    runtime = service.client.app.state.runtime  # type: ignore[attr-defined]
    runtime.settings = dataclasses.replace(runtime.settings, oidc_providers=oidc_provider.settings)
    return service


class Browser:
    """The person's browser at the identity provider: follows its redirects and submits its forms
    (login, then consent) until it is sent back to PMS Sync; returns that URL."""

    def __init__(self) -> None:
        self.http = httpx2.Client(timeout=10)

    def log_in(self, authorize_url: str, login: str) -> str:
        response = self.http.get(authorize_url)
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(SERVICE):
                    return location
                response = self.http.get(location)
            elif response.status_code == 200:
                action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
                prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
                assert action and prompt, response.text
                form = {"prompt": prompt.group(1), "login": login, "password": "any password"}
                response = self.http.post(urljoin(str(response.url), action.group(1)), data=form)
            else:
                raise AssertionError(f"the provider answered {response.status_code}: {response.text[:500]}")
        raise AssertionError("the provider never sent the browser back to PMS Sync")
