"""What a caller of the API reads when a remote system fails: the status, one plain sentence naming
the system and the environment, and what to do next."""

from __future__ import annotations

import pytest

from tests.views.conftest import Service

RETRY_SHORTLY = ". Try again shortly; if it keeps happening, ask your administrator to check the connection."
RETRY = ". Try again; if it keeps happening, ask your administrator to check the connection."


@pytest.mark.parametrize(
    ("agent_status", "status", "starts", "ends"),
    [
        (503, 502, "Aderant is not reachable for Production: it answered HTTP 503", RETRY_SHORTLY),
        (504, 504, "Aderant did not answer in time for Production: it answered HTTP 504", RETRY),
        (401, 502, "Aderant refused our credentials for Production: check the agent API key", RETRY_SHORTLY),
        (400, 502, "Aderant rejected the request for Production: ", RETRY_SHORTLY),
    ],
)
def test_a_failing_agent_is_reported_in_plain_words_with_what_to_do(
    service: Service, agent_status: int, status: int, starts: str, ends: str
) -> None:
    service.faults.add("/aderant/*", status=agent_status)
    response = service.client.get("/api/v1/matters", params={"q": "82001"}, headers=service.bearer())
    assert response.status_code == status
    message = response.json()["error"]
    assert message.startswith(starts) and message.endswith(ends), message
    assert "\n" not in message
