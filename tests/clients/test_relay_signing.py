"""Azure Relay SAS signing (reference/relay-teams-siem.md §1.3)."""

import pytest

from clients.relay import RelaySigner, is_relay_url, relay_resource_uri, sas_token

VECTOR_URI = "http://contoso-relay.servicebus.windows.net/pms-agent-uat"
VECTOR_KEY_NAME = "pms-sync-send"
VECTOR_KEY = "Zm9vYmFyK2Jhei9xdXV4PT0rLz0hIGtleQ=="  # base64-looking on purpose: must NOT be decoded
VECTOR_EXPIRY = 1767225604  # picked so the signature contains "+", "/" and "="
# Produced independently with Node 20, the way Microsoft's hyco-https createRelayToken does it:
#   node -e "const c=require('crypto'); const uri='http://contoso-relay.servicebus.windows.net/pms-agent-uat';
#     const e=1767225604; const enc=encodeURIComponent(uri);
#     const sig=c.createHmac('sha256','Zm9vYmFyK2Jhei9xdXV4PT0rLz0hIGtleQ==').update(enc+'\n'+e).digest('base64');
#     console.log('SharedAccessSignature sr='+enc+'&sig='+encodeURIComponent(sig)+'&se='+e+'&skn=pms-sync-send')"
VECTOR_TOKEN = (
    "SharedAccessSignature sr=http%3A%2F%2Fcontoso-relay.servicebus.windows.net%2Fpms-agent-uat"
    "&sig=lPIva2QHgHyHSgBGl%2FJhd9xoLn%2BPulLSsX69KnSpHUQ%3D&se=1767225604&skn=pms-sync-send"
)


def test_sas_token_matches_the_node_vector() -> None:
    assert sas_token(VECTOR_URI, VECTOR_KEY_NAME, VECTOR_KEY, VECTOR_EXPIRY) == VECTOR_TOKEN


def test_sas_token_changes_with_expiry() -> None:
    assert sas_token(VECTOR_URI, VECTOR_KEY_NAME, VECTOR_KEY, VECTOR_EXPIRY + 1) != VECTOR_TOKEN


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://contoso-relay.servicebus.windows.net/pms-agent-uat", True),
        ("https://CONTOSO-relay.ServiceBus.Windows.net/pms-agent-uat/v1/health", True),
        ("http://agent.test:4102", False),
        ("https://servicebus.windows.net.evil.test/x", False),
    ],
)
def test_is_relay_url(url: str, expected: bool) -> None:
    assert is_relay_url(url) is expected


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso-relay.servicebus.windows.net/pms-agent-uat",
        "https://contoso-relay.servicebus.windows.net/pms-agent-uat/",
        "https://contoso-relay.servicebus.windows.net:443/pms-agent-uat/v1/matters?q=acme#frag",
        "wss://contoso-relay.servicebus.windows.net/$hc/pms-agent-uat?sb-hc-action=connect",
    ],
)
def test_resource_uri_is_http_namespace_and_first_path_segment(url: str) -> None:
    assert relay_resource_uri(url) == VECTOR_URI


def test_resource_uri_needs_a_hybrid_connection_path() -> None:
    with pytest.raises(ValueError):
        relay_resource_uri("https://contoso-relay.servicebus.windows.net/")


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_signer_caches_for_an_hour_and_renews_five_minutes_before_expiry() -> None:
    clock = FakeClock(1_767_222_000.4)
    signer = RelaySigner(VECTOR_URI, VECTOR_KEY_NAME, VECTOR_KEY, clock=clock)

    first = signer.token()
    assert first == sas_token(VECTOR_URI, VECTOR_KEY_NAME, VECTOR_KEY, 1_767_222_000 + 3600)

    clock.now += 3600 - 300 - 1  # just before the renewal point
    assert signer.token() == first

    clock.now += 1  # five minutes before expiry
    renewed = signer.token()
    assert renewed == sas_token(VECTOR_URI, VECTOR_KEY_NAME, VECTOR_KEY, int(clock.now) + 3600)
