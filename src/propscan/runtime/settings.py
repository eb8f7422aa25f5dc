"""One frozen ``Settings`` object: every knob of a run, built once and passed down.

Why: the library never reads or writes environment variables. The CLI (and
``propscan serve``) read the documented ones once with ``from_environ`` and
hand the result to the Analyzer, the engine, the store and the components;
a Python caller passes its own ``Settings(...)`` or takes the defaults. Two
runs with different settings in one process do not see each other's knobs.

Documented variables, read only by ``from_environ``:

==============================  ==========================================
``PROPSCAN_THREADS``            ``threads``
``PROPSCAN_MAX_CHARS``          ``max_chars``
``PROPSCAN_CACHE_DIR``          ``cache_dir`` (``off`` turns the cache off)
``XDG_CACHE_HOME``              ``cache_dir`` = ``$XDG_CACHE_HOME/propscan``
``PROPSCAN_DB``                 ``db_url``
``PROPSCAN_DB_BUSY_TIMEOUT_MS`` ``db_busy_timeout_ms``
``PROPSCAN_FAULT``              ``fault`` (reliability tests only)
==============================  ==========================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PropscanError

__all__ = ["DEFAULT", "Settings", "default_cache_dir", "from_environ"]

DEFAULT_MAX_CHARS = 100_000
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_BUSY_TIMEOUT_MS = 30_000
CACHE_OFF = ("", "off", "0", "none")


def default_cache_dir() -> Path | None:
    """``~/.cache/propscan``, or None (no cache) for an account without a home folder."""
    try:
        return Path.home() / ".cache" / "propscan"
    except RuntimeError:  # no home directory (some service accounts): run without a cache
        return None


@dataclass(frozen=True)
class Settings:
    """What a run may use; hashable, so loaded models are shared between equal settings (``runtime.registry``)."""

    # onnxruntime intra-op threads of the span tagger; None: 2, or cores / workers in engine workers
    threads: int | None = None
    # the most characters of one article the pipeline sees (the tagger's time and memory grow with the
    # text, about 3 s per 100,000 characters on one core); a longer input is cut and says so
    max_chars: int = DEFAULT_MAX_CHARS
    # the largest input file read, in bytes (the CLI's --max-bytes; the web app has its own upload limit)
    max_bytes: int = DEFAULT_MAX_BYTES
    # where inflated model tables and optimised graphs are kept (``runtime.cache``); None: no cache
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    # the models folder; None: the one bundled with the package (``runtime.models``)
    models_dir: Path | None = None
    # the store when no --db is given: a SQLite path or a database URL; None: ./propscan.db
    db_url: str | None = None
    # how long a SQLite write waits for another process's lock before "database is locked"
    db_busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
    # ``<stage>:<n>``: the reliability tests' fault injection (``propscan.faults``); None outside them
    fault: str | None = None

    def replace(self, **changes: object) -> Settings:
        """These settings with ``changes`` applied (a new object: settings never change in place)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


DEFAULT = Settings()


def _int(env: Mapping[str, str], name: str, minimum: int | None = None) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise PropscanError(f"{name}={raw!r}: must be a whole number") from None
    if minimum is not None and value < minimum:
        raise PropscanError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def _cache_dir(env: Mapping[str, str]) -> Path | None:
    given = env.get("PROPSCAN_CACHE_DIR")
    if given is not None:
        return None if given.strip().lower() in CACHE_OFF else Path(given)
    xdg = env.get("XDG_CACHE_HOME")
    return Path(xdg) / "propscan" if xdg else default_cache_dir()


def from_environ(env: Mapping[str, str], base: Settings = DEFAULT) -> Settings:
    """``base`` with every documented variable of ``env`` applied (the CLI passes ``os.environ``).

    A malformed value is a PropscanError naming the variable (one line, no traceback).
    """
    threads = _int(env, "PROPSCAN_THREADS", 0)
    max_chars = _int(env, "PROPSCAN_MAX_CHARS")  # 0 or less: no limit
    busy = _int(env, "PROPSCAN_DB_BUSY_TIMEOUT_MS", 0)
    return base.replace(
        threads=threads if threads is not None else base.threads,
        max_chars=max_chars if max_chars is not None else base.max_chars,
        cache_dir=_cache_dir(env),
        db_url=env.get("PROPSCAN_DB") or base.db_url,
        db_busy_timeout_ms=busy if busy is not None else base.db_busy_timeout_ms,
        fault=env.get("PROPSCAN_FAULT") or base.fault,
    )
