"""The sandbox's self-signed certificate: trusted through the service's CA bundle setting, for the
loopback names the sandbox is reached by, and by nothing else."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from clients.http import verification
from plugin.settings import Settings
from sandbox.tls import Certificate, self_signed_certificate


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, server_hostname: str) -> None:
    """A TLS handshake in memory, no socket: raises as the client would on a certificate it refuses."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_incoming, client_outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(client_incoming, client_outgoing, server_hostname=server_hostname)
    server_side = server.wrap_bio(to_server, to_client, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, side in (("client", client_side), ("server", server_side)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        to_server.write(client_outgoing.read())
        client_incoming.write(to_client.read())
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed_certificate(tmp_path / "tls")


@pytest.fixture
def server(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.certificate_file, certificate.key_file)
    return context


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_the_ca_bundle_setting_trusts_the_sandbox_on_loopback(
    certificate: Certificate, server: ssl.SSLContext, name: str
) -> None:
    trusting = verification(Settings.from_env({"PMS_SYNC_CA_BUNDLE": str(certificate.certificate_file)}).ca_bundle)
    assert isinstance(trusting, ssl.SSLContext)
    handshake(trusting, server, name)


def test_the_certificate_names_no_other_host(certificate: Certificate, server: ssl.SSLContext) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(ssl.create_default_context(cafile=certificate.certificate_file), server, "clio.example.com")


def test_without_the_setting_the_default_authorities_refuse_it(server: ssl.SSLContext) -> None:
    assert verification(Settings.from_env({}).ca_bundle) is True  # httpx's default bundle
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(ssl.create_default_context(), server, "localhost")


def test_the_key_is_readable_by_its_owner_only(certificate: Certificate) -> None:
    assert certificate.key_file.stat().st_mode & 0o077 == 0
