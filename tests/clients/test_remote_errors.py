"""The wording of remote errors, as the pages show them."""

import pytest

from clients.errors import (
    RemoteAuthError,
    RemoteError,
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            RemoteUnavailable("Aderant", "UAT", "connection refused"),
            "Aderant is not reachable for UAT: connection refused",
        ),
        (RemoteTimeout("Aderant", "UAT", "HTTP 504"), "Aderant did not answer in time for UAT: HTTP 504"),
        (
            RemoteAuthError("Clio Operate", "UAT", "check the client id and secret"),
            "Clio Operate refused our credentials for UAT: check the client id and secret",
        ),
        (RemoteNotFound("Aderant", "UAT", "Matter 999 was not found"), "Matter 999 was not found in Aderant (UAT)"),
        (
            RemoteRejected("Clio Operate", "Production", "Unknown work type"),
            "Clio Operate rejected the request for Production: Unknown work type",
        ),
    ],
)
def test_messages_read_as_plain_sentences(error: RemoteError, expected: str) -> None:
    assert str(error) == expected
