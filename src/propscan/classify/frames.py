"""Framing of an article: the 14 frames of SemEval-2023 subtask 2, multi-label.

One logistic regression per frame over word n-gram TF-IDF of the whole text
(vocabulary pooled over six languages) and the multilingual lead embedding.
Each frame has its own decision threshold, tuned by cross-validation on the
training articles; ``analysis.profile["frames_chosen"]`` holds the frames
that pass it (the top frame when none does: every annotated article has one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..document import Analysis
from .features import FeatureSet, linear_scores, load_npz, sigmoid
from .lead import TRAINED_LANGUAGES, language_of, lead_vectors

MODEL = Path(__file__).resolve().parents[1] / "models" / "frames.npz"


class FrameClassifier:
    name = "frames"

    def __init__(self, path: Path = MODEL) -> None:
        z = load_npz(path)
        self.frames = [str(f) for f in z["classes"]]
        self.features = FeatureSet.from_arrays(z)
        coef = z["coef"].astype(np.float32)
        self.sparse_coef = coef[:, :self.features.width]
        self.dense_coef = coef[:, self.features.width:]
        self.intercept = z["intercept"].astype(np.float32)
        self.thresholds = z["thresholds"].astype(np.float32)
        self.version = str(z["version"])

    @classmethod
    def create(cls) -> FrameClassifier | None:
        if not MODEL.is_file():
            return None
        from ..embed import MultilingualEmbedder

        MultilingualEmbedder.create()  # starts loading the encoder now, in the background
        return cls()

    def __call__(self, analysis: Analysis) -> Analysis:
        return next(iter(self.pipe([analysis])))

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        batch = list(analyses)
        todo = [a for a in batch if language_of(a) in TRAINED_LANGUAGES and a.article.text.strip()]
        chosen_ids = {id(a) for a in todo}
        for a in batch:
            if id(a) not in chosen_ids:
                a.notices.append(f"frames: not estimated for language {language_of(a) or 'unknown'!r} "
                                 f"(supported: {', '.join(TRAINED_LANGUAGES)})")
        if todo:
            rows = [self.features.transform_one(a.article.text) for a in todo]
            probs = sigmoid(linear_scores(rows, self.sparse_coef, lead_vectors(todo), self.dense_coef,
                                          self.intercept))
            for a, p in zip(todo, probs):
                a.frames = {f: round(float(v), 4) for f, v in zip(self.frames, p)}
                chosen = [f for f, v, t in zip(self.frames, p, self.thresholds) if v >= t]
                a.profile["frames_chosen"] = chosen or [self.frames[int(np.argmax(p - self.thresholds))]]
        yield from batch
