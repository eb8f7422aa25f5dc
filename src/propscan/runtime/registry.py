"""The one registry of loaded models: each model is loaded once per process and per settings that matter to it.

Why: loading is the slow part of a start (see ``runtime.loading``), so the
components of two Analyzers built with equal settings share their sessions,
tables and encoders, while different settings (another models folder,
thread count or cache folder) get their own. Before, each model module kept
its own singleton; now ``MODELS`` is the only process-wide state of that
kind, and a test or an embedding application can put its own analyzer in
place for a while (``override``) instead of patching private globals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .loading import Loading

T = TypeVar("T")

__all__ = ["MODELS", "Registry"]


class Registry:
    """Loaded things keyed by ``(kind, key)``: ``load`` starts a background load, ``value`` builds in the caller."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: building an analyzer loads models through this registry
        # background loads have their own lock: a load started from a loading thread (the encoder asks for
        # SentencePiece) must not wait while another thread holds ``_lock`` building a whole analyzer
        self._load_lock = threading.Lock()
        self._loads: dict[tuple[str, Hashable], Loading[Any]] = {}
        self._values: dict[tuple[str, Hashable], Any] = {}
        self._overrides: dict[str, Any] = {}

    def load(self, kind: str, key: Hashable, build: Callable[[], T], name: str | None = None) -> Loading[T]:
        """The ``Loading`` of ``build()`` for ``(kind, key)``, started on the first call, the same one after.

        ``name`` names the loading thread (default ``kind``).
        """
        with self._load_lock:
            got = self._loads.get((kind, key))
            if got is None:
                got = self._loads[(kind, key)] = Loading(build, name or kind)
            return got

    def value(self, kind: str, key: Hashable, build: Callable[[], T]) -> T:
        """``build()`` for ``(kind, key)``, built once (in the calling thread); an ``override`` of ``kind`` wins."""
        with self._lock:
            if kind in self._overrides:
                return self._overrides[kind]  # type: ignore[no-any-return]
            if (kind, key) not in self._values:
                self._values[(kind, key)] = build()
            return self._values[(kind, key)]  # type: ignore[no-any-return]

    @contextmanager
    def override(self, kind: str, value: Any) -> Iterator[Any]:
        """Inside the block, every ``value(kind, ...)`` gives ``value`` (a test's or an embedder's own analyzer)."""
        with self._lock:
            had, before = kind in self._overrides, self._overrides.get(kind)
            self._overrides[kind] = value
        try:
            yield value
        finally:
            with self._lock:
                if had:
                    self._overrides[kind] = before
                else:
                    self._overrides.pop(kind, None)


# the process's registry (worker processes of the engine each have their own)
MODELS = Registry()
