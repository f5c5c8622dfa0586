"""Service settings, read from environment variables (``PMS_SYNC_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

N = TypeVar("N", int, float)

# The OpenID Connect providers people can sign in with outside Clio Operate: the name used in
# URLs, and the infix of their variables (PMS_SYNC_OIDC_<INFIX>_ISSUER, _CLIENT_ID, _CLIENT_SECRET).
OIDC_PROVIDERS = (("alterspective", "ALTERSPECTIVE"), ("entra", "ENTRA"))


@dataclass(frozen=True)
class OidcProviderSettings:
    """One OpenID Connect provider. The issuer is compared exactly with the ID tokens' ``iss``: for
    Entra ID use the tenant's ``https://login.microsoftonline.com/<tenant id>/v2.0``, not ``common``,
    so that only the firm's own tenant can sign people in."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///pms-sync.db"
    secret_keys: str = ""
    public_url: str = "http://localhost:8000"
    session_hours: float = 8.0
    cookie_secure: bool = True
    remote_timeout: float = 20.0
    remote_concurrency: int = 64
    import_settle_seconds: float = 30.0
    settings_recheck_seconds: float = 1.0
    """How long a replica uses the settings it keeps before asking whether they changed: how soon a
    save made on another replica, or by a `pms-sync` command, is seen (this replica's own at once)."""
    log_level: str = "INFO"
    log_format: str = "text"  # text | json
    # The bearer token a Prometheus scraper sends for /metrics; unset, /metrics does not exist.
    metrics_token: str = field(default="", repr=False)
    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    portal_url: str = ""
    """The Clio Operate portal page where people open PMS Sync, linked from the page the service
    shows to a browser that opens it directly."""
    # When Settings → Status sends a Teams alert: a hop's calls failed this many times in a row,
    # the oldest audit event waited this long for the SIEM webhook, scheduled runs failed this often in a row.
    alert_hop_failures: int = 3
    alert_siem_backlog_minutes: float = 15.0
    alert_failed_runs: int = 3
    status_refresh_seconds: int = 10
    """How often an open Settings → Status page refreshes itself."""
    ca_bundle: str = ""
    """A PEM file of the certificate authorities the service trusts for its remote calls, instead
    of the default bundle (a firm's own CA, or a test server's self-signed certificate)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def get(name: str, default: object) -> str:
            return environ.get(f"PMS_SYNC_{name}", str(default))

        defaults = cls()
        return cls(
            database_url=get("DATABASE_URL", defaults.database_url),
            secret_keys=get("SECRET_KEYS", ""),
            public_url=get("PUBLIC_URL", defaults.public_url).rstrip("/"),
            session_hours=float(get("SESSION_HOURS", defaults.session_hours)),
            cookie_secure=get("COOKIE_SECURE", "true").lower() not in ("0", "false", "no"),
            remote_timeout=float(get("REMOTE_TIMEOUT", defaults.remote_timeout)),
            remote_concurrency=int(get("REMOTE_CONCURRENCY", defaults.remote_concurrency)),
            import_settle_seconds=float(get("IMPORT_SETTLE_SECONDS", defaults.import_settle_seconds)),
            settings_recheck_seconds=float(get("SETTINGS_RECHECK_SECONDS", defaults.settings_recheck_seconds)),
            log_level=get("LOG_LEVEL", defaults.log_level).upper(),
            log_format=get("LOG_FORMAT", defaults.log_format).strip().lower(),
            metrics_token=get("METRICS_TOKEN", "").strip(),
            oidc_providers=_oidc_providers(environ),
            portal_url=get("PORTAL_URL", "").strip(),
            alert_hop_failures=_at_least_one(int(get("ALERT_HOP_FAILURES", defaults.alert_hop_failures)), "ALERT_HOP_FAILURES"),
            alert_siem_backlog_minutes=_at_least_one(
                float(get("ALERT_SIEM_BACKLOG_MINUTES", defaults.alert_siem_backlog_minutes)), "ALERT_SIEM_BACKLOG_MINUTES"
            ),
            alert_failed_runs=_at_least_one(int(get("ALERT_FAILED_RUNS", defaults.alert_failed_runs)), "ALERT_FAILED_RUNS"),
            status_refresh_seconds=_at_least_one(
                int(get("STATUS_REFRESH_SECONDS", defaults.status_refresh_seconds)), "STATUS_REFRESH_SECONDS"
            ),
            ca_bundle=get("CA_BUNDLE", "").strip(),
        )


def _at_least_one(value: N, name: str) -> N:
    if value < 1:
        raise ValueError(f"PMS_SYNC_{name} must be at least 1")
    return value


def _oidc_providers(environ: Mapping[str, str]) -> tuple[OidcProviderSettings, ...]:
    """The providers whose issuer is set; one with an issuer but no client is a mistake worth stopping for."""
    providers = []
    for name, infix in OIDC_PROVIDERS:
        prefix = f"PMS_SYNC_OIDC_{infix}_"
        issuer, client_id, secret = (environ.get(prefix + key, "").strip() for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET"))
        if not issuer:
            continue
        if not (client_id and secret):
            raise ValueError(f"{prefix}ISSUER is set, so {prefix}CLIENT_ID and {prefix}CLIENT_SECRET are needed too")
        providers.append(OidcProviderSettings(name, issuer, client_id, secret))
    return tuple(providers)
