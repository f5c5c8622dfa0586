"""The parties added in Aderant since import, each with the contacts it could be linked to, as a
preview shows an import's parties: History → Drift lets a person link one or create a new contact,
the choice an import offers (plugin/drift_apply.py applies it).

For the matters shown, at once: Aderant read once (the many-matters call) and the links remembered
for the new parties read once from the store; then one contact search per new party, at most
`Services.concurrency` at once. Nothing is read when no party was added.
"""

from __future__ import annotations

from collections.abc import Sequence

from clients.concurrency import gather_bounded
from plugin.drift import MatterDrift
from plugin.drift_apply import change_id
from plugin.mapping import MappedParty, apply_mapping
from plugin.preview import PartyPreview, candidates_of, role_name, search_text
from plugin.services import Services
from store.repository import EnvironmentSettings


async def party_choices(
    services: Services, env: EnvironmentSettings, drifts: Sequence[MatterDrift]
) -> dict[str, PartyPreview]:
    """Each party added in Aderant among `drifts`, by change id, with its candidates; a party whose
    matter no longer has it in Aderant is left out (applying it says it no longer differs)."""
    added = {d.matter_number: [x for x in d.differences if x.kind == "party_added"] for d in drifts}
    added = {number: found for number, found in added.items() if found}
    if not added:
        return {}
    imported = await services.db(
        services.store.imports.baselines, env.organisation_id, env.id, matter_numbers=list(added), limit=len(added)
    )
    agent = services.remotes.agent(env)
    matters = {str(m.matter_uno): m for m in await agent.matter_details([int(i.matter_uno) for i in imported])}
    configuration = await services.configuration(env)
    parties: dict[str, MappedParty] = {}
    work_types: dict[str, str] = {}
    for record in imported:
        if record.matter_uno not in matters:
            continue
        mapped = apply_mapping(matters[record.matter_uno], configuration.mapping)
        by_name_and_role = {(str(p.name_uno), p.role): p for p in mapped.parties}
        for difference in added[record.matter_number]:
            party = by_name_and_role.get((difference.field.partition(":")[2], difference.aderant or ""))
            if party is not None:
                key = change_id(record.matter_number, difference)
                parties[key], work_types[key] = party, mapped.work_type
    if not parties:
        return {}
    links = await services.db(
        services.store.imports.links, env.organisation_id, env.id, [p.reference for p in parties.values()]
    )
    clio = services.remotes.clio(env)
    texts = sorted({search_text(p) for p in parties.values()})
    found = dict(zip(texts, await gather_bounded(texts, clio.search_contacts, services.concurrency), strict=True))
    return {
        key: PartyPreview(
            party,
            candidates_of(env, party, found[search_text(party)], links.get(party.reference)),
            work_type=work_types[key],
            role_name=role_name(party.role, configuration.roles.get(work_types[key])),
        )
        for key, party in parties.items()
    }
