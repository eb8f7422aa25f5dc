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

Every engine is given one ``Settings`` and hands it to its workers (with
``threads`` set to share the cores between them when the caller left it
open); the analyzer of a process is ``analyzer.default_analyzer(settings)``.
"""

from __future__ import annotations

import collections
import os
from typing import Any, Callable, Iterable, Iterator

from .batching import chunks, isolated
from .document import Analysis, Article
from .errors import InputError, PropscanError
from .runtime.settings import DEFAULT, Settings

ENGINES = ("local", "dask")


def worker_settings(settings: Settings, workers: int) -> Settings:
    """``settings`` for one of ``workers`` processes: the cores shared between them unless ``threads`` is set.

    Why: each ONNX session would otherwise take all of the machine's cores.
    """
    if settings.threads is not None:
        return settings
    return settings.replace(threads=max(1, (os.cpu_count() or 1) // max(1, workers)))


def analyze_batch(articles: list[Article], settings: Settings = DEFAULT) -> list[Analysis | InputError]:
    """Analyse one batch in this process (the analyzer of ``settings`` is built once per process).

    An article whose analysis raises becomes an InputError naming it, so one
    bad article does not lose the batch: the batch is retried one by one.
    """
    from .analyzer import default_analyzer

    return isolated(default_analyzer(settings).run_batch, articles, _failed)


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
           isolate: bool = True, settings: Settings = DEFAULT) -> Iterator[Any]:
    if workers <= 1:
        if not isolate:  # exactly the analyzer's own loop; a bug shows its traceback
            from .analyzer import default_analyzer

            yield from default_analyzer(settings).pipe(items, batch_size=batch_size)
            return
        mine = worker_settings(settings, 1)
        for chunk in chunks(items, batch_size):
            yield from analyze_batch(chunk, mine)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    mine = worker_settings(settings, workers)
    # spawn: each worker starts clean and loads its own models (no forked ONNX thread pools)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            yield from _ordered(lambda c: pool.submit(analyze_batch, c, mine), lambda f: f.result(),
                                items, batch_size, in_flight)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _dask(items: Iterable[Article], workers: int, scheduler: str | None, batch_size: int,
          in_flight: int = 0, settings: Settings = DEFAULT) -> Iterator[Any]:
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
            mine = worker_settings(settings, n)
            yield from _ordered(lambda c: client.submit(analyze_batch, c, mine, pure=False),
                                lambda f: f.result(), items, batch_size, in_flight or 2 * n)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def analyze_stream(articles: Iterable[Article], *, workers: int = 1, engine: str = "local",
                   scheduler: str | None = None, batch_size: int = 16, in_flight: int | None = None,
                   errors: str = "raise", settings: Settings = DEFAULT) -> Iterator[Analysis | InputError]:
    """Analyses of ``articles`` in input order, run by ``engine`` on ``workers`` processes with ``settings``.

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
        stream = _dask(articles, workers, scheduler, batch_size, in_flight or 0, settings)  # 0: 2 per cluster worker
    else:
        stream = _local(articles, workers, batch_size, window, isolate=errors != "raise", settings=settings)
    for got in stream:
        if isinstance(got, InputError) and errors == "raise":
            raise PropscanError(str(got))
        yield got
