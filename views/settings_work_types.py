"""Settings → Work Type Names (administrators only): load the modeller's work type tree from a JSON
file or pasted text, so work types are shown by the names people use; see where they came from."""

from __future__ import annotations

from plugin.work_type_names import MAX_DOCUMENT, InvalidTypeTree, load_type_names, overview
from views.document_pages import DocumentPage, PageAction, Submitted


async def _load(submitted: Submitted) -> None:
    document, source = await submitted.document()
    await load_type_names(submitted.services, submitted.env, submitted.actor, document, source=source)


names_page = DocumentPage(
    "/settings/work-types",
    "settings_work_types.html",
    overview,
    InvalidTypeTree,
    MAX_DOCUMENT,
    {"load": PageAction(_load, "loaded", "The work type names were loaded.")},
)
routes = names_page.routes
