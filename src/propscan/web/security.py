"""Security at the edge of the app: headers, body size, same-origin writes, CSRF and the API token.

One ASGI middleware applies what holds for every request (headers, the body
size limit, refusing cross-site writes by their Origin); the CSRF token and
the API token are checked by the routes that write.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any, Awaitable, Callable

from fastapi import Request

CSRF_COOKIE = "propscan_csrf"
CSRF_FIELD = "csrf"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# multipart framing and form fields around an upload of the largest allowed size
BODY_SLACK = 64 * 1024

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # colours of highlights and chart elements are set in style attributes
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


def _error_body(status: int, message: str) -> bytes:
    return json.dumps({"error": {"status": status, "message": message}}).encode()


class SecurityMiddleware:
    """Security headers on every response; too-large bodies and cross-site writes refused early."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]],
                       send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in names]
            await send(message)

        async def reply(status: int, message: str) -> None:
            await send_with_headers({"type": "http.response.start", "status": status,
                                     "headers": [(b"content-type", b"application/json")]})
            await send_with_headers({"type": "http.response.body", "body": _error_body(status, message)})

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if scope.get("method", "GET") in UNSAFE_METHODS:
            if not same_origin(headers, scope):
                await reply(403, "cross-origin request refused (Origin does not match this site)")
                return
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                await reply(413, f"request body too large (over {self.max_body:,} bytes)")
                return

        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await reply(413, f"request body too large (over {self.max_body:,} bytes)")


def same_origin(headers: dict[str, str], scope: dict) -> bool:
    """False when the browser says the request comes from another site.

    Requests without Origin (curl, scripts, old browsers on same-origin GET
    forms) pass; the CSRF token still guards the forms.
    """
    origin = headers.get("origin")
    if origin is None:
        fetch_site = headers.get("sec-fetch-site")
        return fetch_site in (None, "same-origin", "none")
    if origin == "null":
        return False
    host = headers.get("host", "")
    scheme = scope.get("scheme", "http")
    return origin.rstrip("/").lower() in {f"{scheme}://{host}".lower(), f"http://{host}".lower(),
                                          f"https://{host}".lower()}


# -- CSRF: a random token in a SameSite cookie, echoed in a hidden form field --------------

def csrf_token(request: Request) -> str:
    """The visitor's CSRF token (the cookie's, or a new one that the response must set)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 32:
        token = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response: Any, secure: bool = False) -> None:
    new = getattr(request.state, "new_csrf", "")
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=secure, path="/")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and bool(submitted) and hmac.compare_digest(cookie.encode(), str(submitted).encode())


def token_ok(expected: str | None, given: str | None) -> bool:
    if not expected:
        return True
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
