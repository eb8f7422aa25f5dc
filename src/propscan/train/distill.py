"""Distil the shipped span tagger into a student (torch; the ``[train]`` extra; issue 13, item 3).

The teacher is the int8 ONNX tagger that ships: its weights are read back
(dequantised) into the torch module ``trainer.build_model`` builds, so a
student can start from the teacher's own lower layers instead of from
MiniLM's, and the teacher's stitched token probabilities over the training
texts and the unlabelled English test articles become soft targets
(``trainer.train`` mixes them with the gold labels, ``TrainConfig.distill``).
No torch checkpoint of the teacher is needed: only the files that ship.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..document import Analysis, Article
from ..runtime import models

PREFIX = "inner."  # the exported graph wraps the tagger (``export.graph``)


def teacher_state(onnx_path: str | Path) -> dict[str, np.ndarray]:
    """The float weights of an int8 tagger graph, under the torch module's parameter names.

    ``quantize_dynamic`` renames each linear layer's weight (``onnx::MatMul_N``) and stores it
    transposed, as int8 codes with a scale and zero point per output column; each is matched to
    its layer through the bias its product is added to, then decoded as (code - zero point) x scale.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    users: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)

    def bias_after(output: str, depth: int = 0) -> str | None:
        for node in users.get(output, []):
            if node.op_type == "Add":
                for name in node.input:
                    if name.endswith(".bias") and name in init:
                        return name
            if depth < 4:
                for out in node.output:
                    found = bias_after(out, depth + 1)
                    if found:
                        return found
        return None

    def decode(base: str) -> np.ndarray:
        q = init[base + "_quantized"].astype(np.float32)
        return (q - init[base + "_zero_point"].astype(np.float32)) * init[base + "_scale"].astype(np.float32)

    state: dict[str, np.ndarray] = {}
    for name, value in init.items():
        if name.startswith(PREFIX) and not name.endswith(("_quantized", "_scale", "_zero_point")):
            state[name[len(PREFIX):]] = value.astype(np.float32)
        elif name.startswith(PREFIX) and name.endswith("_quantized"):  # embedding tables (Gather)
            base = name[: -len("_quantized")]
            state[base[len(PREFIX):]] = decode(base)
    for node in graph.node:
        if node.op_type == "MatMulInteger":
            base = node.input[1][: -len("_quantized")]
            bias = bias_after(node.output[0])
            if bias is None:
                raise ValueError(f"{onnx_path}: no bias follows {base}; not a tagger graph")
            state[bias[len(PREFIX): -len(".bias")] + ".weight"] = decode(base).T.copy()
    return state


def load_teacher(model, onnx_path: str | Path) -> list[str]:
    """Copy the teacher's weights into ``model`` (as many layers as it has); returns what stayed as it was."""
    import torch

    state = teacher_state(onnx_path)
    own = model.state_dict()
    keep = {k: torch.from_numpy(v) for k, v in state.items() if k in own and own[k].shape == v.shape}
    missing = [k for k in own if k not in keep]
    model.load_state_dict(keep, strict=False)
    return missing


def unlabelled_english(data: str | Path) -> list[Analysis]:
    """The English SemEval-2023 test articles (labels never published): soft targets only."""
    from ..readers.semeval import _read_article, find_2023

    folder = find_2023(data, "en") / "unlabelled-test-articles"
    return [Analysis(article=_read_article(p, "en")) for p in sorted(folder.glob("article*.txt"))]


def soft_targets(texts: Sequence[str], offsets: Sequence[np.ndarray], model_dir: str | Path | None = None,
                 threads: int = 2) -> list[np.ndarray]:
    """The teacher's stitched token probabilities per text, on the training tokenisation.

    Raises when the teacher's tokenizer cuts a text differently (the soft targets would be misplaced).
    """
    from ..detect.tagger import SpanTagger

    tagger = SpanTagger(model_dir=model_dir or models.BUNDLED, threads=threads)
    out = []
    for k in range(0, len(texts), 16):
        arts = [Article(id=str(i), text=t) for i, t in enumerate(texts[k:k + 16])]
        for (offs, probs), mine in zip(tagger.token_probs(arts), offsets[k:k + 16]):
            if not np.array_equal(offs, mine):  # shapes too
                raise ValueError("the teacher's tokenizer does not match the student's")
            out.append(probs.astype(np.float32))
    return out
