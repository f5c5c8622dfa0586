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
    FormField,
    OdsContact,
    ParticipantRole,
    ParticipantType,
    PhaseTransition,
    Team,
    UserInfo,
    WorkItemPhase,
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
    "FormField",
    "MatterDetail",
    "MatterStatus",
    "MatterSummary",
    "OdsContact",
    "Page",
    "ParticipantRole",
    "ParticipantType",
    "Party",
    "PhaseTransition",
    "RemoteAuthError",
    "RemoteError",
    "RemoteNotFound",
    "RemoteRejected",
    "RemoteTimeout",
    "RemoteUnavailable",
    "Team",
    "UserInfo",
    "WorkItemPhase",
    "WorkItemRef",
    "WorkType",
]
