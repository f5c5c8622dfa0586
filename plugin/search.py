"""Search Aderant live and mark what is already imported, or where its import stands (one agent
call, one store query)."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.errors import InvalidInput
from plugin.services import Services
from store.repository import EnvironmentSettings

MAX_QUERY = 200


@dataclass(frozen=True)
class MatterRow:
    matter_number: str
    title: str
    client_code: str
    client_name: str
    status: str
    closed: bool
    imported: bool
    work_item_id: str | None
    work_item_url: str | None
    # imported | deleted (in Clio Operate) | unknown (a create timed out: may still land) | in_progress | failed | None
    import_state: str | None = None


def clean_query(q: str | None) -> str:
    text = " ".join((q or "").split())
    if not text:
        raise InvalidInput("Enter a matter number, a client name or code, or a party name to search.")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"The search text is too long: use at most {MAX_QUERY} characters.")
    return text


async def search_matters(services: Services, env: EnvironmentSettings, q: str | None, *, limit: int = 25) -> list[MatterRow]:
    text = clean_query(q)
    page = await services.connections.agent(env).search_matters(text, limit=limit)
    records = await services.db(
        services.store.imports.records, env.organisation_id, env.id, [str(m.matter_uno) for m in page.items]
    )
    rows = []
    for matter in page.items:
        record = records.get(str(matter.matter_uno))
        imported = record is not None and record.status == "imported"
        work_item_id = record.work_item_id if record is not None and imported else None
        rows.append(
            MatterRow(
                matter_number=matter.matter_number,
                title=matter.title,
                client_code=matter.client_code,
                client_name=matter.client_name,
                status=matter.status_description or matter.status,
                closed=matter.closed,
                imported=imported,
                work_item_id=work_item_id,
                work_item_url=env.work_item_url(work_item_id) if work_item_id else None,
                import_state=record.status if record is not None else None,
            )
        )
    return rows
