"""Limits and switches of the web app, read once from options and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_MAX_UPLOAD = 5_000_000
UPLOAD_SUFFIXES = (".txt", ".text", ".html", ".htm")


def _env_token() -> str | None:
    return os.environ.get("PROPSCAN_API_TOKEN") or None


def _env_fetch_private() -> bool:
    return os.environ.get("PROPSCAN_FETCH_PRIVATE", "") in ("1", "true", "yes")


@dataclass
class Settings:
    # largest article accepted, in bytes (a file upload, a pasted text or an HTML body)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    # when set, POST /api/* needs ``Authorization: Bearer <token>`` (env PROPSCAN_API_TOKEN)
    api_token: str | None = field(default_factory=_env_token)
    # analysis is CPU-bound: this many worker threads, each taking up to ``batch_size`` queued articles
    workers: int = 1
    batch_size: int = 8
    # requests waiting for analysis beyond this are refused with 503 instead of piling up
    max_pending: int = 1000
    # set the CSRF cookie ``Secure`` (behind HTTPS)
    secure_cookies: bool = False
    # a pasted link may point at loopback, private or link-local addresses (tests, an intranet);
    # off by default so the server cannot be made to fetch from its own network
    fetch_private: bool = field(default_factory=_env_fetch_private)
