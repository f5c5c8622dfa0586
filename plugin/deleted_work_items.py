"""Imports whose work item was deleted in Clio Operate (a 404 seen by preview or close-sync):
listed in History, and released by an administrator so the matter can be imported afresh."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.errors import Forbidden, NotFound
from plugin.services import Services
from store.repository import EnvironmentSettings

ADMIN_ONLY = "Only an administrator can release a matter for a fresh import."


@dataclass(frozen=True)
class DeletedWorkItem:
    import_id: int
    matter_number: str
    work_item_id: str | None


async def deleted_work_items(services: Services, env: EnvironmentSettings) -> list[DeletedWorkItem]:
    rows = await services.db(services.store.imports.deleted, env.organisation_id, env.id)
    return [DeletedWorkItem(row.id, row.matter_number, row.work_item_id) for row in rows if row.id is not None]


async def release_for_import(services: Services, env: EnvironmentSettings, import_id: int, actor: str, *, is_admin: bool) -> str:
    """Forget the import (audited) so the matter can be imported again; its matter number."""
    if not is_admin:
        raise Forbidden(ADMIN_ONLY)
    released = await services.db(services.store.imports.release, env.organisation_id, env.id, import_id, actor)
    if released is None:
        raise NotFound("There is no matter whose work item was deleted in Clio Operate with that id: reload History.")
    return released.matter_number
