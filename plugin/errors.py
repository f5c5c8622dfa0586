"""Errors a use case raises for the person asking; each message says what happened and what to do."""


class UseCaseError(Exception):
    """Base: the message is shown to the user as it is."""


class InvalidInput(UseCaseError):
    pass


class NotFound(UseCaseError):
    pass


class NotConfigured(UseCaseError):
    pass


class Forbidden(UseCaseError):
    pass
