"""Service settings, read from environment variables (``PMS_SYNC_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///pms-sync.db"
    secret_keys: str = ""
    public_url: str = "http://localhost:8000"
    session_hours: float = 8.0
    cookie_secure: bool = True
    remote_timeout: float = 20.0
    remote_concurrency: int = 64
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
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
            log_level=get("LOG_LEVEL", defaults.log_level).upper(),
        )
