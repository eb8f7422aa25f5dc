"""Articles from URLs (``propscan analyze --fetch URL``), for users with a network.

One plain GET per URL with httpx: a User-Agent that names propscan so site
owners can see who is asking, connect and read timeouts, a size limit that
stops reading as soon as it is passed (the body is streamed, never loaded
whole), and a Content-Type check so a PDF or an image is refused with a clear
message instead of being analysed as text. The page then goes through the
HTML reader. Nothing here runs unless a URL is given.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator
from urllib.parse import SplitResult, urlsplit

from .. import __version__
from ..document import Article
from ..errors import EMPTY, UNREADABLE, InputError, PropscanError
from .text import DEFAULT_MAX_BYTES, article_from_text, decode, too_large

USER_AGENT = f"propscan/{__version__} (news persuasion-technique analysis; one request per user-given URL)"
DEFAULT_TIMEOUT = 20.0
MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
_ID_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def url_id(url: str) -> str:
    """A readable article id from a URL: the last path segment, else the host."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    name = segments[-1] if segments else parts.hostname or "page"
    name = re.sub(r"\.(?:html?|php|aspx?)$", "", name, flags=re.IGNORECASE)
    return _ID_CHARS.sub("-", name).strip("-")[:80] or "page"


def check_url(url: str) -> SplitResult:
    """The parts of an http(s) URL with a host; InputError naming it otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        raise InputError(url, "not an http(s) URL")
    return parts


def make_client(timeout: float = DEFAULT_TIMEOUT, event_hooks: dict[str, list[Any]] | None = None) -> Any:
    """An httpx client with propscan's User-Agent, timeouts and redirect limit (``event_hooks`` see every
    request, redirects included: the web app checks each address there)."""
    import httpx

    return httpx.Client(
        event_hooks=event_hooks or {},
        follow_redirects=True, max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"},
    )


def fetch(url: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = DEFAULT_TIMEOUT,
          client: Any = None, total_timeout: float | None = None) -> Article:
    """Download one page and read it as an Article (cleanup is the caller's choice).

    ``timeout`` bounds each network wait; ``total_timeout`` the whole download (a server that
    trickles bytes cannot hold a web worker).
    """
    check_url(url)
    import time

    import httpx

    deadline = time.monotonic() + total_timeout if total_timeout else None
    own = client is None
    if own:
        client = make_client(timeout)
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise InputError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip(), kind=UNREADABLE)
            ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype and ctype not in HTML_TYPES + TEXT_TYPES:
                raise InputError(url, f"not a web page or text (Content-Type: {ctype})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise too_large(url, max_bytes, int(declared))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                if deadline is not None and time.monotonic() > deadline:
                    raise InputError(url, f"timed out (not downloaded within {total_timeout:g} s)", kind=UNREADABLE)
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(url, max_bytes)
                chunks.append(chunk)
            final_url = str(response.url)
            charset = response.charset_encoding
    except httpx.TimeoutException:
        raise InputError(url, f"timed out (no answer within {timeout:g} s)", kind=UNREADABLE) from None
    except httpx.TooManyRedirects:
        raise InputError(url, f"more than {MAX_REDIRECTS} redirects", kind=UNREADABLE) from None
    except httpx.HTTPError as e:
        raise InputError(url, f"cannot fetch ({type(e).__name__}: {e})", kind=UNREADABLE) from None
    finally:
        if own:
            client.close()
    data = b"".join(chunks)
    meta = {"url": final_url, "fetched": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
    from .html import article_from_html, looks_like_html

    if ctype in HTML_TYPES or (not ctype and looks_like_html(data)):
        art = article_from_html(data, url_id(final_url), source=url, url=final_url, charset=charset)
        art.meta.setdefault("url", final_url)
        art.meta["fetched"] = meta["fetched"]
        return art
    if charset:
        try:
            text = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            text = decode(data, url)
    else:
        text = decode(data, url)
    if not text.strip():
        raise InputError(url, "empty input", kind=EMPTY)
    return article_from_text(text, url_id(final_url), source=url, meta=meta)


def iter_fetched(urls: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES, clean: bool = True,
                 timeout: float = DEFAULT_TIMEOUT, total_timeout: float | None = None,
                 event_hooks: dict[str, list[Any]] | None = None,
                 max_chars: int | None = None) -> Iterator[Article | InputError]:
    """Each URL's Article (cut to ``max_chars``, then cleaned unless ``clean`` is False), or its error.

    One client for all. Cut before cleanup, as every other input (``readers.prepared``), so a page gives
    the article a file of the same text gives. ``event_hooks`` see every request, redirects included
    (the web app refuses private addresses there).
    """
    from ..runtime.settings import DEFAULT_MAX_CHARS
    from .inputs import prepared

    limit = DEFAULT_MAX_CHARS if max_chars is None else max_chars

    urls = list(urls)
    if not urls:
        return
    with make_client(timeout, event_hooks) as client:
        for url in urls:
            try:
                art = fetch(url, max_bytes=max_bytes, timeout=timeout, client=client, total_timeout=total_timeout)
            except InputError as e:
                yield e
                continue
            except PropscanError as e:
                yield InputError(url, str(e), kind=e.kind)
                continue
            yield prepared(art, clean, limit)
