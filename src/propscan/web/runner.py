"""Analysis off the event loop: a bounded queue drained by worker threads in batches.

Analysis is CPU-bound (ONNX inference, HTML extraction, cleanup). Running it
on the event loop would freeze every other request, and one thread per request
would thrash two cores. Instead each request queues a job; a few worker
threads take up to ``batch_size`` jobs at a time, so concurrent requests share
ONNX batches. A full queue is refused at once (503) rather than growing without
bound.
A ``finish`` callback runs on each finished batch in the same thread (the app
stores the batch there, in one transaction), so database writes neither pile
up in a thread pool nor hold the event loop.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

from ..document import Analysis, Article

Prepare = Callable[[], Article]


class Busy(Exception):
    """Too many analyses are already waiting."""


class AnalysisRunner:
    def __init__(self, analyzer_factory: Callable[[], Any], workers: int = 1, batch_size: int = 8,
                 max_pending: int = 1000, finish: Callable[[list[Analysis]], list[Any]] | None = None) -> None:
        self._factory = analyzer_factory
        self._finish = finish
        self._analyzer: Any = None
        self._analyzer_lock = threading.Lock()
        self.workers = max(1, workers)
        self.batch_size = max(1, batch_size)
        self.max_pending = max(1, max_pending)
        self._jobs: queue.Queue[tuple[Prepare, Future] | None] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"propscan-analysis-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        """Refuse what is still queued, let the batches in flight finish, end the workers."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                with self._pending_lock:
                    self._pending -= 1
                if job[1].set_running_or_notify_cancel():
                    job[1].set_exception(Busy("server shutting down"))
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join(timeout=30)
        self._threads = []

    def analyzer(self) -> Any:
        """The analyzer, built on first use (models load once per process)."""
        with self._analyzer_lock:
            if self._analyzer is None:
                self._analyzer = self._factory()
            return self._analyzer

    def warm_up(self) -> None:
        """Build the analyzer in the background; a failure surfaces again on the first request."""
        def build() -> None:
            try:
                self.analyzer()
            except Exception:  # noqa: BLE001 - reported to the request that needs it
                pass

        threading.Thread(target=build, name="propscan-warm-up", daemon=True).start()

    @property
    def versions(self) -> dict[str, str]:
        return dict(getattr(self.analyzer(), "versions", {}) or {})

    @property
    def pending(self) -> int:
        return self._pending

    # -- submitting -----------------------------------------------------------
    def submit(self, prepare: Prepare) -> Future:
        """Queue one job; ``prepare`` builds the Article in the worker (it may raise)."""
        with self._pending_lock:
            if self._pending >= self.max_pending:
                raise Busy(f"{self._pending} analyses already waiting")
            self._pending += 1
        self.start()
        fut: Future = Future()
        self._jobs.put((prepare, fut))
        return fut

    async def analyze(self, prepare: Prepare) -> Any:
        """The analysis, or what ``finish`` made of it."""
        return await asyncio.wrap_future(self.submit(prepare))

    # -- the worker -----------------------------------------------------------
    def _take_batch(self) -> list[tuple[Prepare, Future]] | None:
        first = self._jobs.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < self.batch_size:
            try:
                nxt = self._jobs.get_nowait()
            except queue.Empty:
                break
            if nxt is None:  # keep the stop signal for the next round
                self._jobs.put(None)
                break
            batch.append(nxt)
        return batch

    def _work(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            try:
                self._run(batch)
            finally:
                with self._pending_lock:
                    self._pending -= len(batch)

    def _run(self, batch: list[tuple[Prepare, Future]]) -> None:
        ready: list[tuple[Article, Future]] = []
        for prepare, fut in batch:
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                ready.append((prepare(), fut))
            except BaseException as e:  # noqa: BLE001 - handed to the waiting request
                fut.set_exception(e)
        if not ready:
            return
        try:
            analyzer = self.analyzer()
            results = list(analyzer.pipe([a for a, _ in ready], batch_size=len(ready)))
        except BaseException:  # noqa: BLE001
            # one bad article must not fail its neighbours: retry one by one
            results = []
            for art, fut in ready:
                try:
                    results.append(self.analyzer()(art))
                except BaseException as e:  # noqa: BLE001
                    fut.set_exception(e)
                    results.append(None)
        done = [(fut, res) for (_, fut), res in zip(ready, results) if res is not None]
        if not done:
            return
        if self._finish is None:
            for fut, res in done:
                fut.set_result(res)
            return
        try:
            finished = list(self._finish([res for _, res in done]))
            if len(finished) != len(done):
                raise RuntimeError(f"finish returned {len(finished)} results for {len(done)} analyses")
        except BaseException as e:  # noqa: BLE001
            for fut, _ in done:
                fut.set_exception(e)
            return
        for (fut, _), out in zip(done, finished):
            fut.set_result(out)
