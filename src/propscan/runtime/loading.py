"""Models that load on a background thread while the rest of the pipeline starts.

Why: the first result is due within a second of start, and loading the span
tagger's session, the language identifier and the multilingual encoder costs
more than that one after the other. Their native parts (onnxruntime,
SentencePiece, zlib) release the GIL, so on two cores they overlap with each
other and with reading the first article.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["Loading"]


class Loading(Generic[T]):
    """A value being built on a background thread; ``get()`` waits for it and re-raises its error in the caller."""

    def __init__(self, load: Callable[[], T], name: str) -> None:
        self._load = load
        self._value: T | None = None
        self._error: BaseException | None = None
        # not a daemon: a process that ends early (a user error before the first article) waits for the
        # load to finish instead of killing the thread inside onnxruntime's C++ code, which aborts the process
        self._thread = threading.Thread(target=self._run, name=f"propscan-load-{name}", daemon=False)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._load()
        except BaseException as e:  # noqa: BLE001 - handed to the thread that asks for the value
            self._error = e

    def get(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

