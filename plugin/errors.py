"""Errors a use case raises for the person asking; each message says what happened and what to do.

A remote system's failure reaches the pages as the client raised it (its message names the system,
the environment and what to do), re-exported here so that pages know the application only.
"""

from clients.errors import RemoteError, RemoteNotFound, RemoteTimeout

__all__ = [
    "Forbidden",
    "InvalidDocument",
    "InvalidInput",
    "NotConfigured",
    "NotFound",
    "RemoteError",
    "RemoteNotFound",
    "RemoteTimeout",
    "UseCaseError",
]


class UseCaseError(Exception):
    """Base: the message is shown to the user as it is."""


class InvalidInput(UseCaseError):
    pass


class InvalidDocument(InvalidInput):
    """A document (JSON pasted or uploaded) that does not validate; ``problems`` each start with the
    path of the value. A subclass names the document in ``refusal``, the message's opening."""

    refusal = "The document was not loaded"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{self.refusal}: " + "; ".join(problems))


class NotFound(UseCaseError):
    pass


class NotConfigured(UseCaseError):
    pass


class Forbidden(UseCaseError):
    pass
