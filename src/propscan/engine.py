"""Run the analyzer on many articles: in this process, in local worker processes, or on a Dask cluster.

Every engine cuts the input into the same batches (``batch_size`` articles,
in input order) and runs the same pipeline on each, so the Analyses are
identical whichever engine ran them, and ``analyze_stream`` yields them in
input order. Only a bounded number of batches is in flight at a time, so a
stream of millions of articles is analysed in bounded memory.

With Dask, workers import propscan themselves: on a remote cluster
(``scheduler="tcp://host:8786"``) install the same propscan version on every
worker. Without a scheduler address a ``dask.distributed.LocalCluster`` of
``workers`` processes is started and shut down around the run.
"""

from __future__ import annotations

import collections
import os
from typing import Any, Callable, Iterable, Iterator

from .batching import chunks, isolated
from .document import Analysis, Article
from .errors import InputError, PropscanError

ENGINES = ("local", "dask")
_analyzer: Any = None


def _threads_per_worker(workers: int) -> None:
    """Share the cores between worker processes instead of each ONNX session taking all of them."""
    if "PROPSCAN_THREADS" not in os.environ:
        os.environ["PROPSCAN_THREADS"] = str(max(1, (os.cpu_count() or 1) // max(1, workers)))


def analyze_batch(articles: list[Article], workers: int = 1) -> list[Analysis | InputError]:
    """Analyse one batch in this process (the analyzer is built once per process).

    An article whose analysis raises becomes an InputError naming it, so one
    bad article does not lose the batch: the batch is retried one by one.
    """
    global _analyzer
    if _analyzer is None:
        _threads_per_worker(workers)
        from .analyzer import default_analyzer

        _analyzer = default_analyzer()
    return isolated(_analyzer.run_batch, articles, _failed)


def _failed(article: Article, error: BaseException) -> InputError:
    """The error an article whose analysis raised becomes (called while handling it: the traceback is there)."""
    import traceback

    err = traceback.format_exc(limit=1).strip().splitlines()[-1]
    return InputError(article.source or article.id, f"analysis failed ({err})")


def _ordered(submit: Callable[[list[Article]], Any], result: Callable[[Any], list],
             items: Iterable[Article], batch_size: int, in_flight: int) -> Iterator[Any]:
    """Submit batches with at most ``in_flight`` pending; yield results in submission order."""
    pending: collections.deque = collections.deque()
    for chunk in chunks(items, batch_size):
        pending.append(submit(chunk))
        if len(pending) >= in_flight:
            yield from result(pending.popleft())
    while pending:
        yield from result(pending.popleft())


def _local(items: Iterable[Article], workers: int, batch_size: int, in_flight: int,
           isolate: bool = True) -> Iterator[Any]:
    if workers <= 1:
        if not isolate:  # exactly the analyzer's own loop; a bug shows its traceback
            from .analyzer import default_analyzer

            yield from default_analyzer().pipe(items, batch_size=batch_size)
            return
        for chunk in chunks(items, batch_size):
            yield from analyze_batch(chunk)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: each worker starts clean and loads its own models (no forked ONNX thread pools)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_threads_per_worker, initargs=(workers,)) as pool:
        try:
            yield from _ordered(lambda c: pool.submit(analyze_batch, c, workers), lambda f: f.result(),
                                items, batch_size, in_flight)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _dask(items: Iterable[Article], workers: int, scheduler: str | None, batch_size: int,
          in_flight: int = 0) -> Iterator[Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise PropscanError("the dask engine needs Dask: pip install 'propscan[dask]'", option="engine") from None
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise PropscanError(f"scheduler {scheduler}: cannot reach the Dask scheduler ({e})",
                                    option="scheduler") from None
        else:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
        n = max(1, workers if not scheduler else len(client.scheduler_info().get("workers", {})) or workers)
        try:
            yield from _ordered(lambda c: client.submit(analyze_batch, c, n, pure=False),
                                lambda f: f.result(), items, batch_size, in_flight or 2 * n)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def analyze_stream(articles: Iterable[Article], *, workers: int = 1, engine: str = "local",
                   scheduler: str | None = None, batch_size: int = 16, in_flight: int | None = None,
                   errors: str = "raise") -> Iterator[Analysis | InputError]:
    """Analyses of ``articles`` in input order, run by ``engine`` on ``workers`` processes.

    ``errors="raise"`` stops at an article whose analysis fails (a bug);
    ``errors="yield"`` yields an InputError for it and carries on (ingest).
    """
    if engine not in ENGINES:
        raise PropscanError(f"engine {engine}: must be one of {', '.join(ENGINES)}", option="engine")
    if workers < 1:
        raise PropscanError(f"workers {workers}: must be at least 1", option="workers")
    if scheduler and engine != "dask":
        raise PropscanError("a scheduler address needs the dask engine", option="scheduler")
    batch_size = max(1, batch_size)
    window = in_flight or 2 * workers
    if engine == "dask":
        stream = _dask(articles, workers, scheduler, batch_size, in_flight or 0)  # 0: 2 per cluster worker
    else:
        stream = _local(articles, workers, batch_size, window, isolate=errors != "raise")
    for got in stream:
        if isinstance(got, InputError) and errors == "raise":
            raise PropscanError(str(got))
        yield got
