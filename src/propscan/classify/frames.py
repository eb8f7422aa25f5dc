"""Framing of an article: the 14 frames of SemEval-2023 subtask 2, multi-label.

One logistic regression per frame over word n-gram TF-IDF of the whole text
(vocabulary pooled over six languages) and the multilingual lead embedding.
Each frame's score is calibrated (Platt scaling fitted on out-of-fold scores),
so ``analysis.frames`` holds probabilities; one decision threshold for all
frames, chosen for micro-F1 out-of-fold, decides ``analysis.frames_chosen``
(the most probable frame when none passes it: every annotated article has one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..components import FRAMES, LANGUAGE
from ..document import Analysis
from ..runtime import models
from ..runtime.loading import Loading
from ..runtime.settings import DEFAULT, Settings
from .features import FeatureSet, linear_scores, load_npz, sigmoid
from .lead import EncoderModel, judged, lead_vectors

MODEL = models.path(models.FRAMES)


class FrameClassifier(EncoderModel):
    name = "frames"
    requires = (LANGUAGE,)
    provides = (FRAMES,)
    MODEL_FILE = models.FRAMES

    def __init__(self, path: Path = MODEL, settings: Settings = DEFAULT) -> None:
        super().__init__(path, settings)
        z = load_npz(path)
        self.version = str(z["version"])
        self.frames = [str(f) for f in z["classes"]]
        # the 86k-term vocabulary takes ~0.1 s to load and is needed last in the pipeline: in the background
        self._model = Loading(lambda: self._load(z), "frames")

    @staticmethod
    def _load(z: Any) -> tuple[FeatureSet, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        with z:
            features = FeatureSet.from_arrays(z)
            coef = z["coef"].astype(np.float32)
            # Platt calibration folded into the linear model: sigmoid(a * (w.x + b) + c)
            a, c = z["calib_a"].astype(np.float32), z["calib_b"].astype(np.float32)
            coef = coef * a[:, None]
            return (features, coef[:, :features.width], coef[:, features.width:],
                    z["intercept"].astype(np.float32) * a + c, z["thresholds"].astype(np.float32))

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        batch = list(analyses)
        todo = judged(batch, "frames")
        if todo:
            features, sparse_coef, dense_coef, intercept, thresholds = self._model.get()
            rows = [features.transform_one(a.article.text) for a in todo]
            probs = sigmoid(linear_scores(rows, sparse_coef, lead_vectors(todo, self.settings), dense_coef, intercept))
            for a, p in zip(todo, probs):
                a.frames = {f: round(float(v), 4) for f, v in zip(self.frames, p)}
                chosen = [f for f, v, t in zip(self.frames, p, thresholds) if v >= t]
                a.frames_chosen = chosen or [self.frames[int(np.argmax(p))]]
        yield from batch
