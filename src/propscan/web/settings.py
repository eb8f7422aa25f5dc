"""Limits and switches of the web app, given by ``propscan serve`` (its options and environment) or the embedder."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..readers import HTML, TEXT, suffixes
from ..runtime.settings import Settings as CoreSettings

DEFAULT_MAX_UPLOAD = 5_000_000
UPLOAD_SUFFIXES = suffixes(TEXT, HTML)  # one article a file, as in a folder
TOKEN_ENV = "PROPSCAN_API_TOKEN"  # read by ``propscan serve`` into ``api_token``


@dataclass
class Settings:
    # largest article accepted, in bytes (a file upload, a pasted text or an HTML body)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    # when set, POST /api/* needs ``Authorization: Bearer <token>`` (``propscan serve``: env PROPSCAN_API_TOKEN)
    api_token: str | None = None
    # analysis is CPU-bound: this many worker threads, each taking up to ``batch_size`` queued articles
    workers: int = 1
    batch_size: int = 8
    # requests waiting for analysis beyond this are refused with 503 instead of piling up
    max_pending: int = 1000
    # ... and beyond this many bytes of waiting request bodies (20 maximum-size uploads must not take gigabytes)
    max_pending_bytes: int = 50_000_000
    # Host header values served (a name or address, port ignored); None serves any Host (an embedding app
    # behind its own proxy). ``propscan serve`` sets the bind address and localhost: see ``default_hosts``
    allowed_hosts: tuple[str, ...] | None = None
    # set the CSRF cookie ``Secure`` (behind HTTPS)
    secure_cookies: bool = False
    # a pasted link may point at loopback, private or link-local addresses (tests, an intranet);
    # off by default so the server cannot be made to fetch from its own network (``serve --fetch-private``)
    fetch_private: bool = False
    # the analysis and store settings (threads, size limit, models and cache folders, store URL, lock wait)
    core: CoreSettings = field(default_factory=CoreSettings)


def default_hosts(bind: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The hosts ``propscan serve`` answers by default: the bind address (unless a wildcard) and localhost.

    Why: a page on another site can point its own DNS name at this machine
    (DNS rebinding); checking Host makes such requests fail instead of being
    treated as same-origin.
    """
    hosts = ["localhost", "127.0.0.1", "::1"]
    if bind not in ("0.0.0.0", "::", ""):
        hosts.append(bind)
    return tuple(dict.fromkeys(h.strip().lower().strip("[]") for h in (*hosts, *extra) if h.strip()))
