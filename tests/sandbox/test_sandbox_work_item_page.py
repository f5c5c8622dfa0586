"""The work item page: where "Open in Clio Operate" (`{api_url}/sharedo/{id}`) lands."""

from __future__ import annotations

import re

import httpx2

from sandbox.clio.seed import (
    HARBOUR_HOLDINGS_ID,
    IMPORTED_WORK_ITEM_ID,
    MARY_CITIZEN_ID,
)
from sandbox.clio.state import NewParticipant, NewWorkItem
from sandbox.clio.tenant import Tenant

PORTAL = "/production/portal"


def signed_in(tenant: Tenant, username: str = "staff@sandbox.test") -> dict[str, str]:
    return {"Cookie": f"_api={tenant.mint_user_token(username)}"}


def sign_in(client: httpx2.AsyncClient, tenant: Tenant) -> None:
    """Put the portal's cookie in the client's jar (a Cookie header is dropped on redirects)."""
    client.cookies.set("_api", tenant.mint_user_token("staff@sandbox.test"))


async def test_the_work_item_link_leads_to_the_portal_page(client: httpx2.AsyncClient) -> None:
    production = await client.get(f"/production/sharedo/{IMPORTED_WORK_ITEM_ID}")
    uat = await client.get(f"/uat/sharedo/{IMPORTED_WORK_ITEM_ID}")

    assert production.status_code == 303
    assert production.headers["location"] == f"{PORTAL}/sharedo/{IMPORTED_WORK_ITEM_ID}"
    assert uat.headers["location"] == f"/uat/portal/sharedo/{IMPORTED_WORK_ITEM_ID}"


async def test_a_signed_in_user_sees_the_work_item(client: httpx2.AsyncClient, production: Tenant) -> None:
    sign_in(client, production)

    response = await client.get(f"/production/sharedo/{IMPORTED_WORK_ITEM_ID}", follow_redirects=True)

    assert response.status_code == 200
    assert str(response.url).endswith(f"{PORTAL}/sharedo/{IMPORTED_WORK_ITEM_ID}")
    page = response.text
    assert "Harbour Holdings — employment advice" in page
    assert 'id="work-item-reference">CL080001/82003<' in page
    assert "Commercial" in page and "matter-commercial" in page
    assert 'id="work-item-phase">Handling<' in page
    assert "kd-instruction-date" in page and "2026-01-15" in page
    assert "aderant-matter-id" in page and "82003" in page
    rows = _participant_rows(page)
    assert rows == [
        ["Client", "Harbour Holdings Pty Ltd", "organisation"],
        ["Matter Owner", "Sam Staff", "user"],
        ["Reader", "Commercial – Sydney", "team"],
    ]
    assert "Sam Staff" in page and f'href="{PORTAL}/logout"' in page  # the portal's own chrome


async def test_only_the_pages_own_style_block_is_allowed(client: httpx2.AsyncClient, production: Tenant) -> None:
    first = await client.get(f"{PORTAL}/sharedo/{IMPORTED_WORK_ITEM_ID}", headers=signed_in(production))
    second = await client.get(f"{PORTAL}/sharedo/{IMPORTED_WORK_ITEM_ID}", headers=signed_in(production))

    nonce = re.search(r"style-src 'self' 'nonce-([^']+)'", first.headers["content-security-policy"])
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in first.text
    assert nonce.group(1) not in second.headers["content-security-policy"], "a fresh nonce per page"
    assert "script-src 'self';" in first.headers["content-security-policy"]


async def test_an_imported_matter_shows_what_the_import_wrote(
    client: httpx2.AsyncClient, production: Tenant
) -> None:
    item = production.state.create_work_item(
        NewWorkItem(
            type_system_name="matter-litigation",
            title="Harbour Holdings v Coastal Freight",
            reference="CL080001/82001",
            attributes={"aderant-matter-id": "82001"},
            key_dates={"kd-instruction-date": "2026-03-02"},
            participants=(
                NewParticipant("client", HARBOUR_HOLDINGS_ID, "organisation"),
                NewParticipant("witness", MARY_CITIZEN_ID, "person"),
            ),
        )
    )

    page = (await client.get(f"{PORTAL}/sharedo/{item.id}", headers=signed_in(production))).text

    assert "Litigation" in page and 'id="work-item-phase">Discovery<' in page
    assert "2026-03-02" in page
    assert ["Witness", "Mary Citizen", "person"] in _participant_rows(page)


async def test_text_from_the_work_item_is_escaped(client: httpx2.AsyncClient, production: Tenant) -> None:
    item = production.state.create_work_item(
        NewWorkItem(
            type_system_name="matter-commercial",
            title="<script>alert(1)</script>",
            attributes={"note": '"><img src=x onerror=alert(1)>'},
        )
    )

    page = (await client.get(f"{PORTAL}/sharedo/{item.id}", headers=signed_in(production))).text

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


async def test_an_unknown_work_item_is_404(client: httpx2.AsyncClient, production: Tenant) -> None:
    sign_in(client, production)

    response = await client.get("/production/sharedo/no-such-item", follow_redirects=True)

    assert response.status_code == 404
    assert "Work item not found" in response.text and "Sam Staff" in response.text


async def test_without_sign_in_the_portal_asks_for_it(client: httpx2.AsyncClient) -> None:
    response = await client.get(f"/production/sharedo/{IMPORTED_WORK_ITEM_ID}", follow_redirects=True)

    assert response.status_code == 200
    assert "Sign in" in response.text and "staff@sandbox.test" in response.text
    assert "CL080001/82003" not in response.text


def _participant_rows(page: str) -> list[list[str]]:
    table = page.split('id="work-item-participants"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


async def test_the_portal_navigation_marks_the_page_shown(client: httpx2.AsyncClient, production: Tenant) -> None:
    sign_in(client, production)

    pages = {
        "Matters": await client.get(f"/production/sharedo/{IMPORTED_WORK_ITEM_ID}", follow_redirects=True),
        "Contacts": await client.get(f"/production/ods/organisation/{HARBOUR_HOLDINGS_ID}", follow_redirects=True),
        "PMS Sync": await client.get(f"{PORTAL}/", follow_redirects=True),
    }

    for item, response in pages.items():
        assert response.status_code == 200, (item, response.status_code)
        active = re.findall(r'class="nav-item active"[^>]*>([^<]+)<', response.text)
        assert active == [item], (item, active)
