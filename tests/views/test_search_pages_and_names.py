"""Search pages (the cap said, next and previous), the environment switcher keeping the search,
names people use with system names for administrators, counts in words, and the result card."""

from __future__ import annotations

import re

import pytest

from tests.views.conftest import Service
from views.rendering import noun, plural

MANY = "CL"  # every client code: far more than a page of matters


def test_the_api_answers_a_page_at_a_time_and_says_which_page_comes_next(service: Service) -> None:
    headers = service.bearer()
    first = service.client.get("/api/v1/matters", params={"q": MANY}, headers=headers).json()
    second = service.client.get("/api/v1/matters", params={"q": MANY, "page": 2}, headers=headers).json()

    assert (len(first["results"]), first["page"], first["page_size"], first["next_page"]) == (25, 1, 25, 2)
    assert second["page"] == 2 and len(second["results"]) == 25
    numbers = [r["matter_number"] for r in first["results"] + second["results"]]
    assert len(set(numbers)) == 50 and numbers == sorted(numbers), "the second page goes on where the first stopped"
    few = service.client.get("/api/v1/matters", params={"q": "82001"}, headers=headers).json()
    assert few["next_page"] is None


def test_the_api_refuses_a_page_that_is_not_a_page(service: Service) -> None:
    for page in ("0", "two", "401"):
        response = service.client.get("/api/v1/matters", params={"q": MANY, "page": page}, headers=service.bearer())
        assert response.status_code == 400, page
        assert "page" in response.json()["error"]


def test_the_search_page_says_it_stopped_at_its_cap_and_pages_on(service: Service) -> None:
    service.sign_in()
    first = service.client.get("/", params={"q": MANY, "environment": 1}).text
    assert "Showing matters 1–25: more" in first and "Refine your search, or see the next 25." in first
    assert 'href="/?environment=1&amp;q=CL&amp;page=2">Next 25 →</a>' in first
    assert "Previous" not in first

    second = service.client.get("/", params={"q": MANY, "environment": 1, "page": 2}).text
    assert "Showing matters 26–50" in second
    assert 'href="/?environment=1&amp;q=CL&amp;page=1">← Previous 25</a>' in second
    rows = lambda html: re.findall(r'<td class="mono">(\w+)</td>', html)  # noqa: E731
    assert len(rows(first)) == len(rows(second)) == 25 and not set(rows(first)) & set(rows(second))

    few = service.client.get("/", params={"q": "82001"}).text
    assert "Showing matters" not in few and "Next" not in few


def test_the_search_and_its_links_wait_on_the_systems_they_ask(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/", params={"q": "CL080001", "environment": 1}).text
    assert 'data-waits-for="Aderant (Production)"' in page  # the search form: Aderant only
    assert 'data-waits-for="Aderant and Clio Operate (Production)" data-wait-status="/waiting/"' in page  # a preview asks both
    assert '<div id="wait" class="wait" hidden>' in page and '<script src="/static/progress.js"></script>' in page


def test_the_wait_status_answers_only_a_signed_in_caller_and_says_nothing_it_does_not_know(service: Service) -> None:
    token = "a" * 32
    assert service.client.get(f"/waiting/{token}").status_code == 401
    service.sign_in()
    answer = service.client.get(f"/waiting/{token}")
    assert (answer.status_code, answer.json(), answer.headers["cache-control"]) == (200, {"waiting_for": None}, "no-store")
    assert service.client.get("/waiting/not-a-token").json() == {"waiting_for": None}


def test_switching_the_environment_of_a_preview_waits_on_that_environments_systems(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/matters/82001/preview", params={"environment": 1}).text
    switcher = page.split('aria-label="Environment"')[1].split("</nav>")[0]
    assert 'data-waits-for="Aderant and Clio Operate (UAT)" data-wait-status="/waiting/">UAT</a>' in switcher


def test_the_environment_switcher_keeps_the_search(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/", params={"q": "Harbour & Co", "environment": 1, "page": 2}).text
    switcher = page.split('aria-label="Environment"')[1].split("</nav>")[0]
    assert 'href="/?environment=2&amp;q=Harbour+%26+Co"' in switcher, "the query goes along; the page starts again"
    empty = service.client.get("/", params={"environment": 1}).text
    assert 'href="/?environment=2"' in empty.split('aria-label="Environment"')[1].split("</nav>")[0]


def test_staff_see_clio_operate_names_and_administrators_also_the_system_names(service: Service) -> None:
    service.sign_in()
    staff = service.client.get("/matters/82001/preview", params={"environment": 1}).text
    # The public types tree carries system names only (sharedo-tech/sharedo-mobile-core
    # src/infra/typesTree.js): "Litigation" is the name the demo loaded from the modeller's tree.
    assert '<dd id="work-type"><span class="named">Litigation</span></dd>' in staff
    assert '<span class="named">Instruction date</span>' in staff
    assert '<span class="named">Witness</span>' in staff and '<span class="named">Other Side</span>' in staff  # the tenant's own name, as loaded
    assert 'title="matter-litigation"' not in staff and 'title="witness"' not in staff

    service.sign_in("admin@sandbox.test")
    admin = service.client.get("/matters/82001/preview", params={"environment": 1}).text
    assert '<span class="named" title="matter-litigation">Litigation</span>' in admin
    assert '<span class="named" title="kd-instruction-date">Instruction date</span>' in admin
    assert '<span class="named" title="other-side">Other Side</span>' in admin


def test_counts_read_as_words(service: Service) -> None:
    service.sign_in()
    preview = service.client.get("/matters/82001/preview", params={"environment": 1}).text
    rollup = " ".join(re.sub(r"<[^>]+>", "", preview.split('<p class="rollup" aria-live="polite">')[1].split("</p>")[0]).split())
    assert rollup == "4 contacts will be created, 1 linked."


@pytest.mark.parametrize(
    ("count", "words"), [(0, "0 matters"), (1, "1 matter"), (2, "2 matters")]
)
def test_plural(count: int, words: str) -> None:
    assert plural(count, "matter") == words


def test_plural_of_a_word_that_does_not_just_take_an_s() -> None:
    assert (plural(1, "party", "parties"), plural(3, "party", "parties")) == ("1 party", "3 parties")
    assert (noun(1, "contact"), noun(4, "contact")) == ("contact", "contacts")


def test_the_result_card_names_the_matter_and_its_title(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/matters/82001/preview", params={"environment": 1}).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    result = service.client.post("/matters/82001/import", params={"environment": 1}, data={"csrf_token": csrf})
    assert result.status_code == 200
    card = result.text.split('id="result-card"')[1]
    assert "Matter 82001 · Harbour Holdings v Coastal Freight imported into Clio Operate (Production)." in card
    assert "<h1>Matter 82001 · Harbour Holdings v Coastal Freight" in card
    assert '<span class="named">Reader</span>' in card, "the default team's role by its name"
