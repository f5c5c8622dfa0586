"""Constants and sample payloads shared by the client tests; the Aderant agent's payloads are its
own answers (tests/clients/agent_answers.py)."""

from typing import Any

from tests.clients.agent_answers import agent_answer

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
    """A `GET /v1/matters` item as the agent gives it (the sandbox's matter 82001), numbered `matter_uno`."""
    [matter] = agent_answer("/v1/matters?q=82001")["items"]
    return {**matter, "matter_uno": matter_uno, "matter_number": str(matter_uno), **overrides}


def party_json(name_uno: int, **overrides: Any) -> dict[str, Any]:
    """A party as the agent gives it (the sandbox's first party of matter 82001, a person), numbered `name_uno`."""
    party = agent_answer("/v1/matters/82001")["matter"]["parties"][0]
    return {**party, "name_uno": name_uno, **overrides}


def detail_json(matter_uno: int = 82001, **overrides: Any) -> dict[str, Any]:
    """A `GET /v1/matter-details` item as the agent gives it (the sandbox's matter 82001), numbered `matter_uno`."""
    [matter] = agent_answer("/v1/matter-details?ids=82001")["items"]
    return {**matter, "matter_uno": matter_uno, "matter_number": str(matter_uno), **overrides}


def status_json(matter_uno: int = 82002, **overrides: Any) -> dict[str, Any]:
    """A `GET /v1/matter-statuses` item as the agent gives it (the sandbox's closed matter 82002), numbered `matter_uno`."""
    [status] = agent_answer("/v1/matter-statuses?ids=82002")["items"]
    return {**status, "matter_uno": matter_uno, "matter_number": str(matter_uno), **overrides}
