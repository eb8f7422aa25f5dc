"""The one module that knows where the models live and reads ``tagger.json`` and ``calibration.json``.

Why: the bundled models folder used to be rebuilt from ``__file__`` in a
dozen modules, ``tagger.json`` parsed by three components and
``calibration.json`` by the tagger, the paragraph labeller and the web app.
Every file of the models folder is named here, found through
``Settings.models_dir`` (None: the folder shipped inside the package), and the
tagger's configuration and calibration are read once per file version.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from .settings import DEFAULT, Settings

__all__ = ["BUNDLED", "calibration_config", "folder", "multi_tagger_config", "multi_tagger_languages",
           "multi_tagger_paragraph_languages", "path", "tagger_config"]

# the models shipped inside the package (``python -m propscan.train.pipeline --install`` writes here)
BUNDLED = Path(__file__).resolve().parent.parent / "models"

TAGGER_ONNX = "tagger.onnx"
TAGGER_CONFIG = "tagger.json"
TAGGER_TOKENIZER = "tokenizer.json"
CALIBRATION = "calibration.json"
SPAN_PRIORS = "span_priors.json"
GENRE = "genre.npz"
FRAMES = "frames.npz"
MULTILINGUAL = "st3-multilingual.npz"
ENCODER_ONNX = "encoder.onnx"
ENCODER_TOKENIZER = "encoder.tokenizer.json"
TAGGER_FILES = (TAGGER_ONNX, TAGGER_CONFIG, TAGGER_TOKENIZER)
# the span tagger of French, German, Italian, Polish and Russian (``detect.multitagger``)
MULTI_ENCODER = "multi-encoder.onnx"
MULTI_TOKENIZER = "multi-tokenizer.model"  # SentencePiece (detect.unigram)
MULTI_HEAD = "multi-head.npz"
MULTI_CONFIG = "multi-tagger.json"
MULTI_FILES = (MULTI_ENCODER, MULTI_TOKENIZER, MULTI_HEAD, MULTI_CONFIG)


def folder(settings: Settings = DEFAULT) -> Path:
    """The models folder of ``settings``."""
    return Path(settings.models_dir) if settings.models_dir is not None else BUNDLED


def path(name: str, settings: Settings = DEFAULT) -> Path:
    """The file ``name`` of the models folder of ``settings`` (it may not exist: a development checkout)."""
    return folder(settings) / name


def has_tagger(settings: Settings = DEFAULT) -> bool:
    """Whether the span tagger's three files are all there."""
    return all(path(f, settings).is_file() for f in TAGGER_FILES)


@functools.lru_cache(maxsize=8)
def _read(file: Path, _size: int, _mtime_ns: int) -> dict[str, Any]:
    return dict(json.loads(file.read_text(encoding="utf-8")))


def _parsed(file: Path) -> dict[str, Any] | None:
    """``file`` parsed once per version (size and modification time), as a copy; None when absent."""
    try:
        st = file.stat()
    except OSError:
        return None
    return copy.deepcopy(_read(file, st.st_size, st.st_mtime_ns))


def _config(name: str, settings: Settings, models_dir: Path | None) -> dict[str, Any] | None:
    return _parsed((Path(models_dir) if models_dir is not None else folder(settings)) / name)


def tagger_config(settings: Settings = DEFAULT, models_dir: Path | None = None) -> dict[str, Any] | None:
    """``tagger.json`` of the models folder (``models_dir`` when given), parsed once per version; None when absent.

    A copy: a caller may change what it gets without changing what the next one reads.
    """
    return _config(TAGGER_CONFIG, settings, models_dir)


def calibration_config(settings: Settings = DEFAULT, models_dir: Path | None = None,
                       file: Path | None = None) -> dict[str, Any] | None:
    """``calibration.json`` (the tagger's calibrators and decision threshold) of the models folder, or ``file``
    when given; parsed once per version, a copy; None when absent. Whether it suits the tagger is
    ``detect.calibration.load_config``'s to say."""
    file = Path(file) if file is not None else (
        Path(models_dir) if models_dir is not None else folder(settings)) / CALIBRATION
    return _parsed(file) if file.is_file() else None


def has_multi_encoder(settings: Settings = DEFAULT) -> bool:
    """Whether the multilingual encoder and its tokenizer are there (the genre lead reads them too)."""
    return all(path(f, settings).is_file() for f in (MULTI_ENCODER, MULTI_TOKENIZER))


def has_multi_tagger(settings: Settings = DEFAULT) -> bool:
    """Whether the multilingual span tagger's four files are all there."""
    return all(path(f, settings).is_file() for f in MULTI_FILES)


def multi_tagger_config(settings: Settings = DEFAULT, models_dir: Path | None = None) -> dict[str, Any] | None:
    """``multi-tagger.json`` (calibrators, thresholds per language), parsed once per version; None when absent."""
    return _config(MULTI_CONFIG, settings, models_dir)


def multi_tagger_languages(settings: Settings = DEFAULT, models_dir: Path | None = None) -> frozenset[str]:
    """The languages the models folder has a multilingual span model for (empty when it has none).

    Why here: the English tagger's "no span model for this language" notice must not be given for an
    article another span model of the same folder reads, and the folder is what knows that.
    """
    d = Path(models_dir) if models_dir is not None else folder(settings)
    if not all((d / f).is_file() for f in MULTI_FILES):
        return frozenset()
    cfg = multi_tagger_config(settings, models_dir=d)
    return frozenset(cfg.get("languages", {})) if cfg else frozenset()


def multi_tagger_paragraph_languages(settings: Settings = DEFAULT) -> frozenset[str]:
    """The languages whose paragraph probabilities the multilingual tagger computes alone (mode "span").

    Why: the pooled-USE paragraph model's probabilities would be computed and then discarded there
    (a tenth of a Russian article's CPU time), so the default pipeline does not run it for them.
    """
    if not multi_tagger_languages(settings):
        return frozenset()
    cfg = multi_tagger_config(settings) or {}
    return frozenset(lang for lang, d in cfg.get("languages", {}).items() if d.get("paragraph_mode") == "span")
