"""Security at the edge of the app: headers, Host, body size, same-origin writes, CSRF and the API token.

One ASGI middleware applies what holds for every request (headers, also on
500s; the Host header against the hosts served; the body size limit; refusing
cross-site writes by their Origin; redirects that never name a Host); the CSRF
token and the API token are checked by the routes that write.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import urlsplit

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


REDIRECTS = {301, 302, 303, 307, 308}
log = logging.getLogger("propscan.web")


def host_name(host_header: str) -> str:
    """The name or address in a Host header, lower-case, without port or IPv6 brackets."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def relative_location(location: bytes) -> bytes:
    """An absolute redirect target cut to its path and query.

    Why: Starlette builds the trailing-slash redirect from the Host header;
    a relative Location sends the browser to the same site whatever Host said.
    """
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    rel = "/" + (parts.path or "/").lstrip("/") + (f"?{parts.query}" if parts.query else "")
    return (rel + (f"#{parts.fragment}" if parts.fragment else "")).encode("latin-1")


class SecurityMiddleware:
    """Security headers on every response; unknown hosts, too-large bodies and cross-site writes refused early."""

    def __init__(self, app: ASGIApp, max_body: int, allowed_hosts: Iterable[str] | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.allowed_hosts = None if allowed_hosts is None else {host_name(h) for h in allowed_hosts}

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
                headers = list(message.get("headers", []))
                if message.get("status") in REDIRECTS:
                    headers = [(k, relative_location(v) if k.lower() == b"location" else v) for k, v in headers]
                names = {k.lower() for k, _ in headers}
                message = dict(message)
                message["headers"] = headers + [h for h in HEADERS if h[0] not in names]
            await send(message)

        async def reply(status: int, message: str) -> None:
            await send_with_headers({"type": "http.response.start", "status": status,
                                     "headers": [(b"content-type", b"application/json")]})
            await send_with_headers({"type": "http.response.body", "body": _error_body(status, message)})

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.allowed_hosts is not None and "*" not in self.allowed_hosts \
                and host_name(headers.get("host", "")) not in self.allowed_hosts:
            await reply(400, "unknown Host header (this server answers only its own names)")
            return
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
        except Exception:  # a bug: logged once, answered with the security headers too
            log.exception("error while answering %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await reply(500, "internal error (logged on the server)")


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
