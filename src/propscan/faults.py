"""Fault injection for the reliability tests: ``PROPSCAN_FAULT=<stage>:<n>`` kills the process at a stage.

The ingest calls ``point(stage)`` as it reads an article (``read``), receives
an analysis (``analyse``), and just before each database commit while it
stores a batch (``store``), links near-duplicates (``link``) or groups
stories (``stories``). On the n-th call for the named stage the process sends
itself SIGKILL, as an out-of-memory kill or a power cut would stop it: no
cleanup, no ``finally``. Unset (always, outside the tests) it costs one
environment lookup per call.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterator

ENV = "PROPSCAN_FAULT"
STAGES = ("read", "analyse", "store", "link", "stories")
_calls: Counter[str] = Counter()
_phase: list[str] = []


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(ENV, "")
    stage, _, n = spec.partition(":")
    return (stage, int(n or 1)) if stage in STAGES else None


def _kill(stage: str) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def point(stage: str) -> None:
    """Kill this process here if ``PROPSCAN_FAULT`` names this stage and this is its n-th call.

    In-process tests replace ``_kill`` with one that raises (the store sees the same: an
    uncommitted transaction that never commits).
    """
    target = _target()
    if target is None or target[0] != stage:
        return
    _calls[stage] += 1
    if _calls[stage] == target[1]:
        _kill(stage)


@contextmanager
def phase(stage: str) -> Iterator[None]:
    """Commits made inside this block count as calls of ``stage`` (see ``arm``)."""
    _phase.append(stage)
    try:
        yield
    finally:
        _phase.pop()


def arm(engine: Any) -> None:
    """Call ``point(<current phase>)`` before every commit on ``engine`` (only when a fault is asked for)."""
    if _target() is None:
        return
    import sqlalchemy as sa

    @sa.event.listens_for(engine, "commit")
    def _before_commit(_conn: Any) -> None:
        if _phase:
            point(_phase[-1])
