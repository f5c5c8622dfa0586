"""Drift for many imported matters, read in batches (the comparison itself is `plugin/drift.py`).

Imported matters are read from the store a page of `PAGE` at a time (keyset paging). For each
page, at once:

- Aderant: the agent's many-matters call (`GET /v1/matter-details`), `DETAIL_IDS_PER_CALL` matters
  a call, mapped through the mapping in force; a matter with more than 20 parties, or a batch
  that does not fit one answer, costs a further call;
- Clio Operate: findByQuery by work item ids, `WORK_ITEM_IDS_PER_QUERY` a call, reading back the
  title, reference and every attribute the baselines or the mapping name (form-field enrich paths).

Key dates and participants have no findByQuery enrich path a public caller is seen to use
(docs/remote-shapes.md), so they are read per work item: `GET …/workItem/{id}` (key dates) and
`GET …/workItem/{id}/participants`, two calls per matter that has a baseline and is in both
systems, at most `Services.concurrency` matters at once (the bound of every fan-out, as close-sync
applies). For N such matters: ⌈N/50⌉ agent calls, ⌈N/100⌉ searches and 2N work item reads
(10,000 matters: 200 + 100 + 20,000 calls, the work item reads in ⌈N/64⌉ rounds at the default
bound). The batched calls of each system are bounded by its client's concurrency; matters without
a baseline cost no read at all.

The preview of one imported matter (`preview_drift`) reuses the preview's Aderant read and asks
Clio Operate three things at once: the search by its id, its key dates, its participants.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clients.aderant_models import MatterDetail
from clients.clio_models import FormField, WorkItemKeyDates, WorkItemRef
from clients.clio_operate import WORK_ITEM_IDS_PER_QUERY, ClioOperateClient
from clients.concurrency import gather_bounded
from clients.errors import RemoteError, RemoteNotFound
from plugin.drift import NO_BASELINE, OTHER_KEY, Baseline, ClioNow, Difference, Fingerprint, MatterDrift, compare
from plugin.mapping import MappedMatter, Mapping, apply_mapping
from plugin.preview import Preview
from plugin.services import Services
from store.imports import ImportedBaseline
from store.repository import EnvironmentSettings

PAGE = 1000
NOT_IN_ADERANT = "Not found in Aderant: the matter may have been deleted or merged there."
NOT_IN_CLIO = "Not found in Clio Operate: the work item may have been deleted or removed there."
Detail = tuple[WorkItemKeyDates | None, frozenset[tuple[str, str]]]  # key dates (None: not read), participants
Kept = tuple[Baseline, Fingerprint]  # a baseline and the key its digests were made under


def _kept(services: Services, data: dict[str, Any] | None) -> Kept | str:
    """The baseline kept as `data` with its key, or why there is none to compare with."""
    baseline = Baseline.from_json(data) if data is not None else None
    if baseline is None:
        return NO_BASELINE
    fingerprint = services.store.secrets.fingerprint_for(baseline.key_id)
    return OTHER_KEY if fingerprint is None else (baseline, fingerprint)


def _compare(kept: Kept, aderant: MappedMatter, clio: ClioNow) -> tuple[Difference, ...]:
    baseline, fingerprint = kept
    return compare(baseline, aderant, clio, fingerprint)


async def drift_for(
    services: Services, env: EnvironmentSettings, matter_numbers: Sequence[str] | None = None
) -> list[MatterDrift]:
    """The drift of each imported matter of `matter_numbers` (all imported matters when None), in
    import order; matter numbers that were not imported are left out."""
    return [drift async for page in drift_pages(services, env, matter_numbers) for drift in page]


async def drift_pages(
    services: Services, env: EnvironmentSettings, matter_numbers: Sequence[str] | None = None
) -> AsyncIterator[list[MatterDrift]]:
    """`drift_for` a page of `PAGE` imported matters at a time, the next page read only when the
    caller asks for it: a caller that keeps only what it needs of each page holds one page at most."""
    mapping = await services.mapping(env)
    after: int | None = None
    while True:
        page = await services.db(
            services.store.imports.baselines, env.organisation_id, env.id,
            matter_numbers=matter_numbers, after=after, limit=PAGE,
        )
        if not page:
            return
        after = page[-1].import_id
        yield await _Page(services, env, mapping, page).drift()


@dataclass
class _Page:
    services: Services
    env: EnvironmentSettings
    mapping: Mapping
    imported: list[ImportedBaseline]

    async def drift(self) -> list[MatterDrift]:
        kept = {m.import_id: _kept(self.services, m.baseline) for m in self.imported}
        baselines = {i: k for i, k in kept.items() if not isinstance(k, str)}
        compared = [m for m in self.imported if m.import_id in baselines]
        fields = _fields(self.mapping, (b for b, _ in baselines.values()))
        matters, items = await asyncio.gather(self._aderant(compared), self._clio(compared, fields))
        in_both = [m for m in compared if m.matter_uno in matters and m.work_item_id in items]
        details = await self._details([m.work_item_id for m in in_both])
        return [self._one(m, kept[m.import_id], matters, items, details) for m in self.imported]

    def _one(
        self,
        imported: ImportedBaseline,
        kept: Kept | str,
        matters: dict[str, MatterDetail],
        items: dict[str, WorkItemRef],
        details: dict[str, Detail | None],
    ) -> MatterDrift:
        number, work_item_id = imported.matter_number, imported.work_item_id
        if isinstance(kept, str):
            return MatterDrift(number, work_item_id, "no_baseline", message=kept)
        if imported.matter_uno not in matters:
            return MatterDrift(number, work_item_id, "not_in_aderant", message=NOT_IN_ADERANT)
        item, detail = items.get(work_item_id), details.get(work_item_id)
        if item is None or detail is None:
            return MatterDrift(number, work_item_id, "not_in_clio", message=NOT_IN_CLIO)
        aderant = apply_mapping(matters[imported.matter_uno], self.mapping)
        return MatterDrift(number, work_item_id, "compared", _compare(kept, aderant, _clio_now(item, *detail)))

    async def _aderant(self, imported: list[ImportedBaseline]) -> dict[str, MatterDetail]:
        if not imported:
            return {}
        agent = self.services.remotes.agent(self.env)
        matters = await agent.matter_details([int(m.matter_uno) for m in imported])
        return {str(m.matter_uno): m for m in matters}

    async def _clio(self, imported: list[ImportedBaseline], fields: list[FormField]) -> dict[str, WorkItemRef]:
        if not imported:
            return {}
        clio = self.services.remotes.clio(self.env)
        items = await clio.find_work_items(
            work_item_ids=[m.work_item_id for m in imported], fields=fields, rows=WORK_ITEM_IDS_PER_QUERY
        )
        return {item.id: item for item in items}

    async def _details(self, work_item_ids: list[str]) -> dict[str, Detail | None]:
        """Key dates and participants of each work item (None: deleted since the search)."""
        clio = self.services.remotes.clio(self.env)

        async def read(work_item_id: str) -> Detail | None:
            try:
                return await _detail(clio, work_item_id)
            except RemoteNotFound:
                return None

        return dict(zip(work_item_ids, await gather_bounded(work_item_ids, read, self.services.concurrency), strict=True))



async def _detail(clio: ClioOperateClient, work_item_id: str) -> Detail:
    key_dates = await clio.key_dates(work_item_id)
    participants = await clio.participants(work_item_id)
    return key_dates, frozenset((p.role, p.ods_id) for p in participants)


def _clio_now(item: WorkItemRef, key_dates: WorkItemKeyDates | None, participants: frozenset[tuple[str, str]]) -> ClioNow:
    return ClioNow(
        title=item.title, reference=item.reference,
        attributes={field.field: value for field, value in item.attributes.items()},
        key_dates=key_dates.days if key_dates else None, participants=participants,
    )


def _fields(mapping: Mapping, baselines: Iterable[Baseline]) -> list[FormField]:
    """The form fields to read back: every attribute a baseline holds or the mapping writes."""
    targets = dict.fromkeys(target for b in baselines for target in b.attributes)
    targets.update(dict.fromkeys(a.target for a in mapping.attributes))
    return [FormField(mapping.identity.form, target) for target in targets]


async def preview_drift(services: Services, env: EnvironmentSettings, preview: Preview) -> MatterDrift | None:
    """The drift of a previewed matter our import put in Clio Operate (None when it is not one):
    Aderant as the preview read it, Clio Operate in three calls at once (the work item search, its
    key dates, its participants). A Clio Operate failure leaves the preview as it is, saying so."""
    number, work_item_id = preview.mapped.matter_number, preview.work_item_id
    if work_item_id is None:
        return None
    kept = _kept(services, preview.baseline)
    if isinstance(kept, str):
        return MatterDrift(number, work_item_id, "no_baseline", message=kept)
    clio = services.remotes.clio(env)
    fields = _fields(await services.mapping(env), [kept[0]])
    try:
        items, detail = await asyncio.gather(
            clio.find_work_items(work_item_ids=[work_item_id], fields=fields, rows=WORK_ITEM_IDS_PER_QUERY),
            _detail(clio, work_item_id),
        )
    except RemoteNotFound:
        return MatterDrift(number, work_item_id, "not_in_clio", message=NOT_IN_CLIO)
    except RemoteError as exc:
        return MatterDrift(number, work_item_id, "unavailable", message=f"Changes since import could not be read: {exc}")
    item = next((i for i in items if i.id == work_item_id), None)
    if item is None:
        return MatterDrift(number, work_item_id, "not_in_clio", message=NOT_IN_CLIO)
    return MatterDrift(number, work_item_id, "compared", _compare(kept, preview.mapped, _clio_now(item, *detail)))
