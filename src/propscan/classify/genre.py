"""Genre of an article: opinion, reporting or satire (SemEval-2023 subtask 1).

A multinomial logistic regression over two multilingual embeddings of the
article's lead (the sentence encoder's, and the span tagger's e5 features)
and whole-article style measures (``classify.style``: quotation,
attribution, first/second person, numbers, questions, ...), trained on all six
SemEval-2023 languages with balanced class weights. The training articles are
~80% opinion while news feeds are mostly reporting, so the raw scores are
recalibrated (a temperature and a bias per genre, fitted out-of-fold) to give
probabilities for a feed with the genre mix ``prior`` stored in the model
(the deployment prior, stated in models/ARTICLE_MODEL_CARD.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ..components import GENRE, LANGUAGE
from ..document import Analysis
from ..runtime import models
from ..runtime.settings import DEFAULT, Settings
from ..detect.multitagger import encoder_loading
from .features import load_npz, softmax
from .lead import EncoderModel, e5_lead_vectors, judged, lead_vectors
from .style import style_matrix

MODEL = models.path(models.GENRE)
GENRES = ("opinion", "reporting", "satire")


def genre_features(analyses: Sequence[Analysis], settings: Settings = DEFAULT) -> np.ndarray:
    """[sentence-encoder lead | style measures | e5 lead], unscaled: what the genre model reads (training too)."""
    return np.hstack([lead_vectors(analyses, settings), style_matrix(list(analyses)),
                      e5_lead_vectors(analyses, settings)]).astype(np.float32)


def feature_blocks(width: int) -> tuple[int, int, int]:
    """Widths of the blocks ``genre_features`` stacks, in its order; the e5 lead takes the rest of ``width``."""
    from ..runtime.encoders import USE_DIM
    from .style import STYLE_FEATURES

    return USE_DIM, len(STYLE_FEATURES), width - USE_DIM - len(STYLE_FEATURES)


class GenreClassifier(EncoderModel):
    name = "genre"
    requires = (LANGUAGE,)
    provides = (GENRE,)
    MODEL_FILE = models.GENRE

    def __init__(self, path: Path = MODEL, settings: Settings = DEFAULT) -> None:
        super().__init__(path, settings)
        z = load_npz(path)
        self.classes = [str(c) for c in z["classes"]]
        self.mean = z["mean"].astype(np.float32)
        self.scale = z["scale"].astype(np.float32)
        self.coef = z["coef"].astype(np.float32)
        self.intercept = z["intercept"].astype(np.float32)
        # calibration for the deployment mix: p = softmax(temperature * raw + bias)
        self.temperature = float(z["calib_temperature"])
        self.bias = z["calib_bias"].astype(np.float32)
        self.prior = {c: float(p) for c, p in zip(self.classes, z["prior"])}
        self.version = str(z["version"])

    @classmethod
    def available(cls, settings: Settings = DEFAULT) -> bool:
        """genre.npz and the e5 encoder its lead vector comes from."""
        return super().available(settings) and models.has_multi_encoder(settings)

    @classmethod
    def start_loading(cls, settings: Settings = DEFAULT) -> None:
        super().start_loading(settings)
        encoder_loading(settings)  # the e5 lead's encoder, on its own thread

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated decision values (uniform prior), as fitted."""
        return ((X - self.mean) / self.scale) @ self.coef.T + self.intercept

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.temperature * self.raw(X) + self.bias)

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        batch = list(analyses)
        todo = judged(batch, "genre")
        if todo:
            for a, p in zip(todo, self.probabilities(genre_features(todo, self.settings))):
                a.genre = {c: round(float(v), 4) for c, v in zip(self.classes, p)}
        yield from batch
