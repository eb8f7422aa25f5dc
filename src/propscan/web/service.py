"""What the API and the pages both do: analyse and store, fetch, validate and record feedback.

Store calls are synchronous (SQLAlchemy); they run in the thread pool so the
event loop keeps serving. Analysis goes through the bounded ``AnalysisRunner``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..document import Analysis, Article
from ..errors import InputError
from ..taxonomy import TECHNIQUES, normalise
from .errors import ApiError, status_of
from .runner import AnalysisRunner

ACTIONS = ("wrong", "relabel", "add")
# the store's vocabulary for the same verdicts (it also knows confirm and adjust)
STORE_ACTION = {"wrong": "reject", "relabel": "relabel", "add": "add"}
MODEL_VERSION_MAX = 255
log = logging.getLogger("propscan.web")


def store_of(request: Request) -> Any:
    return request.app.state.store


def runner_of(request: Request) -> AnalysisRunner:
    return request.app.state.runner


async def analyze_and_store(request: Request, prepare: Any) -> tuple[int, Analysis]:
    """Analyse the article ``prepare()`` builds, store it (in the worker), return (id, analysis).

    The job counts the request's body size against the queue's byte limit and
    is dropped if the client disconnects while it waits. Input problems get
    the status of their kind (``errors.STATUS``: 400, 413, 415).
    """
    length = request.headers.get("content-length", "")
    size = int(length) if length.isdigit() else 0
    try:
        article_id, analysis = await runner_of(request).analyze(prepare, size, request.is_disconnected)
    except InputError as e:  # an unsupported upload too: its kind says 415
        raise ApiError(status_of(e), str(e)) from None
    return int(article_id), analysis


async def get_analysis(request: Request, article_id: int) -> Analysis:
    analysis = await run_in_threadpool(store_of(request).get, article_id)
    if analysis is None:
        raise ApiError(404, f"no article with id {article_id}")
    return analysis


def technique_name(name: str | None, field: str) -> str:
    """A known technique (2023 name, or a 2020/2021 name mapped onto it); 422 otherwise."""
    if not name:
        raise ApiError(422, f"{field}: a technique is required")
    try:
        t = normalise(name)
    except (KeyError, ValueError):
        t = name
    if t not in TECHNIQUES:
        raise ApiError(422, f"{field}: unknown technique {name!r} (see /api/techniques)")
    return t


def model_version(analysis: Analysis) -> str:
    """The versions of the models that produced the analysis, as one string stored with feedback."""
    if not analysis.models:
        return "none"
    s = ";".join(f"{k}={v}" for k, v in sorted(analysis.models.items()))
    return s[:MODEL_VERSION_MAX]


def validate_feedback(analysis: Analysis, action: str, start: int, end: int, technique: str | None,
                      new_technique: str | None) -> tuple[str | None, str | None]:
    """Check a correction against the article; returns the normalised (technique, new_technique)."""
    if action not in ACTIONS:
        raise ApiError(422, f"action: must be one of {', '.join(ACTIONS)}")
    n = len(analysis.text)
    if not (0 <= start < end <= n):
        raise ApiError(422, f"start/end: need 0 <= start < end <= {n} (the article's length)")
    if action == "add":
        tech = technique_name(new_technique or technique, "technique")
        return tech, None
    old = technique_name(technique, "technique") if technique else None
    matches = [s for s in analysis.spans if s.start == start and s.end == end and (old is None or s.technique == old)]
    if not matches:
        raise ApiError(422, f"no model span {start}-{end}" + (f" labelled {old}" if old else "")
                       + " in this article")
    old = old or matches[0].technique
    if action == "relabel":
        new = technique_name(new_technique, "new_technique")
        if new == old:
            raise ApiError(422, "new_technique: same as the current technique")
        return old, new
    return old, None


async def record_feedback(request: Request, article_id: int, action: str, start: int, end: int,
                          technique: str | None, new_technique: str | None, note: str = "",
                          annotator: str = "") -> dict[str, Any]:
    analysis = await get_analysis(request, article_id)
    tech, new = validate_feedback(analysis, action, start, end, technique, new_technique)
    version = model_version(analysis)
    annotator = " ".join((annotator or "").split())[:255]
    fid = await run_in_threadpool(
        lambda: store_of(request).add_feedback(article_id=article_id, action=STORE_ACTION[action], start=start, end=end,
                                               technique=tech, new_technique=new, model_version=version,
                                               note=note[:2000], annotator=annotator))
    return {"id": int(fid), "article_id": article_id, "action": action, "start": start, "end": end,
            "technique": tech, "new_technique": new, "model_version": version, "annotator": annotator,
            "text": analysis.text[start:end]}


def store_and_link(store: Any, analyses: list[Analysis]) -> list[tuple[int, Analysis]]:
    """Store a batch (one transaction) and link it at once: an article analysed in the web app or the
    API joins its duplicate group and its story as it is stored, not at the next ``propscan ingest``.

    Linking is best effort: the analyses are stored whatever happens there (``ingest`` with no path
    links what is left).
    """
    ids = [i for i, _ in store.add_many(analyses)]
    from ..corpus.update import update

    try:
        update(store)
    except Exception as e:  # noqa: BLE001 - e.g. a database hiccup: the articles are stored anyway
        log.warning("propscan: stored %d article(s) but could not link them yet: %s", len(ids), e)
    return [(int(i), a) for i, a in zip(ids, analyses)]


# -- analysing a link: fetched server-side, never from this machine's own network -------------------
FETCH_TIMEOUT = 10.0  # each network wait
FETCH_TOTAL_TIMEOUT = 20.0  # the whole download


def check_address(host: str, allow_private: bool = False) -> None:
    """Refuse a host that is, or resolves to, a loopback, private, link-local or otherwise non-public
    address (the server must not become a way into its own network)."""
    import ipaddress
    import socket

    if allow_private:
        return
    try:
        addrs = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            raise InputError(host, "cannot resolve this host name") from None
        addrs = {ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos}
    bad = sorted(str(a) for a in addrs if not a.is_global or a.is_multicast)
    if bad:
        raise InputError(host, f"refusing to fetch from a non-public address ({', '.join(bad[:3])})")


def fetch_link(url: str, *, allow_private: bool = False, max_bytes: int = 5_000_000,
               timeout: float = FETCH_TIMEOUT, total_timeout: float = FETCH_TOTAL_TIMEOUT,
               max_chars: int | None = None) -> Article:
    """The article at a pasted link, fetched by the server with the CLI's fetcher, cut to ``max_chars`` and cleaned.

    http(s) only; ``max_bytes`` and the time limits bound the download; every request (each redirect
    too) must go to a public address unless ``allow_private`` (a server option, for tests). Raises
    InputError naming the link. Blocking: call it in a worker thread.
    """
    from ..readers.fetch import check_url, iter_fetched

    url = (url or "").strip()
    host = check_url(url or "<link>").hostname or ""

    def guard(request: Any) -> None:
        check_address(request.url.host, allow_private)

    check_address(host, allow_private)  # before connecting; the hook checks every redirect too
    got = next(iter_fetched([url], max_bytes=max_bytes, timeout=timeout, total_timeout=total_timeout,
                            event_hooks={"request": [guard]}, max_chars=max_chars))
    if isinstance(got, InputError):
        raise got
    return got


def article_offsets(text: str, quote: str, hint: int | None = None) -> tuple[int, int] | None:
    """Where a quoted passage (e.g. a browser selection) sits in the text.

    Whitespace is matched loosely (a selection across lines comes back with
    different spacing); with several matches the one nearest ``hint`` wins.
    """
    import re

    words = quote.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    found = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not found:
        return None
    if hint is None:
        return found[0]
    return min(found, key=lambda se: abs(se[0] - hint))

