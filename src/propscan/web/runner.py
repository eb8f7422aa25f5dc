"""Analysis off the event loop: a bounded queue drained by worker threads in batches.

Analysis is CPU-bound (ONNX inference, HTML extraction, cleanup). Running it
on the event loop would freeze every other request, and one thread per request
would thrash two cores. Instead each request queues a job; a few worker
threads take up to ``batch_size`` jobs at a time, so concurrent requests share
ONNX batches. A full queue (by count, or by the bytes of the requests waiting)
is refused at once (503) rather than growing without bound; a job whose client
has gone is cancelled before it runs. Small requests go before large ones
(each class in arrival order), so a short article is not stuck behind a row of
maximum-size uploads.
A ``finish`` callback runs on each finished batch in the same thread (the app
stores the batch there, in one transaction), so database writes neither pile
up in a thread pool nor hold the event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from concurrent.futures import Future
from typing import Any, Awaitable, Callable

from ..batching import isolated
from ..document import Analysis, Article

Prepare = Callable[[], Article]
Job = tuple[Prepare, Future, int]  # the builder, the result, the request's size in bytes
# how often a waiting request checks that its client is still there
DISCONNECT_POLL_S = 0.5
# requests up to this size are analysed before larger ones
SMALL_BYTES = 256 * 1024
_STOP = 2  # the class of the stop signal: after every job


class Busy(Exception):
    """Too many analyses (or too many bytes of them) are already waiting."""


class ClientGone(Exception):
    """The client disconnected before its analysis ran; the job was cancelled."""


class AnalysisRunner:
    def __init__(self, analyzer_factory: Callable[[], Any], workers: int = 1, batch_size: int = 8,
                 max_pending: int = 1000, finish: Callable[[list[Analysis]], list[Any]] | None = None,
                 max_pending_bytes: int = 0, batch_bytes: int = 1_000_000) -> None:
        self._factory = analyzer_factory
        self._finish = finish
        self._analyzer: Any = None
        self._analyzer_lock = threading.Lock()
        self.workers = max(1, workers)
        self.batch_size = max(1, batch_size)
        self.max_pending = max(1, max_pending)
        self.max_pending_bytes = max(0, max_pending_bytes)  # 0: no limit by size
        self.batch_bytes = max(1, batch_bytes)  # a batch takes jobs up to this many request bytes (at least one)
        # (class, arrival, job): small jobs (class 0) first, then large ones (1), then the stop signal
        self._jobs: queue.PriorityQueue[tuple[int, int, Job | None]] = queue.PriorityQueue()
        self._arrivals = itertools.count()
        self._pending = 0
        self._pending_bytes = 0
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

    def stop(self, timeout: float = 2.0) -> None:
        """Refuse what is still queued, give the batches in flight ``timeout`` seconds, end the workers.

        Workers are daemon threads: one still analysing after the wait ends with the process.
        """
        while True:
            try:
                job = self._jobs.get_nowait()[2]
            except queue.Empty:
                break
            if job is not None:
                self._done([job])
                if job[1].set_running_or_notify_cancel():
                    job[1].set_exception(Busy("server shutting down"))
        for _ in self._threads:
            self._put(_STOP, None)
        for t in self._threads:
            t.join(timeout=timeout)
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

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    # -- submitting -----------------------------------------------------------
    def submit(self, prepare: Prepare, size: int = 0) -> Future:
        """Queue one job of ``size`` bytes; ``prepare`` builds the Article in the worker (it may raise)."""
        size = max(0, int(size))
        with self._pending_lock:
            if self._pending >= self.max_pending:
                raise Busy(f"{self._pending} analyses already waiting")
            if self.max_pending_bytes and self._pending and self._pending_bytes + size > self.max_pending_bytes:
                raise Busy(f"{self._pending_bytes:,} bytes of articles already waiting")
            self._pending += 1
            self._pending_bytes += size
        self.start()
        fut: Future = Future()
        self._put(0 if size <= SMALL_BYTES else 1, (prepare, fut, size))
        return fut

    def _put(self, klass: int, job: Job | None) -> None:
        self._jobs.put((klass, next(self._arrivals), job))

    async def analyze(self, prepare: Prepare, size: int = 0,
                      disconnected: Callable[[], Awaitable[bool]] | None = None) -> Any:
        """The analysis, or what ``finish`` made of it; cancelled (``ClientGone``) when ``disconnected()`` says so."""
        job = self.submit(prepare, size)
        waiting = asyncio.wrap_future(job)
        if disconnected is None:
            return await waiting
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=DISCONNECT_POLL_S)
            if done:
                return waiting.result()
            if await disconnected():
                job.cancel()  # now, not on the loop's next turn: a job not started yet is dropped
                waiting.cancel()  # one already running finishes unread
                raise ClientGone("client disconnected")

    # -- the worker -----------------------------------------------------------
    def _take_batch(self) -> list[Job] | None:
        first = self._jobs.get()[2]
        if first is None:
            return None
        batch = [first]
        size = first[2]
        while len(batch) < self.batch_size and size < self.batch_bytes:
            try:
                nxt = self._jobs.get_nowait()[2]
            except queue.Empty:
                break
            if nxt is None:  # keep the stop signal for the next round
                self._put(_STOP, None)
                break
            batch.append(nxt)
            size += nxt[2]
        return batch

    def _done(self, jobs: list[Job]) -> None:
        with self._pending_lock:
            self._pending -= len(jobs)
            self._pending_bytes -= sum(j[2] for j in jobs)

    def _work(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            try:
                self._run(batch)
            finally:
                self._done(batch)

    def _run(self, batch: list[Job]) -> None:
        ready: list[tuple[Article, Future]] = []
        for prepare, fut, _ in batch:
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                ready.append((prepare(), fut))
            except BaseException as e:  # noqa: BLE001 - handed to the waiting request
                fut.set_exception(e)
        if not ready:
            return
        try:
            run_batch = self.analyzer().run_batch
        except BaseException as e:  # noqa: BLE001 - e.g. a missing model: every waiting request hears it
            results: list[Any] = [e] * len(ready)
        else:
            # the batch as queued reaches the components whole; one bad article fails alone
            results = isolated(run_batch, [a for a, _ in ready], _as_result, catch=BaseException)
        done = _settle([fut for _, fut in ready], results)
        if not done:
            return
        if self._finish is None:
            for fut, res in done:
                fut.set_result(res)
            return
        # one analysis the store refuses must not fail its neighbours: finished one by one on failure
        finished = isolated(self._finish_all, [res for _, res in done], _as_result, catch=BaseException)
        for fut, out in _settle([fut for fut, _ in done], finished):
            fut.set_result(out)

    def _finish_all(self, analyses: list[Analysis]) -> list[Any]:
        assert self._finish is not None
        finished = list(self._finish(analyses))
        if len(finished) != len(analyses):
            raise RuntimeError(f"finish returned {len(finished)} results for {len(analyses)} analyses")
        return finished


def _as_result(_item: Any, error: BaseException) -> BaseException:
    return error


def _settle(futures: list[Future], results: list[Any]) -> list[tuple[Future, Any]]:
    """Hand each error in ``results`` to its request; (future, result) for the others."""
    ok = []
    for fut, res in zip(futures, results):
        if isinstance(res, BaseException):
            fut.set_exception(res)
        else:
            ok.append((fut, res))
    return ok
