"""Settings → Participant Roles (administrators only): load the roles each work type allows from
a JSON file or pasted text, see where each work type's roles came from, and remove them."""

from __future__ import annotations

from plugin.work_type_roles import MAX_DOCUMENT, InvalidRoles, load_roles, overview, remove_roles
from views.document_pages import DocumentPage, PageAction, Submitted


async def _load(submitted: Submitted) -> None:
    document, source = await submitted.document()
    await load_roles(
        submitted.services, submitted.env, submitted.actor, document, source=source, work_type=submitted.text("work_type")
    )


async def _remove(submitted: Submitted) -> None:
    await remove_roles(submitted.services, submitted.env, submitted.actor, submitted.text("work_type"))


roles_page = DocumentPage(
    "/settings/roles",
    "settings_roles.html",
    overview,
    InvalidRoles,
    MAX_DOCUMENT,
    {
        "load": PageAction(_load, "loaded", "The participant roles were loaded."),
        "remove": PageAction(_remove, "removed", "The participant roles were removed."),
    },
    kept=("work_type",),
)
routes = roles_page.routes
