"""Settings pages that load a document the Clio Operate modeller returned, from a JSON file or
pasted text (Participant Roles, Work Type Names), administrators only: the page, and its form
posted back (PRG). A refusal shows the page again with every problem, and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from plugin.errors import InvalidDocument, InvalidInput
from plugin.services import EnvironmentSettings, Services
from views.common import HANDLED, http_error, runtime, signed_form, text, uploaded_text
from views.rendering import WithStatus, page

# What the page shows of an environment: what is loaded and where it came from.
Overview = Callable[[Services, EnvironmentSettings], Awaitable[object]]


@dataclass(frozen=True)
class Submitted:
    """A posted form of a document page, from its signed-in administrator."""

    page: DocumentPage
    services: Services
    env: EnvironmentSettings
    actor: str
    form: FormData

    def text(self, name: str) -> str:
        return text(self.form, name)

    async def document(self) -> tuple[str, str]:
        """The uploaded file's text and name, else the pasted text and "pasted text"."""
        upload, name = await uploaded_text(self.form, self.page.max_document, self.page.not_text)
        return upload or _pasted(self.form), name or "pasted text"


@dataclass(frozen=True)
class PageAction:
    """What one ``action`` of the form does, and the notice once it is done."""

    run: Callable[[Submitted], Awaitable[object]]
    done: str  # the page is shown again with ?done=<this>, e.g. "loaded"
    notice: str


@dataclass(frozen=True)
class DocumentPage:
    path: str
    template: str
    overview: Overview
    invalid: type[InvalidDocument]  # the document's refusal: its problems are listed on the page
    max_document: int  # bytes
    actions: Mapping[str, PageAction]
    kept: tuple[str, ...] = ()  # form fields shown back after a refusal, besides the pasted text

    @property
    def defaults(self) -> dict:
        blank: dict[str, object] = {"section": "settings", "page": None, "notice": None, "problems": [], "pasted": ""}
        return {**blank, **{name: "" for name in self.kept}}

    def not_text(self, name: str) -> InvalidDocument:
        return self.invalid([f"(document): {name} is not UTF-8 text; upload the JSON the modeller returned"])

    async def show(self, request: Request) -> Response:
        done = request.query_params.get("done", "")
        notice = next((a.notice for a in self.actions.values() if a.done == done), None)

        async def build(env: EnvironmentSettings) -> dict:
            return {"page": await self.overview(runtime(request).services, env), "notice": notice}

        return await page(request, self.template, build, self.defaults, admin=True)

    async def post(self, request: Request) -> Response:
        signed = await signed_form(request)
        if isinstance(signed, Response):
            return signed
        caller, form = signed
        services = runtime(request).services
        action = self.actions.get(text(form, "action"))

        async def build(env: EnvironmentSettings) -> WithStatus | Response:
            context: dict = {"pasted": _pasted(form), **{name: text(form, name) for name in self.kept}}
            try:
                if action is None:
                    raise InvalidInput("Unknown action: reload the page and try again.")
                await action.run(Submitted(self, services, env, caller.principal.user_name, form))
            except self.invalid as exc:
                status, context["problems"] = 400, exc.problems
            except HANDLED as exc:
                status, context["error"] = http_error(exc)
            else:
                return RedirectResponse(f"{self.path}?{urlencode({'environment': env.id, 'done': action.done})}", status_code=303)
            return WithStatus(status, {"page": await self.overview(services, env), **context})

        return await page(request, self.template, build, self.defaults, admin=True)

    @property
    def routes(self) -> list[Route]:
        return [Route(self.path, self.show, methods=["GET"]), Route(self.path, self.post, methods=["POST"])]


def _pasted(form: FormData) -> str:
    pasted = form.get("pasted")
    return pasted if isinstance(pasted, str) else ""
