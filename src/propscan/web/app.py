"""The FastAPI application: one store, one analyzer, the REST API and the pages.

``create_app`` takes its collaborators as arguments (a store, an analyzer
factory, settings) so tests and embedders can pass their own; by default it
opens the store named by ``db_url`` (else ``settings.core.db_url``, else the
default SQLite file) and uses ``propscan.analyzer.default_analyzer`` with
``settings.core``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .. import __version__
from ..detect.calibration import undetected_techniques
from ..errors import STATUS, ModelError, PropscanError
from .runner import AnalysisRunner, Busy, ClientGone
from .security import BODY_SLACK, SecurityMiddleware
from .settings import Settings

HERE = Path(__file__).resolve().parent


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


def create_app(store: Any = None, db_url: str | None = None, settings: Settings | None = None,
               analyzer_factory: Callable[[], Any] | None = None) -> FastAPI:
    settings = settings or Settings()
    if store is None:
        from ..store import Store

        store = Store(db_url or settings.core.db_url, settings=settings.core)
    if analyzer_factory is None:
        import functools

        from ..analyzer import default_analyzer

        analyzer_factory = functools.partial(default_analyzer, settings.core)
    def store_batch(analyses: list[Any]) -> list[tuple[int, Any]]:
        # one transaction per batch, in the analysis worker: writes never queue up in a thread pool;
        # the batch then joins its duplicate groups and stories
        from .service import store_and_link

        return store_and_link(store, analyses)

    runner = AnalysisRunner(analyzer_factory, workers=settings.workers, batch_size=settings.batch_size,
                            max_pending=settings.max_pending, max_pending_bytes=settings.max_pending_bytes,
                            finish=store_batch)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        runner.warm_up()  # load the models now, not on the first request
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(
        title="propscan",
        version=__version__,
        description="Find persuasion and propaganda techniques in news articles (SemEval-2023 Task 3 "
                    "taxonomy). Every analysis is the same JSON shape as `propscan analyze`.",
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["version"] = __version__
    templates.env.globals["undetected"] = undetected_techniques()
    app.state.templates = templates

    app.add_middleware(SecurityMiddleware, max_body=settings.max_upload_bytes + BODY_SLACK,
                       allowed_hosts=settings.allowed_hosts)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

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
        return error_response(request, STATUS.get(exc.kind, 400), str(exc))

    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def _store_error(request: Request, exc: sa.exc.SQLAlchemyError) -> Response:
        from ..store.store import store_error

        # a corpus query outside the Store's own methods
        err = store_error(getattr(store, "_safe_url", lambda: "the store")(), exc)
        return error_response(request, STATUS.get(err.kind, 503), str(err))

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

    from . import api, docs, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(docs.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "pending": runner.pending}

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return HTMLResponse(status_code=204)

    return app
