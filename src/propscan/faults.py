"""Fault injection for the reliability tests: ``Settings.fault = "<stage>:<n>"`` kills the process at a stage.

The CLI reads ``PROPSCAN_FAULT`` into ``Settings.fault`` and the ingest asks a
``Faults`` built from it to ``point(stage)`` as it reads an article
(``read``), receives an analysis (``analyse``), and just before each database
commit while it stores a batch (``store``), links near-duplicates (``link``)
or groups stories (``stories``). On the n-th call for the named stage the
process sends itself SIGKILL, as an out-of-memory kill or a power cut would
stop it: no cleanup, no ``finally``. Without a fault (always, outside the
tests) a point costs one comparison.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterator

ENV = "PROPSCAN_FAULT"
STAGES = ("read", "analyse", "store", "link", "stories")


def _kill(stage: str) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def target(spec: str | None) -> tuple[str, int] | None:
    """``(stage, n)`` from ``"<stage>:<n>"`` (n defaults to 1), or None for no fault (or an unknown stage)."""
    stage, _, n = (spec or "").partition(":")
    return (stage, int(n or 1)) if stage in STAGES else None


class Faults:
    """The fault of one run (None: none), counting the calls of each stage."""

    def __init__(self, spec: str | None) -> None:
        self.target = target(spec)
        self.calls: Counter[str] = Counter()
        self._phase: list[str] = []

    def point(self, stage: str) -> None:
        """Kill this process here if the fault names this stage and this is its n-th call.

        In-process tests replace the module's ``_kill`` with one that raises (the store sees the same:
        an uncommitted transaction that never commits).
        """
        if self.target is None or self.target[0] != stage:
            return
        self.calls[stage] += 1
        if self.calls[stage] == self.target[1]:
            _kill(stage)

    @contextmanager
    def phase(self, stage: str) -> Iterator[None]:
        """Commits made inside this block count as calls of ``stage`` (see ``arm``)."""
        self._phase.append(stage)
        try:
            yield
        finally:
            self._phase.pop()

    def arm(self, engine: Any) -> None:
        """Call ``point(<current phase>)`` before every commit on ``engine`` (only when a fault is asked for)."""
        if self.target is None:
            return
        import sqlalchemy as sa

        @sa.event.listens_for(engine, "commit")
        def _before_commit(_conn: Any) -> None:
            if self._phase:
                self.point(self._phase[-1])
