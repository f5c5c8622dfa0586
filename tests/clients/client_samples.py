"""Constants and sample payloads shared by the client tests (shapes from agent/README.md and
sandbox/README.md)."""

from typing import Any

AGENT_URL = "http://agent.test:4102"
RELAY_URL = "https://contoso-relay.servicebus.windows.net/pms-agent-uat"
AGENT_KEY = "agent-key-Secret-0001"
RELAY_KEY_NAME = "pms-sync-send"
RELAY_KEY = "relay-key-Secret-0002"

IDENTITY_URL = "https://uat-identity.sharedo.test"
API_URL = "https://uat.sharedo.test"
CLIENT_ID = "pms-sync"
CLIENT_SECRET = "client-secret-Secret-0003"


def assert_no_secrets(error: Exception, *extra: str) -> None:
    """No key, secret or token may appear in what a page would show."""
    text = str(error) + " " + str(getattr(error, "detail", ""))
    for secret in (AGENT_KEY, RELAY_KEY, CLIENT_SECRET, *extra):
        assert secret not in text


def summary_json(matter_uno: int = 82001, **overrides: Any) -> dict[str, Any]:
    return {
        "matter_uno": matter_uno,
        "matter_number": str(matter_uno),
        "title": "Acme v Widget Co",
        "client_uno": 8001,
        "client_code": "CL080001",
        "client_name": "Harbour Holdings Pty Ltd",
        "status": "OPEN",
        "status_description": "Open",
        "closed": False,
        "open_date": "2026-03-02",
        "close_date": None,
        **overrides,
    }


def party_json(name_uno: int, **overrides: Any) -> dict[str, Any]:
    return {
        "name_uno": name_uno,
        "kind": "person",
        "display_name": f"Person {name_uno}",
        "first_name": "Person",
        "middle_name": None,
        "last_name": str(name_uno),
        "organisation_name": None,
        "role_code": "ADV",
        "role": "Adverse party",
        "email": f"p{name_uno}@example.com",
        "phone": None,
        "address": None,
        **overrides,
    }
