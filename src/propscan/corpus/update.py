"""Bring the corpus links up to date after articles are stored: near-duplicates first, then stories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import Store


def update(store: "Store", stories: bool = True, embedder: Any | None = None,
           dedup_threshold: float | None = None, story_threshold: float | None = None,
           window_days: int | None = None) -> dict[str, int]:
    """Process every stored article not linked yet; safe to rerun after an interruption."""
    from . import dedup
    from . import stories as st

    done = {"deduplicated": dedup.dedup_pending(store, dedup_threshold or dedup.THRESHOLD), "storied": 0}
    if stories:
        done["storied"] = st.assign_pending(store, embedder, story_threshold or st.THRESHOLD,
                                            window_days if window_days is not None else st.WINDOW_DAYS)
    return done
