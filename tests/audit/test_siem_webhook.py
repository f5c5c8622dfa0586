"""The SIEM webhook client: Standard Webhooks signing, headers, and how answers become errors."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import formatdate

import httpx2
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from clients.errors import RemoteAuthError, RemoteRejected, RemoteTimeout, RemoteUnavailable
from clients.siem import SiemEvent, SiemWebhook, WebhookGone, retry_after, sign, signing_key
from tests.audit.conftest import SIEM_SECRET, SIEM_URL, FakeSiem, verify

EVENT = SiemEvent("evt_1", "pms_sync.import.succeeded", datetime(2026, 12, 1, 9, 30, tzinfo=UTC), {"id": 1})
BODY = EVENT.body()


def test_signature_matches_the_standard_webhooks_vector() -> None:
    # The example of the Standard Webhooks README (standard-webhooks/standard-webhooks), recomputed with
    # Node 20: crypto.createHmac("sha256", Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64"))
    #   .update('msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}').digest("base64")
    key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


SECRET_BYTES = b"a-32-byte-secret-for-the-vectors"
WITH_PREFIX = "whsec_" + base64.b64encode(SECRET_BYTES).decode()
WITHOUT_PREFIX = base64.b64encode(SECRET_BYTES).decode()
UNPADDED = WITHOUT_PREFIX.rstrip("=")


@pytest.mark.parametrize("secret", [WITH_PREFIX, WITHOUT_PREFIX, UNPADDED, "whsec_" + UNPADDED])
def test_the_key_is_the_secret_base64_decoded_with_or_without_whsec_as_the_reference_library_does(secret: str) -> None:
    # standard-webhooks/standard-webhooks libraries/python/standardwebhooks/webhooks.py, Webhook.__init__:
    # the prefix is optional and the rest is base64-decoded (padding optional).
    assert signing_key(secret) == SECRET_BYTES
    expected = Webhook(secret).sign("evt_42", datetime.fromtimestamp(1700000000, UTC), BODY.decode())
    assert sign(signing_key(secret), "evt_42", 1700000000, BODY) == expected


@pytest.mark.parametrize("secret", ["plain-shared-secret", "my secret!!", "whsec_not base64!", "whsec_", "====", "A"])
def test_a_secret_that_is_not_base64_is_refused_in_plain_words(secret: str) -> None:
    # Before, a secret without whsec_ was used as its UTF-8 bytes, so a receiver using the reference
    # library derived another key (or none) and refused every event.
    with pytest.raises(ValueError, match="must be base64, optionally prefixed whsec_"):
        signing_key(secret)


@pytest.mark.parametrize("secret", [WITH_PREFIX, WITHOUT_PREFIX])
async def test_delivered_events_verify_with_the_standard_webhooks_library(
    http: httpx2.AsyncClient, siem: FakeSiem, secret: str
) -> None:
    # The PyPI package `standardwebhooks` (standard-webhooks/standard-webhooks,
    # libraries/python/standardwebhooks/webhooks.py) reads `webhook-id`, `webhook-timestamp` and
    # `webhook-signature` and signs `{id}.{timestamp}.{body}`; passing it proves ours are the same.
    await SiemWebhook(SIEM_URL, secret, http).deliver(replace(EVENT, id="evt_9"))

    [request] = siem.requests
    headers = dict(request.headers)
    assert Webhook(secret).verify(request.content, headers) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.content.replace(b"succeeded", b"failed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(base64.b64encode(b"some-other-secret-of-32-bytes!!!").decode()).verify(request.content, headers)


async def test_posts_the_exact_bytes_with_headers_a_receiver_verifies(http: httpx2.AsyncClient, siem: FakeSiem) -> None:
    await SiemWebhook(SIEM_URL, SIEM_SECRET, http).deliver(replace(EVENT, id="evt_7"))

    [request] = siem.requests
    assert request.method == "POST" and str(request.url) == SIEM_URL
    assert request.content == BODY
    assert json.loads(BODY) == {"type": "pms_sync.import.succeeded", "timestamp": "2026-12-01T09:30:00+00:00", "data": {"id": 1}}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "evt_7"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    assert request.headers["webhook-signature"].startswith("v1,")
    assert verify(SIEM_SECRET, request)
    assert not verify("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", request)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (500, RemoteUnavailable),
        (503, RemoteUnavailable),
        (429, RemoteUnavailable),
        (504, RemoteTimeout),
        (400, RemoteRejected),
        (401, RemoteAuthError),
        (410, WebhookGone),
    ],
)
async def test_error_answers_raise_typed_errors_naming_the_siem(
    http: httpx2.AsyncClient, siem: FakeSiem, status: int, error_type: type
) -> None:
    siem.respond = lambda request: httpx2.Response(status, json={"message": "no thanks"})
    with pytest.raises(error_type) as raised:
        await SiemWebhook(SIEM_URL, SIEM_SECRET, http, environment_name="Production").deliver(EVENT)
    assert raised.value.system == "SIEM" and raised.value.environment == "Production"
    assert retry_after(raised.value) is None


async def test_a_redirect_is_a_failure_and_is_not_followed(http: httpx2.AsyncClient, siem: FakeSiem) -> None:
    siem.respond = lambda request: httpx2.Response(307, headers={"Location": "https://elsewhere.example.test/"})
    with pytest.raises(RemoteRejected, match="HTTP 307"):
        await SiemWebhook(SIEM_URL, SIEM_SECRET, http).deliver(EVENT)
    assert len(siem.requests) == 1


async def test_connection_failures_and_timeouts(http: httpx2.AsyncClient, siem: FakeSiem) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    def stall(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    webhook = SiemWebhook(SIEM_URL, SIEM_SECRET, http)
    siem.respond = refuse
    with pytest.raises(RemoteUnavailable):
        await webhook.deliver(EVENT)
    siem.respond = stall
    with pytest.raises(RemoteTimeout):
        await webhook.deliver(EVENT)


async def test_the_timeout_is_applied_to_the_request(http: httpx2.AsyncClient, siem: FakeSiem) -> None:
    await SiemWebhook(SIEM_URL, SIEM_SECRET, http, timeout=7.5).deliver(EVENT)
    assert siem.requests[0].extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


async def test_retry_after_is_exposed_in_seconds_or_as_a_date(http: httpx2.AsyncClient, siem: FakeSiem) -> None:
    webhook = SiemWebhook(SIEM_URL, SIEM_SECRET, http)
    siem.respond = lambda request: httpx2.Response(429, headers={"Retry-After": "120"})
    with pytest.raises(RemoteUnavailable) as raised:
        await webhook.deliver(EVENT)
    assert retry_after(raised.value) == 120

    siem.respond = lambda request: httpx2.Response(503, headers={"Retry-After": formatdate(time.time() + 600, usegmt=True)})
    with pytest.raises(RemoteUnavailable) as raised:
        await webhook.deliver(EVENT)
    assert 590 <= (retry_after(raised.value) or 0) <= 600


async def test_errors_never_carry_the_secret_or_the_signature(http: httpx2.AsyncClient, siem: FakeSiem) -> None:
    def echo(request: httpx2.Request) -> httpx2.Response:
        signature = request.headers["webhook-signature"]
        return httpx2.Response(400, json={"message": f"bad {signature} or {signature[3:]} for {SIEM_SECRET[6:]}"})

    siem.respond = echo
    with pytest.raises(RemoteRejected) as raised:
        await SiemWebhook(SIEM_URL, SIEM_SECRET, http).deliver(EVENT)
    signature = siem.requests[0].headers["webhook-signature"]
    for leaked in (SIEM_SECRET[6:], signature[3:]):
        assert leaked not in str(raised.value)
    assert "***" in str(raised.value)


@pytest.mark.parametrize(
    ("url", "secret"),
    [(SIEM_URL, ""), (SIEM_URL, "whsec_not base64!"), (SIEM_URL, "plain-shared-secret"), ("ftp://siem.example.test/", SIEM_SECRET), ("not a url", SIEM_SECRET)],
)
def test_an_unusable_configuration_is_refused_without_quoting_the_secret(
    http: httpx2.AsyncClient, url: str, secret: str
) -> None:
    with pytest.raises(ValueError) as raised:
        SiemWebhook(url, secret, http)
    assert not secret or secret not in str(raised.value)
