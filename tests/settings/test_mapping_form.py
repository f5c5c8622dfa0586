"""Settings → Mapping's form editor: the common changes as form rows, saved as a new mapping
version exactly as the JSON draft is (same checks, same audit event)."""

from __future__ import annotations

import html
import json
from dataclasses import replace

from plugin.mapping import DEFAULT_MAPPING
from plugin.mapping_document import from_document, to_document
from plugin.mapping_form import MappingForm, RoleRow, form_of
from store.mappings import MappingStore
from tests.settings.conftest import STAFF, csrf
from tests.views.conftest import Service

PAGE = "/settings/mapping?environment=1"


def fields(form: MappingForm) -> dict[str, object]:
    """The form as a browser posts it: each row's fields once per row, in order."""
    return {
        "base": form.base,
        "rule_source": [r.source for r in form.rules],
        "rule_equals": [r.equals for r in form.rules],
        "rule_work_type": [r.work_type for r in form.rules],
        "rule_also": [r.also for r in form.rules],
        "default_work_type": form.default_work_type,
        "role_aderant_role": [r.aderant_role for r in form.roles],
        "role_work_type": [r.work_type for r in form.roles],
        "role_role": [r.role for r in form.roles],
        "default_party_role": form.default_party_role,
        "attribute_source": [a.source for a in form.attributes],
        "attribute_target": [a.target for a in form.attributes],
        "attribute_transforms": [a.transforms for a in form.attributes],
        "attribute_lookup": [a.lookup for a in form.attributes],
    }


def save_form(service: Service, token: str, form: MappingForm, note: str = ""):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "action": "save_form", "form_note": note, **fields(form)}
    return service.client.post(PAGE, data=data, follow_redirects=False)  # type: ignore[arg-type]


def versions(service: Service):  # type: ignore[no-untyped-def]
    return MappingStore(service.store.engine).versions(service.organisation_id, 1)


def audit(service: Service) -> list:
    return [e for e in service.store.audit_events(service.organisation_id) if e.type.startswith("mapping.")]


def with_role(form: MappingForm, row: RoleRow) -> MappingForm:
    """The form with ``row`` typed into its first empty party role row."""
    roles = list(form.roles)
    roles[next(i for i, r in enumerate(roles) if r.blank)] = row
    return replace(form, roles=roles)


def test_the_form_shows_the_mapping_with_choices_from_the_environment(service: Service, admin: str) -> None:
    page = html.unescape(service.client.get(PAGE).text)
    editor = page.split('id="form-editor"', 1)[1].split("</section>", 1)[0]
    assert 'action="/settings/mapping?environment=1#form-editor"' in editor and f'value="{admin}"' in editor, "a CSRF-signed form"
    witness = editor.split('id="role-WIT"', 1)[1].split("</tr>", 1)[0]
    assert 'value="WIT"' in witness and "<option selected>witness</option>" in witness
    assert "<option>matter-private-client-general</option>" in editor, "work types from the types tree"
    assert "<option>matter-private-client</option>" not in editor, "an abstract work type is no choice"
    assert "<option>other-side-solicitor</option>" in witness, "roles from the loaded participant roles"
    assert "<option>reader</option>" not in witness, "a team's role is no party's"
    assert editor.count('<tr class="new">') == 6, "two empty rows to add to each list"


def test_saving_the_form_makes_a_version_as_the_json_draft_does(service: Service, admin: str) -> None:
    form = with_role(form_of(DEFAULT_MAPPING), RoleRow("WIT", "interested-party", "matter-commercial"))
    form.attributes[4].transforms = "trim upper"  # office
    form.rules[3].equals = "PCG"
    response = save_form(service, admin, form, note="Witnesses on commercial matters")
    assert response.status_code == 303 and response.headers["location"].endswith("saved=1"), html.unescape(response.text)
    (saved,) = versions(service)
    mapping = from_document(saved.document)
    assert mapping.party_roles_by_work_type == (("matter-commercial", "WIT", "interested-party"),)
    assert mapping.party_roles == DEFAULT_MAPPING.party_roles
    assert mapping.attributes[4].transforms == ("trim", "upper") and mapping.work_type_rules[3].equals == "PCG"
    assert (mapping.title_template, mapping.key_dates, mapping.identity) == (
        DEFAULT_MAPPING.title_template, DEFAULT_MAPPING.key_dates, DEFAULT_MAPPING.identity
    ), "what the form does not show is kept"
    assert [(e.type, e.data["version"], e.actor) for e in audit(service)] == [("mapping.saved", 1, "admin@sandbox.test")]
    assert saved.note == "Witnesses on commercial matters"
    page = html.unescape(service.client.get(PAGE).text)
    assert 'id="role-WIT-in-matter-commercial"' in page, "the new rule is a row of the form"


def test_clearing_a_row_removes_it_and_further_conditions_and_lookups_are_kept(service: Service, admin: str) -> None:
    doc = to_document(DEFAULT_MAPPING)
    doc["work_type_rules"][0]["and"] = [{"source": "office_code", "equals": "SYD"}]
    doc["attributes"][4].update(transforms=["lookup"], lookup={"SYD": "Sydney"}, lookup_default=None)
    form = form_of(from_document(doc))
    form.roles[3] = RoleRow()  # WIT
    assert save_form(service, admin, form).status_code == 303
    mapping = from_document(versions(service)[0].document)
    assert "WIT" not in dict(mapping.party_roles) and len(mapping.party_roles) == 4
    assert mapping.work_type_rules[0].also == (("office_code", "SYD"),)
    assert mapping.attributes[4].lookup == (("SYD", "Sydney"),)


def test_invalid_input_shows_a_plain_error_and_loses_nothing(service: Service, admin: str) -> None:
    form = with_role(form_of(DEFAULT_MAPPING), RoleRow("WIT", "witness", "matter-commercial"))
    form.attributes[4].transforms = "uppper"
    response = save_form(service, admin, form, note="keep me")
    assert response.status_code == 400
    page = html.unescape(response.text)
    problems = page.split('id="form-problems"', 1)[1].split("</div>", 1)[0]
    assert "Nothing was saved." in problems
    assert 'attributes[4].transforms[0]: unknown transform "uppper"' in problems
    editor = page.split('id="form-editor"', 1)[1].split("</section>", 1)[0]
    assert 'value="uppper"' in editor and 'value="keep me"' in editor, "what was typed is shown again"
    typed = editor.split('id="role-WIT-in-matter-commercial"', 1)[1].split("</tr>", 1)[0]
    assert "<option selected>witness</option>" in typed and "<option selected>matter-commercial</option>" in typed

    form.attributes[4].transforms = "upper"  # the document is right now; the environment's roles are checked next
    again = html.unescape(save_form(service, admin, form).text)
    assert 'party_roles (WIT in matter-commercial).role: "witness" is not a role matter-commercial gives a party' in again
    assert versions(service) == [] and audit(service) == []


def test_the_form_needs_its_csrf_token_and_an_administrator(service: Service, admin: str) -> None:
    form = with_role(form_of(DEFAULT_MAPPING), RoleRow("WIT", "interested-party", "matter-commercial"))
    assert save_form(service, "forged", form).status_code == 403
    service.sign_in(STAFF)
    token = csrf(service.client.get("/").text)
    assert save_form(service, token, form).status_code == 403
    assert versions(service) == []


def test_a_form_whose_hidden_fields_were_tampered_with_saves_nothing(service: Service, admin: str) -> None:
    form = replace(form_of(DEFAULT_MAPPING), base="[1, 2]")
    response = save_form(service, admin, form)
    assert response.status_code == 400 and "reload the page" in html.unescape(response.text)
    tampered = form_of(DEFAULT_MAPPING)
    tampered.rules[0].also = "[" * 100_000
    response = save_form(service, admin, tampered)
    assert response.status_code == 400 and "reload the page" in html.unescape(response.text)
    assert versions(service) == []
    assert json.loads(form_of(DEFAULT_MAPPING).base)["format"] == "pms-sync-mapping"


def test_a_role_rule_for_a_work_type_the_environment_cannot_create_is_refused(service: Service, admin: str) -> None:
    form = with_role(form_of(DEFAULT_MAPPING), RoleRow("WIT", "interested-party", "matter-comercial"))
    response = save_form(service, admin, form)
    assert response.status_code == 400
    assert (
        'party_roles (WIT in matter-comercial).work_type: "matter-comercial" is not a work type a matter can be created as in Production'
        in html.unescape(response.text)
    )
    assert versions(service) == []
