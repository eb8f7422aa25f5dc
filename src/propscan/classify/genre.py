"""Genre of an article: opinion, reporting or satire (SemEval-2023 subtask 1).

A multinomial logistic regression over the multilingual embedding of the
article's lead, trained on all six SemEval-2023 languages with balanced class
weights. The training articles are ~80% opinion while news feeds are mostly
reporting; balanced weights make the model's output uniform-prior
probabilities, and ``prior`` (stored with the model) can shift them to the
class mix a deployment expects. See models/ARTICLE_MODEL_CARD.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..document import Analysis
from .features import load_npz, softmax
from .lead import EncoderModel, judged, lead_vectors

MODEL = Path(__file__).resolve().parents[1] / "models" / "genre.npz"
GENRES = ("opinion", "reporting", "satire")


class GenreClassifier(EncoderModel):
    name = "genre"
    MODEL = MODEL

    def __init__(self, path: Path = MODEL) -> None:
        z = load_npz(path)
        self.classes = [str(c) for c in z["classes"]]
        self.coef = z["coef"].astype(np.float32)
        self.intercept = z["intercept"].astype(np.float32)
        # log prior shift: zero = the balanced (uniform-prior) model
        self.log_prior = z["log_prior"].astype(np.float32) if "log_prior" in z.files else np.zeros(len(self.classes))
        self.version = str(z["version"])

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        batch = list(analyses)
        todo = judged(batch, "genre")
        if todo:
            probs = softmax(lead_vectors(todo) @ self.coef.T + self.intercept + self.log_prior)
            for a, p in zip(todo, probs):
                a.genre = {c: round(float(v), 4) for c, v in zip(self.classes, p)}
        yield from batch
