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

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..detect.calibration import undetected_techniques
from .errors import install_error_handlers
from .runner import AnalysisRunner
from .security import BODY_SLACK, SecurityMiddleware
from .settings import Settings

HERE = Path(__file__).resolve().parent


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

    install_error_handlers(app, store)

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
