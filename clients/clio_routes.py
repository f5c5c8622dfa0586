"""Every Clio Operate (Sharedo) route PMS Sync calls, in one table, each with its public source.

A tenant that disagrees is handled without a code change: an environment's
`clio_settings["routes"]` maps a route name to another path template (Settings → Connections →
Advanced), which `ClioRoutes.with_overrides` applies after `route_override_problems` accepted it.
docs/remote-shapes.md lists the same table with the tests that pin each shape.

Confidence tags as in reference/sharedo-api.md: [C] Sharedo Ltd's own code, [C-3p] partner code
run against real tenants, [R] a route name only, [I] inferred.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Literal
from urllib.parse import quote

Confidence = Literal["C", "C-3p", "R", "I"]
MAX_PATH_LENGTH = 300


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # a template: {name} placeholders are filled with URL-quoted values
    confidence: Confidence
    source: str  # repository and file the shape follows, or why it is configurable

    @property
    def placeholders(self) -> frozenset[str]:
        return placeholders(self.path)

    def url_path(self, **values: str) -> str:
        return self.path.format(**{name: quote(value, safe="") for name, value in values.items()})


@dataclass(frozen=True)
class ClioRoutes:
    """The routes of one tenant; the defaults are the documented ones. `token` and `discovery` are
    on the identity server, every other route on the API host."""

    token: Route = Route(
        "POST", "/connect/token", "C",
        "sharedo-tech/sharedo-auth-samples (client credentials, scope sharedo)",
    )
    discovery: Route = Route(
        "GET", "/.well-known/openid-configuration", "I",
        "configurable: OpenID Connect Discovery 1.0 section 4 ({issuer}/.well-known/openid-configuration); "
        "the identity server is an OpenID provider (sharedo-tech/sharedo-auth-samples "
        "authCode/outlookPlugin/Sharedo.Api/Security/TokenClient.cs asks for scope openid); "
        "no Sharedo code reads the document, so the path is inferred; the keys are at its jwks_uri",
    )
    user_info: Route = Route(
        "GET", "/api/security/userInfo", "C",
        "sharedo-tech/sharedo-auth-samples authCode/outlookPlugin/Sharedo.Api/Services/Models/UserClaim.cs",
    )
    ods_search: Route = Route(
        "POST", "/api/ods/_search", "C-3p",
        "Alter-Igor/Test src/WebBased/Common/OdsHelper.ts, src/Typings/api/ods/_search.d.ts",
    )
    team_search: Route = Route(
        "POST", "/api/ods/teams/_search", "R",
        "configurable: no public source for the body (route name only)",
    )
    create_person: Route = Route(
        "POST", "/api/public/v1/people", "C-3p",
        "Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js",
    )
    create_organisation: Route = Route(
        "POST", "/api/v2/public/organisation", "C-3p",
        "Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js",
    )
    create_work_item: Route = Route(
        "POST", "/api/v1/public/workItem", "C",
        "sharedo-tech/sharedo_ide CreateInstructionFileUpload/src/agent.js",
    )
    find_work_items: Route = Route(
        "POST", "/api/v1/public/workItem/findByQuery", "C",
        "sharedo-tech/forum2024-02-S3 IDE/Demo01/PMSWidget/PMSWidgetAgent.js",
    )
    work_item_phase: Route = Route(
        "GET", "/api/v1/public/workItem/{id}/phase", "C",
        "sharedo-tech/sharedo-sample-mobile-app src/agents/phasesAgent.js",
    )
    change_phase: Route = Route(
        "PUT", "/api/v1/public/workItem/{id}/phase", "C",
        "sharedo-tech/sharedo-sample-mobile-app src/agents/phasesAgent.js",
    )
    get_work_item: Route = Route(
        "GET", "/api/v1/public/workItem/{id}", "C",
        "sharedo-tech/sharedo-sample-mobile-app src/views/WorkItems/EditWorkItem.vue",
    )
    update_work_item: Route = Route(
        "PUT", "/api/v1/public/workItem/{id}", "C",
        "the tenant's swagger (PUT with the shape GET answers); read, change, send back as "
        "sharedo-tech/sharedo-sample-mobile-app src/views/WorkItems/EditWorkItem.vue does",
    )
    set_attribute: Route = Route(
        "POST", "/api/v1/public/workItem/{id}/attributes/{name}", "C",
        "sharedo-tech/forum2024-02-S3 IDE/Demo01/PMSWidget/PMSWidgetAgent.js ({value}, null clears)",
    )
    add_participant: Route = Route(
        "POST", "/api/v2/public/workItem/{id}/participants", "I",
        "configurable: the route name is public, its body is not; PMS Sync sends one entry of the "
        "create call's participants ({roleSystemName, odsId, odsType, odsReference})",
    )
    work_item_participants: Route = Route(
        "GET", "/api/v2/public/workItem/{id}/participants", "C",
        "sharedo-tech/sharedo-sample-mobile-app Participants.vue",
    )
    work_type_tree: Route = Route(
        "GET", "/api/v2/public/types/tree", "C",
        "sharedo-tech/sharedo-mobile-core src/infra/typesTree.js",
    )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def route(self, name: str) -> Route:
        return getattr(self, name)

    def with_overrides(self, paths: Mapping[str, str] | None) -> ClioRoutes:
        """These routes with the paths `paths` gives by route name (already validated)."""
        if not paths:
            return self
        return replace(self, **{name: replace(self.route(name), path=path) for name, path in paths.items()})


DEFAULT_ROUTES = ClioRoutes()


def placeholders(path: str) -> frozenset[str]:
    """The {name} placeholders of a path template; ValueError when it is not a valid template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(path) if name is not None)


def route_override_problems(paths: Mapping[str, str]) -> list[str]:
    """What is wrong with a map of route name → path template, as plain sentences (empty: fine)."""
    problems = []
    known = ClioRoutes.names()
    for name, path in paths.items():
        if name not in known:
            problems.append(f"{name} is not a Clio Operate route PMS Sync calls (known: {', '.join(known)}).")
            continue
        default = DEFAULT_ROUTES.route(name)
        if not path.startswith("/") or path.startswith("//"):
            problems.append(f"The path of {name} must start with a single /, e.g. {default.path}.")
            continue
        if len(path) > MAX_PATH_LENGTH or any(c.isspace() or c in "?#" for c in path):
            problems.append(f"The path of {name} must be a plain path of at most {MAX_PATH_LENGTH} characters.")
            continue
        try:
            found = placeholders(path)
        except ValueError:
            problems.append(f"The path of {name} has an unbalanced {{ or }}.")
            continue
        if found != default.placeholders:
            expected = ", ".join(f"{{{p}}}" for p in sorted(default.placeholders)) or "none"
            problems.append(f"The path of {name} must have the placeholders {expected}, as {default.path} does.")
    return problems
