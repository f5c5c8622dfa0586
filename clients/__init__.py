"""Adapters for the remote systems: the Aderant agent (direct or via Azure Relay) and Clio Operate.

Every failure is raised as a `clients.errors.RemoteError`; every answer is a typed value.
"""

from clients.aderant import AderantAgentClient
from clients.aderant_models import (
    Address,
    CodeDescription,
    Employee,
    MatterDetail,
    MatterStatus,
    MatterSummary,
    Page,
    Party,
)
from clients.clio_identity import ClioIdentity
from clients.clio_models import (
    OdsContact,
    ParticipantRole,
    Team,
    UserInfo,
    WorkItemRef,
    WorkType,
)
from clients.clio_operate import ClioOperateClient
from clients.errors import (
    RemoteAuthError,
    RemoteError,
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
)

__all__ = [
    "Address",
    "AderantAgentClient",
    "ClioIdentity",
    "ClioOperateClient",
    "CodeDescription",
    "Employee",
    "MatterDetail",
    "MatterStatus",
    "MatterSummary",
    "OdsContact",
    "Page",
    "ParticipantRole",
    "Party",
    "RemoteAuthError",
    "RemoteError",
    "RemoteNotFound",
    "RemoteRejected",
    "RemoteTimeout",
    "RemoteUnavailable",
    "Team",
    "UserInfo",
    "WorkItemRef",
    "WorkType",
]
