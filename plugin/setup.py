"""Setting an organisation up from the command line (the admin screens come later)."""

from __future__ import annotations

from collections.abc import Sequence

from plugin.settings import Settings
from store.db import make_engine, upgrade
from store.repository import Store
from store.secrets import SecretBox, SecretKeyError

__all__ = ["SecretKeyError", "open_store", "upgrade_database", "create_organisation", "organisation_id", "check_secret_keys"]


def open_store(settings: Settings) -> Store:
    return Store(make_engine(settings.database_url), SecretBox(settings.secret_keys))


def check_secret_keys(settings: Settings) -> None:
    SecretBox(settings.secret_keys)


def upgrade_database(settings: Settings) -> None:
    upgrade(settings.database_url)


def create_organisation(store: Store, name: str, admin_roles: Sequence[str], *, access_contact: str = "") -> int:
    existing = store.organisation_by_name(name)
    return existing if existing is not None else store.create_organisation(name, admin_roles, access_contact)


def organisation_id(store: Store, name: str) -> int | None:
    return store.organisation_by_name(name)
