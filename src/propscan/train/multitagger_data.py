"""What the multilingual tagger's training steps share: the data folders, the feature cache layout, the labels, the log.

Why its own module: ``train.multitagger`` (the command and the feature steps) and
``train.multitagger_fit`` (heads, calibration) both need them, without importing each other.
"""

from __future__ import annotations

import functools
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


def encoder_digest() -> str:
    """sha256 (first 16 hex digits) of the shipped encoder graph and its tokenizer: what features came from.

    Read once per version of the files (keyed by their size and time): the article models' training asks
    for it once per language.
    """
    paths = [models.BUNDLED / name for name in (models.MULTI_ENCODER, models.MULTI_TOKENIZER)]
    return _digest(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (str(p), -1, -1)
                         for p in paths))


@functools.lru_cache(maxsize=4)
def _digest(files: tuple[tuple[str, int, int], ...]) -> str:
    import hashlib

    h = hashlib.sha256()
    for path, size, _ in files:
        h.update(Path(path).read_bytes() if size >= 0 else b"absent")
    return h.hexdigest()[:16]


def check_feature_cache(out: Path) -> None:
    """Refuse features cached from another encoder; stamp a new cache with this one.

    Why: ``extract`` skips articles already cached, so after a new ``prune`` a stale cache would train
    the heads on features the runtime no longer computes, silently.
    """
    stamp = out / "feats" / "ENCODER"
    want = encoder_digest()
    if stamp.is_file():
        got = stamp.read_text(encoding="utf-8").strip()
        if got != want:
            raise ValueError(f"{out / 'feats'}: features of another encoder ({got}, the shipped one is {want}); "
                             f"delete the folder to extract them again")
    elif any((out / "feats").glob("*/*.npz")):
        raise ValueError(f"{out / 'feats'}: cached features without an encoder stamp; delete the folder to "
                         f"extract them again")
    else:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(want + "\n", encoding="utf-8")
