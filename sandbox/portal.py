"""A page that looks like the Clio Operate portal and hosts the PMS Sync widget as Sharedo does.

`/{tenant}/portal/` signs a demo user in (the token goes in the `_api` cookie, readable by
JavaScript, as in the real portal), renders the widget's template into a workspace element and
runs `new PmsSync.Widget(element, configuration, baseModel).loadAndBind()` (see static/portal.js).

`/{tenant}/portal/sharedo/{id}` shows a work item to a signed-in user; `/{tenant}/sharedo/{id}`, the
link Clio Operate gives a work item (`{api_url}/sharedo/{id}`), leads there. Likewise
`/{tenant}/portal/ods/{kind}/{id}` shows a person or organisation, and `/{tenant}/ods/{kind}/{id}`
(PMS Sync's default contact address, `{api_url}/ods/{kind}/{id}`) leads there.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from sandbox.clio.model import Organisation, Person, User, WorkItem
from sandbox.clio.tenant import Tenant, UnknownUser

TOKEN_COOKIE = "_api"
IDE_FILES_URL = "/_ideFiles/PmsSync"
TOKEN_REFRESH_SECONDS = 240
_HERE = Path(__file__).parent
_templates = Jinja2Templates(directory=_HERE / "templates")


@dataclass(frozen=True)
class WidgetPackage:
    """What the portal needs from a built widget folder (its `*.widget.json` manifest)."""

    id: str
    title: str
    scripts: list[str]
    styles: list[str]
    template_html: str
    configuration: dict[str, Any]


def load_widget_package(widget_dir: Path, portal_path: str) -> WidgetPackage:
    manifest_path = next(widget_dir.glob("*.widget.json"))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))

    def file_name(ide_path: str) -> str:
        if not ide_path.startswith(IDE_FILES_URL + "/"):
            raise ValueError(f"{manifest_path.name}: {ide_path!r} is not under {IDE_FILES_URL}/")
        return ide_path.removeprefix(IDE_FILES_URL + "/")

    def url(ide_path: str) -> str:
        return f"{portal_path}{IDE_FILES_URL}/{file_name(ide_path)}"

    return WidgetPackage(
        id=manifest["id"],
        title=manifest["designer"]["title"],
        scripts=[url(path) for path in manifest["scripts"]],
        styles=[url(path) for path in manifest["styles"]],
        template_html="\n".join(
            (widget_dir / file_name(path)).read_text(encoding="utf-8") for path in manifest["templates"]
        ),
        configuration=manifest["designer"].get("defaultConfigurationJson") or {},
    )


class Portal:
    def __init__(self, tenant: Tenant, *, service_url: str, widget_dir: Path | None) -> None:
        self.tenant = tenant
        self.widget_dir = widget_dir
        self.path = urlsplit(tenant.portal_url).path.rstrip("/")
        service = urlsplit(service_url)
        self.csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"frame-src {service.scheme}://{service.netloc}; object-src 'none'; base-uri 'none'"
        )

    def app(self) -> Starlette:
        routes: list[BaseRoute] = [
            Route("/", self.home, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["GET"]),
            Route("/security/refreshTokens", self.refresh_token, methods=["GET"]),
            Route("/sharedo/{work_item_id}", self.work_item, methods=["GET"]),
            Route("/ods/{kind}/{contact_id}", self.contact, methods=["GET"]),
            Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
        ]
        if self.widget_dir is not None:
            routes.append(Mount(IDE_FILES_URL, StaticFiles(directory=self.widget_dir)))
        return Starlette(routes=routes)

    def _signed_in_user(self, request: Request) -> User | None:
        claims = self.tenant.tokens.resolve(request.cookies.get(TOKEN_COOKIE, ""))
        return self.tenant.state.users.get(claims.get("sharedo/userid", "")) if claims else None

    def _page(
        self, request: Request, template: str, status: int = 200, *, style_nonce: str = "", **context: Any
    ) -> Response:
        csp = self.csp
        if style_nonce:  # the page's own <style nonce="…"> block; nothing else inline
            csp = csp.replace("style-src 'self'", f"style-src 'self' 'nonce-{style_nonce}'")
        return _templates.TemplateResponse(
            request,
            template,
            {"tenant": self.tenant, "portal_path": self.path, "style_nonce": style_nonce, **context},
            status_code=status,
            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
        )

    def _set_token(self, response: Response, token: str) -> None:
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            path=self.path,
            samesite="lax",
            httponly=False,  # the widget reads it, as widgets do in the real portal
            secure=self.tenant.portal_url.startswith("https://"),
        )

    async def home(self, request: Request) -> Response:
        user = self._signed_in_user(request)
        if user is None:
            response = self._sign_in_page(
                request, reference=request.query_params.get("token") == "reference", return_query=request.url.query
            )
            response.delete_cookie(TOKEN_COOKIE, path=self.path)
            return response
        widget = load_widget_package(self.widget_dir, self.path) if self.widget_dir else None
        page_context = {
            "user": {
                "userid": user.id,
                "username": user.username,
                "firstname": user.first_name,
                "lastname": user.surname,
            },
            "widget": {"id": widget.id, "configuration": widget.configuration} if widget else None,
            "refreshUrl": f"{self.path}/security/refreshTokens",
            "refreshSeconds": TOKEN_REFRESH_SECONDS,
        }
        return self._page(request, "portal.html", user=user, widget=widget, page_context=page_context)

    def _sign_in_page(
        self, request: Request, *, reference: bool, status: int = 200, message: str = "", return_query: str = ""
    ) -> Response:
        """`return_query`: the query of the portal page asked for (a link into a widget's panel),
        kept through sign-in as the real portal keeps its return URL."""
        users = sorted(self.tenant.state.users.values(), key=lambda u: u.username)
        return self._page(
            request, "signin.html", status, users=users, reference=reference, message=message, return_query=return_query
        )

    async def login(self, request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username", ""))
        reference = form.get("token") == "reference"
        # Only a query for this page: the redirect never leaves the portal's home.
        return_query = urlencode(parse_qsl(str(form.get("return_query", ""))))
        try:
            token = self.tenant.mint_user_token(username, reference=reference)
        except UnknownUser:
            return self._sign_in_page(
                request, reference=reference, status=400, message=f"Unknown user {username!r}.", return_query=return_query
            )
        response = RedirectResponse(f"{self.path}/" + (f"?{return_query}" if return_query else ""), status_code=303)
        self._set_token(response, token)
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse(f"{self.path}/", status_code=303)
        response.delete_cookie(TOKEN_COOKIE, path=self.path)
        return response

    async def work_item(self, request: Request) -> Response:
        """A work item as the portal shows it: header fields, key dates, attributes, participants."""
        user = self._signed_in_user(request)
        if user is None:
            return self._sign_in_page(request, reference=False)
        item = self.tenant.state.work_items.get(request.path_params["work_item_id"])
        return self._page(
            request,
            "work_item.html",
            200 if item else 404,
            style_nonce=secrets.token_urlsafe(16),
            user=user,
            item=item,
            work_type=self._work_type_name(item) if item else "",
        )

    async def contact(self, request: Request) -> Response:
        """A person or organisation as the portal shows it: name, references, contact details, addresses."""
        user = self._signed_in_user(request)
        if user is None:
            return self._sign_in_page(request, reference=False)
        state = self.tenant.state
        records: dict[str, Mapping[str, Person | Organisation]] = {"person": state.people, "organisation": state.organisations}
        contact = records.get(request.path_params["kind"], {}).get(request.path_params["contact_id"])
        return self._page(
            request, "contact.html", 200 if contact else 404, style_nonce=secrets.token_urlsafe(16), user=user, contact=contact,
        )

    def _work_type_name(self, item: WorkItem) -> str:
        work_type = self.tenant.state.work_types.get(item.type_system_name)
        return work_type.name if work_type else item.type_system_name

    async def refresh_token(self, request: Request) -> Response:
        """Re-issue the `_api` cookie before it expires, as the real portal does in the background."""
        current = request.cookies.get(TOKEN_COOKIE, "")
        user = self._signed_in_user(request)
        if user is None:
            return JSONResponse({"error": "Not signed in"}, status_code=401)
        response = Response(status_code=204)
        reference = self.tenant.tokens.is_reference(current)
        self._set_token(response, self.tenant.mint_user_token(user.username, reference=reference))
        return response


def work_item_link(tenant: Tenant) -> Route:
    """`GET {api_url}/sharedo/{id}`, the address of a work item, answered with the portal's page
    for it (the portal's cookie is scoped to the portal's path, so the page lives there)."""
    portal_path = urlsplit(tenant.portal_url).path.rstrip("/")

    async def redirect(request: Request) -> Response:
        work_item_id = quote(request.path_params["work_item_id"], safe="")
        return RedirectResponse(f"{portal_path}/sharedo/{work_item_id}", status_code=303)

    return Route("/sharedo/{work_item_id}", redirect, methods=["GET"])


def contact_link(tenant: Tenant) -> Route:
    """`GET {api_url}/ods/{kind}/{id}`, the address PMS Sync gives a contact by default, answered
    with the portal's page for it."""
    portal_path = urlsplit(tenant.portal_url).path.rstrip("/")

    async def redirect(request: Request) -> Response:
        kind, contact_id = (quote(request.path_params[name], safe="") for name in ("kind", "contact_id"))
        return RedirectResponse(f"{portal_path}/ods/{kind}/{contact_id}", status_code=303)

    return Route("/ods/{kind}/{contact_id}", redirect, methods=["GET"])
