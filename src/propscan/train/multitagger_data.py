"""What the multilingual tagger's training steps share: the data folders, the feature cache layout, the labels, the log.

Why its own module: ``train.multitagger`` (the command and the feature steps) and
``train.multitagger_fit`` (heads, calibration) both need them, without importing each other.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from ..runtime import models

FOLDERS = ("en", "fr", "ge", "it", "po", "ru")


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def load_articles(data: Path, folders: Sequence[str] = FOLDERS) -> list[tuple[str, Any]]:
    """(ISO language, Analysis) of every span-annotated SemEval-2023 article of ``folders``."""
    from ..readers.semeval import ISO, load_2023

    return [(ISO[f], a) for f in folders for a in load_2023(data, f)]


def labels_of() -> list[str]:
    """The English tagger's 23 labels (the head is trained on the same, so decoding and calibration apply)."""
    cfg = models.tagger_config(models_dir=models.BUNDLED)
    if cfg is None:
        raise SystemExit(f"{models.BUNDLED / models.TAGGER_CONFIG}: no tagger configuration")
    return list(cfg["labels"])


def feature_path(out: Path, lang: str, article_id: str) -> Path:
    return out / "feats" / lang / f"{article_id}.npz"
