"""Search Aderant live and mark what is already imported, or where its import stands (one agent
call, one store query). A search answers one page of at most `PAGE_SIZE` matters and says whether
more match, so a search that stopped at its cap says so and can go on to the next page."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.errors import InvalidInput
from plugin.services import Services
from store.repository import EnvironmentSettings

MAX_QUERY = 200
PAGE_SIZE = 25
MAX_PAGE = 400  # 10,000 matters in: beyond that, refining the search is the way


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


@dataclass(frozen=True)
class SearchPage:
    rows: list[MatterRow]
    page: int  # 1-based
    page_size: int
    more: bool  # more matters match after this page

    @property
    def first(self) -> int:
        """The position of the page's first row among all matches (1-based)."""
        return (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.more and self.page < MAX_PAGE else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


def clean_query(q: str | None) -> str:
    text = " ".join((q or "").split())
    if not text:
        raise InvalidInput("Enter a matter number, a client name or code, or a party name to search.")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"The search text is too long: use at most {MAX_QUERY} characters.")
    return text


def clean_page(page: int | None) -> int:
    if page is None:
        return 1
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"The page must be between 1 and {MAX_PAGE}: refine your search to see other matters.")
    return page


async def search_matters(
    services: Services, env: EnvironmentSettings, q: str | None, *, page: int | None = None, page_size: int = PAGE_SIZE
) -> SearchPage:
    text = clean_query(q)
    number = clean_page(page)
    found = await services.remotes.agent(env).search_matters(text, offset=(number - 1) * page_size, limit=page_size)
    records = await services.db(
        services.store.imports.records, env.organisation_id, env.id, [str(m.matter_uno) for m in found.items]
    )
    rows = []
    for matter in found.items:
        record = records.get(str(matter.matter_uno))
        imported = record is not None and record.status == "imported"
        work_item_id = record.work_item_id if record is not None and imported else None
        rows.append(
            MatterRow(
                matter_number=matter.matter_number,
                title=matter.title,
                client_code=matter.client_code,
                client_name=matter.client_name,
                status=matter.status_description or matter.status or "",  # empty: Aderant gave neither
                closed=matter.closed,
                imported=imported,
                work_item_id=work_item_id,
                work_item_url=env.work_item_url(work_item_id) if work_item_id else None,
                import_state=record.status if record is not None else None,
            )
        )
    return SearchPage(rows, number, page_size, more=found.next_offset is not None)
