"""Bring the corpus links up to date after articles are stored: near-duplicates first, then stories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import Store


def update(store: "Store", stories: bool = True, embedder: Any | None = None,
           dedup_threshold: float | None = None, story_threshold: float | None = None,
           decay: float | None = None) -> dict[str, int]:
    """Process every stored article not linked yet; safe to rerun after an interruption."""
    from . import dedup
    from . import stories as st

    done = {"deduplicated": dedup.dedup_pending(store, dedup_threshold or dedup.THRESHOLD), "storied": 0}
    if stories:
        done["storied"] = st.assign_pending(store, embedder, story_threshold or st.THRESHOLD,
                                            st.DECAY if decay is None else decay)
    return done
