"""Settings → Connections: an organisation's environments, for its administrators.

The views check that the caller is an administrator; every use case here is scoped by the
organisation it is given. Secrets go into the store and never come back out to a page: a form
only learns whether each one is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

from clients.clio_routes import ClioRoutes, route_override_problems
from clients.relay import RELAY_HOST_SUFFIX
from clients.siem import signing_key
from plugin.clio_settings import TEAM_SEARCH_BODIES, ClioShapeSettings, is_team_search_body
from plugin.errors import InvalidInput, NotFound
from plugin.services import EnvironmentSettings, Services
from store.environments import EnvironmentConflict, EnvironmentRef, EnvironmentValues, LastCheck, normalise_issuer
from store.repository import Store

T = TypeVar("T")

SECRETS = ("agent_key", "relay_key", "client_secret", "siem_secret")
PLAIN = (
    "name", "identity_url", "api_url", "client_id", "agent_url", "relay_key_name", "portal_origins", "portal_page_url",
    "admin_roles", "staff_roles", "siem_url",
)
LABELS = {
    "name": "Name",
    "agent_url": "Aderant agent URL",
    "agent_key": "Aderant agent key",
    "relay_key_name": "SAS Rule Name",
    "relay_key": "Azure Relay SAS Key",
    "identity_url": "Clio Operate identity URL",
    "api_url": "Clio Operate API URL",
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "portal_origins": "Portal origins",
    "portal_page_url": "Portal page URL",
    "siem_url": "SIEM webhook URL",
    "siem_secret": "SIEM signing secret",
    "clio_routes": "Clio Operate routes",
    "clio_user_participant_role": "Importing user's participant role",
    "clio_team_search_body": "Team search body",
}
# Advanced Clio Operate settings: a form that leaves one out keeps its saved value.
CLIO_FIELDS = ("clio_routes", "clio_user_participant_role", "clio_team_search_body")
SYSTEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MAX_LENGTHS = {"name": 100, "client_id": 200, "relay_key_name": 200}
MAX_URL_LENGTH = 500
NOT_FOUND = "There is no such environment in your organisation: pick one from Settings → Connections."


@dataclass(frozen=True)
class ConnectionForm:
    """An environment as the settings form shows it: never a secret, only whether each is set."""

    id: int | None = None
    is_default: bool = False
    name: str = ""
    identity_url: str = ""
    api_url: str = ""
    client_id: str = ""
    agent_url: str = ""
    relay_key_name: str = ""
    portal_origins: str = ""  # one per line
    portal_page_url: str = ""
    admin_roles: str = ""  # one per line
    staff_roles: str = ""  # one per line
    siem_url: str = ""
    import_writes_enabled: bool = False
    secrets_set: frozenset[str] = frozenset()
    clio_routes: str = ""  # one "name = /path" per line: the routes that differ from the documented ones
    clio_user_participant_role: str = ClioShapeSettings().user_participant_role or ""  # empty: not added
    clio_team_search_body: str = ClioShapeSettings().team_search_body
    stored_clio_settings: Mapping[str, object] = field(default_factory=dict, hash=False, compare=False)
    last_check: LastCheck | None = field(default=None, hash=False, compare=False)  # the last Test connection

    @classmethod
    def of(cls, env: EnvironmentSettings) -> ConnectionForm:
        shapes = ClioShapeSettings.of(env.clio_settings)
        return cls(
            id=env.id,
            is_default=env.is_default,
            name=env.name,
            identity_url=env.identity_url,
            api_url=env.api_url,
            client_id=env.client_id,
            agent_url=env.agent_url,
            relay_key_name=env.relay_key_name or "",
            portal_origins="\n".join(env.portal_origins),
            portal_page_url=env.portal_page_url or "",
            admin_roles="\n".join(env.admin_roles),
            staff_roles="\n".join(env.staff_roles),
            siem_url=env.siem_url or "",
            import_writes_enabled=env.import_writes_enabled,
            secrets_set=frozenset(name for name in SECRETS if getattr(env, name)),
            clio_routes="\n".join(f"{name} = {path}" for name, path in sorted(shapes.routes.items())),
            clio_user_participant_role=shapes.user_participant_role or "",
            clio_team_search_body=shapes.team_search_body,
            stored_clio_settings=dict(env.clio_settings),
        )

    @property
    def route_names(self) -> tuple[str, ...]:
        return ClioRoutes.names()

    @property
    def team_search_bodies(self) -> tuple[str, ...]:
        return TEAM_SEARCH_BODIES

    @property
    def via_relay(self) -> bool:
        return is_relay(self.agent_url.strip(), self.relay_key_name)

    @property
    def missing(self) -> tuple[str, ...]:
        """What search and preview still need, by label."""
        needed = [n for n in ("agent_url", "api_url", "client_id") if not getattr(self, n).strip()]
        needed += [n for n in ("agent_key", "client_secret") if n not in self.secrets_set]
        return tuple(LABELS[n] for n in needed)


class InvalidSettings(InvalidInput):
    """The form's problems, by field; `form` is what was typed (secrets left out). Nothing was saved."""

    def __init__(self, form: ConnectionForm, problems: Mapping[str, str]) -> None:
        self.form = form
        self.problems = dict(problems)
        super().__init__("Nothing was saved: " + " ".join(self.problems.values()))


# Use cases -----------------------------------------------------------------------------------


async def connections(services: Services, organisation_id: int) -> list[ConnectionForm]:
    """Each environment, with its last Test connection."""
    envs = await services.environments(organisation_id)
    checks = await services.db(services.store.connections.last_checks, organisation_id)
    return [replace(ConnectionForm.of(env), last_check=checks.get(env.id)) for env in envs]


async def connection(services: Services, organisation_id: int, environment_id: int) -> ConnectionForm:
    return ConnectionForm.of(await environment_settings(services, organisation_id, environment_id))


async def add_connection(services: Services, organisation_id: int, actor: str, fields: Mapping[str, str]) -> int:
    """The new environment's id. Raises InvalidSettings."""
    return await services.db(_add, services.store, organisation_id, actor, fields)


async def save_connection(
    services: Services, organisation_id: int, environment_id: int, actor: str, fields: Mapping[str, str]
) -> None:
    """Raises InvalidSettings, or NotFound."""
    await services.db(_save, services.store, organisation_id, environment_id, actor, fields)


async def set_default_connection(services: Services, organisation_id: int, environment_id: int, actor: str) -> None:
    await services.db(_set_default, services.store, organisation_id, environment_id, actor)


def set_connection(
    store: Store, organisation_id: int, name: str, actor: str, fields: Mapping[str, str], *, make_default: bool = False
) -> int:
    """Add the environment named `name`, or save it, as the settings form would (same checks, same
    audit events): for `pms-sync env set` and the demo's set-up, which run outside a request.

    The plain fields left out of `fields` keep their saved values; a secret typed again as it is
    stored is left alone, so setting an environment again as it is changes (and audits) nothing.
    Returns its id; raises InvalidSettings.
    """
    fields = {**fields, "name": name}
    found = store.connections.environment_named(organisation_id, name)
    if found is None:
        environment_id = _add(store, organisation_id, actor, fields)
    else:
        environment_id = found.environment_id
        saved = _environment(store, organisation_id, environment_id)
        form = ConnectionForm.of(saved)
        unchanged_secrets = [n for n in SECRETS if fields.get(n) and fields[n] == getattr(saved, n)]
        kept = {n: getattr(form, n) for n in PLAIN if n not in fields}
        _save(store, organisation_id, environment_id, actor, {**kept, **fields, **dict.fromkeys(unchanged_secrets, "")})
    if make_default:
        _set_default(store, organisation_id, environment_id, actor)
    return environment_id


def _add(store: Store, organisation_id: int, actor: str, fields: Mapping[str, str]) -> int:
    environments = store.connections
    form, values = _validated(store, organisation_id, None, fields, ConnectionForm())
    return _write(store, organisation_id, None, form, values, lambda v: environments.add(organisation_id, v, actor))


def _save(store: Store, organisation_id: int, environment_id: int, actor: str, fields: Mapping[str, str]) -> None:
    saved = ConnectionForm.of(_environment(store, organisation_id, environment_id))
    environments = store.connections
    form, values = _validated(store, organisation_id, environment_id, fields, saved)
    changed = _write(
        store, organisation_id, environment_id, form, values,
        lambda v: environments.update(organisation_id, environment_id, v, actor),
    )
    if changed is None:
        raise NotFound(NOT_FOUND)


def _set_default(store: Store, organisation_id: int, environment_id: int, actor: str) -> None:
    if not store.connections.set_default(organisation_id, environment_id, actor):
        raise NotFound(NOT_FOUND)


async def remove_connection(
    services: Services, organisation_id: int, environment_id: int, actor: str, *, confirmed: bool
) -> None:
    """Its History stays; sign-in and the switcher forget it."""
    env = await environment_settings(services, organisation_id, environment_id)
    if not confirmed:
        raise InvalidInput(f"Tick the box to confirm that {env.name} should be removed.")
    if len(await services.environments(organisation_id)) == 1:
        raise InvalidInput(
            f"{env.name} is your organisation's only environment: add another before removing it, "
            "because sign-in finds your organisation through its environments."
        )
    if not await services.db(services.store.connections.remove, organisation_id, environment_id, actor):
        raise NotFound(NOT_FOUND)


# Validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SecretInput:
    typed: str  # empty: keep the stored value
    clear: bool


def _submitted(fields: Mapping[str, str], saved: ConnectionForm) -> tuple[ConnectionForm, dict[str, _SecretInput]]:
    """The form as typed (which secrets are set comes from `saved`) and what to do with each secret."""
    # Text fields of ConnectionForm by name, which mypy cannot check against its fields (replace() does).
    typed: dict[str, Any] = {name: fields.get(name, "") for name in PLAIN}
    typed.update({name: fields.get(name, getattr(saved, name)) for name in CLIO_FIELDS})
    form = replace(saved, **typed, import_writes_enabled="import_writes_enabled" in fields)
    secrets = {name: _SecretInput(fields.get(name, "").strip(), f"clear_{name}" in fields) for name in SECRETS}
    return form, secrets


def _validated(
    store: Store,
    organisation_id: int,
    environment_id: int | None,
    fields: Mapping[str, str],
    saved: ConnectionForm,
) -> tuple[ConnectionForm, EnvironmentValues]:
    form, secrets = _submitted(fields, saved)
    check = _Validation(form, secrets)
    values = check.values()
    problems = {**_taken(store, organisation_id, environment_id, values, check.problems), **check.problems}
    if problems:
        raise InvalidSettings(form, problems)
    return form, values


class _Validation:
    """Checks one submitted form; `problems` holds a plain message per field that has one."""

    def __init__(self, form: ConnectionForm, secrets: Mapping[str, _SecretInput]) -> None:
        self.form = form
        self.problems: dict[str, str] = {}
        self.secrets: dict[str, str | None] = {}  # the secrets to change: a value sets, None clears
        for name, given in secrets.items():
            if given.typed and given.clear:
                self.problems[name] = f"Either type a new {LABELS[name]} or tick Clear, not both."
            elif given.typed or given.clear:
                self.secrets[name] = given.typed or None

    def values(self) -> EnvironmentValues:
        agent_url, siem_url = self.url("agent_url"), self.url("siem_url")
        portal_origins = _origins(self.form.portal_origins, self.problems)
        values = EnvironmentValues(
            name=self.text("name", required=True),
            identity_url=normalise_issuer(self.url("identity_url", required=True)),
            api_url=self.url("api_url", required=True),
            client_id=self.text("client_id"),
            agent_url=agent_url,
            relay_key_name=self.relay_key_name(agent_url),
            portal_origins=portal_origins,
            portal_page_url=self.portal_page_url(portal_origins),
            admin_roles=tuple(dict.fromkeys(_lines(self.form.admin_roles))),
            staff_roles=tuple(dict.fromkeys(_lines(self.form.staff_roles))),
            siem_url=siem_url or None,
            import_writes_enabled=self.form.import_writes_enabled,
            secrets=self.secrets,
            clio_settings=self.clio_settings(),
            clio_settings_before=ClioShapeSettings.of(self.form.stored_clio_settings).to_json(),
        )
        self.check_siem_secret(siem_url)
        return values

    def portal_page_url(self, portal_origins: tuple[str, ...]) -> str | None:
        """The portal page that hosts the widget. It must be on one of the portal origins: the
        widget framed anywhere else cannot sign in."""
        value = str(self.form.portal_page_url).strip()
        problem = _url_problem(LABELS["portal_page_url"], value, False)
        if problem:
            self.problems["portal_page_url"] = problem
        elif value and "portal_origins" not in self.problems:
            origin = _origins(_origin_of(value), {})
            if not origin or origin[0] not in portal_origins:
                self.problems["portal_page_url"] = (
                    f"{LABELS['portal_page_url']} must be on one of the portal origins: add {_origin_of(value)} "
                    "to Portal origins, or give the address of the portal page that hosts the PMS Sync widget."
                )
        return value or None

    def clio_settings(self) -> dict[str, object]:
        """The stored Clio Operate settings with the form's changes: a value equal to the one in
        effect is left as stored, so saving an untouched form changes (and audits) nothing."""
        role = self.form.clio_user_participant_role.strip()
        if role and not SYSTEM_NAME.fullmatch(role):
            self.problems["clio_user_participant_role"] = (
                f"{LABELS['clio_user_participant_role']} must be a role's system name, e.g. contributor, or empty."
            )
        body = self.form.clio_team_search_body.strip()
        if body not in TEAM_SEARCH_BODIES:
            self.problems["clio_team_search_body"] = f"{LABELS['clio_team_search_body']} must be one of {', '.join(TEAM_SEARCH_BODIES)}."
        chosen = ClioShapeSettings(self.routes(), role or None, body if is_team_search_body(body) else "minimal")
        stored = dict(self.form.stored_clio_settings)
        in_effect = ClioShapeSettings.of(stored).to_json()
        for key, value in chosen.to_json().items():
            if in_effect[key] != value:
                stored[key] = value
        return stored

    def routes(self) -> dict[str, str]:
        """`name = /path` lines, each checked against the route table."""
        routes: dict[str, str] = {}
        problems: list[str] = []
        for line in _lines_only(self.form.clio_routes):
            name, equals, path = line.partition("=")
            name, path = name.strip(), path.strip()
            if not equals or not name or not path:
                problems.append(f"Write each route as name = /path, e.g. ods_search = /api/ods/_search (not {line}).")
            elif name in routes:
                problems.append(f"{name} is given twice.")
            else:
                routes[name] = path
        problems += route_override_problems(routes)
        if problems:
            self.problems["clio_routes"] = " ".join(problems)
        return routes

    def text(self, name: str, *, required: bool = False) -> str:
        value = str(getattr(self.form, name)).strip()
        if required and not value:
            self.problems[name] = f"{LABELS[name]} is required."
        elif len(value) > MAX_LENGTHS[name]:
            self.problems[name] = f"{LABELS[name]} can be at most {MAX_LENGTHS[name]} characters."
        return value

    def url(self, name: str, *, required: bool = False) -> str:
        value = str(getattr(self.form, name)).strip()
        problem = _url_problem(LABELS[name], value, required)
        if problem:
            self.problems[name] = problem
        return value.rstrip("/")

    def relay_key_name(self, agent_url: str) -> str | None:
        """The SAS rule name for a relay URL (an Azure Relay namespace, or any URL given a rule name),
        which also needs its key; a direct URL keeps neither."""
        if "agent_url" in self.problems or not is_relay(agent_url, self.form.relay_key_name):
            self.secrets["relay_key"] = None
            return None
        if not urlsplit(agent_url).path.strip("/"):
            self.problems["agent_url"] = (
                "Aderant agent URL on Azure Relay must name the hybrid connection, "
                "e.g. https://firm.servicebus.windows.net/pms-agent."
            )
        if not self.will_be_set("relay_key"):
            self.problems["relay_key"] = (
                "Azure Relay SAS Key is required for an Azure Relay agent URL: the key of that Send rule."
            )
        name = self.text("relay_key_name")
        if not name:
            self.problems["relay_key_name"] = (
                "SAS Rule Name is required for an Azure Relay agent URL: the relay's Send rule, e.g. proxy-send."
            )
        return name

    def check_siem_secret(self, siem_url: str) -> None:
        if siem_url and not self.will_be_set("siem_secret"):
            self.problems["siem_secret"] = (
                "SIEM signing secret is required with a SIEM webhook URL: the SIEM checks each event with it."
            )
        typed = self.secrets.get("siem_secret")
        if typed:
            try:
                signing_key(typed)
            except ValueError as exc:
                self.problems["siem_secret"] = str(exc)

    def will_be_set(self, secret: str) -> bool:
        if secret in self.secrets:
            return self.secrets[secret] is not None
        return secret in self.form.secrets_set


def _url_problem(label: str, value: str, required: bool) -> str | None:
    if not value:
        return f"{label} is required." if required else None
    parts = _split(value)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{label} must be an absolute http(s) URL, e.g. https://example.com."
    if parts.username or parts.password:
        return f"{label} must not contain a user name or password: secrets have their own fields."
    if len(value) > MAX_URL_LENGTH:
        return f"{label} can be at most {MAX_URL_LENGTH} characters."
    return None


def _origins(text: str, problems: dict[str, str]) -> tuple[str, ...]:
    """Origins (scheme, host, port) as a browser sends them; anything with a path is refused."""
    origins = []
    for value in _lines(text):
        parts = _split(value)
        if (
            parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password
        ):
            problems["portal_origins"] = (
                f"{value} is not an origin: give the portal's scheme and host only, with no path, "
                "e.g. https://firm.sharedo.co.uk."
            )
            continue
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        default_port = 443 if parts.scheme == "https" else 80
        netloc = host + (f":{parts.port}" if parts.port not in (None, default_port) else "")
        origins.append(f"{parts.scheme}://{netloc}")
    return tuple(dict.fromkeys(origins))


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _lines(text: str) -> list[str]:
    return [item.strip() for item in text.replace(",", "\n").splitlines() if item.strip()]


def _lines_only(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _split(value: str) -> SplitResult | None:
    """`value` split as a URL; None when it is malformed (e.g. a bad port or IPv6 address)."""
    try:
        parts = urlsplit(value)
        _ = parts.port  # a malformed port only raises here
    except ValueError:
        return None
    return parts


def is_relay(url: str, relay_key_name: str | None = None) -> bool:
    """An agent reached through Azure Relay: a namespace URL, or any URL configured with a SAS rule
    (a URL too broken to tell is reported on its own)."""
    parts = _split(url)
    if parts is None:
        return False
    return (parts.hostname or "").endswith(RELAY_HOST_SUFFIX) or bool((relay_key_name or "").strip())


def _taken(
    store: Store,
    organisation_id: int,
    environment_id: int | None,
    values: EnvironmentValues,
    problems: Mapping[str, str],
) -> dict[str, str]:
    """Problems with a name or identity URL another environment already holds."""
    environments = store.connections
    found: dict[str, str] = {}
    if values.name and "name" not in problems:
        taken_by = environments.environment_named(organisation_id, values.name)
        if taken_by and taken_by.environment_id != environment_id:
            found["name"] = _name_taken(taken_by)
    if values.identity_url and "identity_url" not in problems:
        taken_by = environments.environment_with_identity_url(values.identity_url)
        if taken_by and taken_by.environment_id != environment_id:
            found["identity_url"] = _identity_url_taken(taken_by, organisation_id)
    return found


def _name_taken(taken_by: EnvironmentRef) -> str:
    return f"Your organisation already has an environment named {taken_by.name}: choose another name."


def _identity_url_taken(taken_by: EnvironmentRef, organisation_id: int) -> str:
    why = (
        "The identity URL is how sign-in finds the organisation and environment, so it must be "
        "unique across all organisations."
    )
    if taken_by.organisation_id != organisation_id:
        return f"Another organisation already uses this identity URL. {why}"
    return f"{taken_by.name} already uses this identity URL. {why}"


def _write(
    store: Store,
    organisation_id: int,
    environment_id: int | None,
    form: ConnectionForm,
    values: EnvironmentValues,
    write: Callable[[EnvironmentValues], T],
) -> T:
    """Run the store write; a name or identity URL taken meanwhile is reported as a problem."""
    try:
        return write(values)
    except EnvironmentConflict:
        problems = _taken(store, organisation_id, environment_id, values, {})
        meanwhile = {"name": "Someone changed these settings meanwhile: try again."}
        raise InvalidSettings(form, problems or meanwhile) from None


async def environment_settings(services: Services, organisation_id: int, environment_id: int) -> EnvironmentSettings:
    return await services.db(_environment, services.store, organisation_id, environment_id)


def _environment(store: Store, organisation_id: int, environment_id: int) -> EnvironmentSettings:
    env = store.environment(organisation_id, environment_id)
    if env is None:
        raise NotFound(NOT_FOUND)
    return env
