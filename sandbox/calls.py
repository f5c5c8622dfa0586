"""Reading the sandbox's call log: which remote system each call went to, and how many round
trips had to wait for one another.

Calls are `sandbox.faults.Call` records (in-process) or the dicts `GET /_sandbox/calls` returns;
both carry `path`, `started` and `finished` (seconds since the epoch).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Literal

System = Literal["aderant", "clio-operate", "other"]

AGENT_PREFIXES = ("/aderant/", "/relay/aderant/")
"""The agent, reached directly or through the stand-in Azure Relay."""
CLIO_OPERATE_PARTS = frozenset({"identity", "api"})
"""`/{tenant}/identity/...` and `/{tenant}/api/...` are Clio Operate; `/{tenant}/portal/` is the
portal page a browser loads, not a call of the service."""


def _field(call: Any, name: str) -> Any:
    return call[name] if isinstance(call, Mapping) else getattr(call, name)


def remote_system(path: str) -> System:
    """The remote system a sandbox path stands for."""
    if any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in AGENT_PREFIXES):
        return "aderant"
    parts = path.split("/")
    if len(parts) > 2 and parts[2] in CLIO_OPERATE_PARTS:
        return "clio-operate"
    return "other"


def count_by_system(calls: Iterable[Any]) -> Counter[System]:
    """How many calls went to each remote system."""
    return Counter(remote_system(_field(call, "path")) for call in calls)


def sequential_depth(calls: Iterable[Any]) -> int:
    """The longest chain of calls in which each starts after the previous one finished.

    Calls made at once (overlapping in time) count once; calls that had to wait for an answer
    count one each. 0 for no calls.
    """
    spans = sorted((float(_field(c, "started")), float(_field(c, "finished"))) for c in calls)
    depth: list[int] = []
    for started, _ in spans:
        before = [depth[j] for j in range(len(depth)) if spans[j][1] <= started]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)
