"""Setting an organisation up from the command line (the admin screens come later)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from plugin.settings import Settings
from store.db import make_engine, upgrade
from store.repository import Store
from store.secrets import SecretBox, SecretKeyError
from store.transfer import CopiedTable, TransferRefused, backup_sqlite, copy_database

__all__ = [
    "SecretKeyError", "TransferRefused", "CopiedTable", "open_store", "upgrade_database", "copy_database_to",
    "back_up_database", "create_organisation", "organisation_id", "check_secret_keys",
]



def open_store(settings: Settings) -> Store:
    return Store(make_engine(settings.database_url), SecretBox(settings.secret_keys))


def check_secret_keys(settings: Settings) -> None:
    SecretBox(settings.secret_keys)


def upgrade_database(settings: Settings) -> None:
    upgrade(settings.database_url)


def copy_database_to(settings: Settings, target_url: str, on_table: Callable[[CopiedTable], None]) -> list[CopiedTable]:
    """Every row of the service's database into an empty database at ``target_url`` (migrated first)."""
    return copy_database(settings.database_url, target_url, on_table=on_table)


def back_up_database(settings: Settings, destination: Path) -> None:
    backup_sqlite(settings.database_url, destination)


def create_organisation(store: Store, name: str, admin_roles: Sequence[str], *, access_contact: str = "") -> int:
    existing = store.organisation_by_name(name)
    return existing if existing is not None else store.create_organisation(name, admin_roles, access_contact)


def organisation_id(store: Store, name: str) -> int | None:
    return store.organisation_by_name(name)
