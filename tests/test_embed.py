"""The shared sentence encoder: unit-length vectors whose geometry means something."""

from __future__ import annotations

import numpy as np
import pytest

from propscan.runtime.encoders import DIM, ENCODER_ONNX, Embedder

pytestmark = pytest.mark.skipif(not ENCODER_ONNX.is_file(), reason="encoder.onnx not exported")


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.create()


def test_shape_and_unit_length(embedder: Embedder) -> None:
    vecs = embedder.embed(["The minister resigned on Tuesday.", "Short.", "", "word " * 600])
    assert vecs.shape == (4, DIM)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_empty_list(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, DIM)


def test_similar_sentences_are_closer_than_unrelated(embedder: Embedder) -> None:
    a, b, c = embedder.embed([
        "The president resigned after the corruption scandal.",
        "After the bribery affair the head of state stepped down.",
        "Heavy rain is expected in the mountains this weekend.",
    ])
    assert a @ b > a @ c + 0.2


def test_order_and_batching_do_not_change_results(embedder: Embedder) -> None:
    texts = ["Troops crossed the border at dawn.", "Markets fell sharply.", "A much longer paragraph " * 20]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.all((together * alone).sum(axis=1) > 0.97)


def test_create_loads_once() -> None:
    assert Embedder.create() is Embedder.create()


def test_runtime_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = ("import sys; from propscan.runtime.encoders import Embedder; Embedder.create().embed(['x']); "
            "bad = [m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0
