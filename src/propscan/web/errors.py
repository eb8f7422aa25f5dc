"""How the web app answers errors: one-line JSON for the API, the error page for a browser.

Every router raises ``ApiError`` (a status and a message) or lets a library
error through; ``install_error_handlers`` maps each to its response. A
``PropscanError``'s status comes from its kind (``errors.STATUS``), never from
its wording. Kept apart from ``app`` so routers and services can raise
without importing the application that includes them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..errors import STATUS, ModelError, PropscanError
from .runner import Busy, ClientGone


class ApiError(Exception):
    """An error answered with its status code and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: Starlette's own Allow names only the first route's."""
    def takes(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)

    return ", ".join(m for m in METHODS if takes(m))


def error_response(request: Request, status: int, message: str, headers: dict[str, str] | None = None,
                   detail: Any = None) -> Response:
    if wants_json(request):
        body: dict[str, Any] = {"error": {"status": status, "message": message}}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status, headers=headers)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                      status_code=status, headers=headers)


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for e in errors[:3]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{loc or 'input'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid input"


def status_of(exc: PropscanError) -> int:
    """The HTTP status of a library error, by its kind (a read-only or vanished store is 503, a full one 507)."""
    return STATUS.get(exc.kind, 400)


def install_error_handlers(app: FastAPI, store: Any) -> None:
    """Answer every error the routes can raise with its status and a one-line message."""
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> Response:
        return error_response(request, 503, f"server busy: {exc}; retry shortly", {"Retry-After": "5"})

    @app.exception_handler(ModelError)
    async def _model_error(request: Request, exc: ModelError) -> Response:
        return error_response(request, 503, f"analysis unavailable: {exc}")

    @app.exception_handler(PropscanError)
    async def _user_error(request: Request, exc: PropscanError) -> Response:
        # the kind says the status (a read-only or vanished store is 503, a full one 507)
        return error_response(request, status_of(exc), str(exc))

    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def _store_error(request: Request, exc: sa.exc.SQLAlchemyError) -> Response:
        from ..store.store import store_error

        # a corpus query outside the Store's own methods
        err = store_error(getattr(store, "_safe_url", lambda: "the store")(), exc)
        return error_response(request, status_of(err), str(err))

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> Response:
        return error_response(request, 400, "body nested too deeply")

    @app.exception_handler(ClientGone)
    async def _gone(request: Request, exc: ClientGone) -> Response:
        return error_response(request, 499, "client closed the request; its analysis was cancelled")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return error_response(request, 422, _validation_message(errors), detail=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return error_response(request, exc.status_code, message, headers)
