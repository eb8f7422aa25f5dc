"""API documentation at /docs, served offline.

FastAPI's default /docs loads Swagger UI from a CDN with an inline script; a
laptop without network (and our CSP) would get a blank page. Swagger UI's files
come from the ``swagger-ui-bundle`` package instead, started by a script of
ours, and the page lists every endpoint server-side so it reads without JS too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

router = APIRouter(include_in_schema=False)
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


def _swagger_dir() -> str | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return str(swagger_ui_path)


def _endpoints(schema: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            out.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "codes": ", ".join(sorted(op.get("responses", {})))})
    return out


@router.get("/docs")
async def docs(request: Request) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "docs.html", {
        "endpoints": _endpoints(request.app.openapi()),
        "swagger": _swagger_dir() is not None,
        # the curl examples use the address this page was asked for, not a fixed port
        "base": str(request.base_url).rstrip("/"),
    })


@router.get("/docs/assets/{name}")
async def swagger_asset(name: str) -> Response:
    # a fixed list of names: nothing from the URL reaches the file system
    folder = _swagger_dir()
    if folder is None or name not in SWAGGER_FILES:
        from .errors import ApiError

        raise ApiError(404, f"no documentation asset {name!r}")
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(f"{folder}/{name}", media_type=media, headers={"Cache-Control": "public, max-age=86400"})
