"""Shared sentence encoder: all-MiniLM-L6-v2 as int8 ONNX, mean-pooled, L2-normalised.

One model serves story clustering (corpus), near-duplicate checks and any
component that wants sentence vectors, so it is loaded once per process
(``Embedder.create()``) and runs on onnxruntime + tokenizers only: no torch
at run time. The ONNX file is exported by ``python -m propscan.train.article
encoder`` (see models/ARTICLE_MODEL_CARD.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

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
    _shared: "Embedder | None" = None

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
    def create(cls) -> "Embedder":
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
