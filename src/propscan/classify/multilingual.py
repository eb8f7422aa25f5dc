"""Persuasion techniques per paragraph for French, German, Italian, Polish and Russian.

The English span tagger (MiniLM) cannot read these languages. Each paragraph
is described by its multilingual sentence embedding (Universal Sentence
Encoder multilingual v3), the embedding of the whole article (context: the
same sentence persuades differently in a rant and in a report) and character
n-gram TF-IDF (word stems, punctuation, quotes, casing); one logistic
regression per technique, trained on all six SemEval-2023 languages pooled,
turns them into scores, and per-language thresholds (tuned by
cross-validation) into labels. See models/MULTILINGUAL_MODEL_CARD.md.

Paragraphs in English are left to the English detectors; paragraphs in a
language no model covers get a notice and no labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..components import DECISION, LANGUAGE, PARAGRAPH_LABELS, PARAGRAPH_MODEL, PARAGRAPH_MODEL_SCORES
from ..detect.calibration import LISTED
from ..document import SUPPORTED_LANGUAGES, Analysis, ParagraphLabels
from ..runtime import models
from ..runtime.settings import DEFAULT, Settings
from .features import FeatureSet, linear_scores, load_npz, sigmoid
from .lead import PARAGRAPH_VECTORS, EncoderModel

MODEL = models.path(models.MULTILINGUAL)
ENGLISH = "en"
SUPPORTED = tuple(lang for lang in SUPPORTED_LANGUAGES if lang != ENGLISH)  # this model's: English has the tagger


def _read_parts(path: Path) -> dict[str, Any]:
    z = load_npz(path)
    features = FeatureSet.from_arrays(z)
    coef = z["coef"].astype(np.float32)
    langs = [str(x) for x in z["languages"]]
    # languages whose own model (dense features only) beat the pooled one out of fold in training
    own = [str(x) for x in z["own_languages"]] if "own_languages" in z else []
    # "own": the language's model alone; "mix": the mean of its probabilities and the pooled model's
    modes = [str(x) for x in z["own_modes"]] if "own_modes" in z else ["own"] * len(own)
    return {"techniques": [str(t) for t in z["classes"]], "features": features,
            "sparse_coef": coef[:, :features.width], "dense_coef": coef[:, features.width:],
            "intercept": z["intercept"].astype(np.float32),
            "thresholds": {lang: z["thresholds"][i].astype(np.float32) for i, lang in enumerate(langs)},
            "own": {lang: (z["own_coef"][i].astype(np.float32), z["own_intercept"][i].astype(np.float32))
                    for i, lang in enumerate(own)},
            "own_mode": dict(zip(own, modes)), "version": str(z["version"])}


def _model_parts(path: Path) -> dict[str, Any]:
    """The model file's parts, read once per file version in a process (two components use them; read-only)."""
    from ..runtime.registry import MODELS

    st = path.stat() if path.is_file() else None
    key = (str(path), st.st_mtime_ns, st.st_size) if st else str(path)
    return MODELS.value("st3-multilingual", key, lambda: _read_parts(path))


class MultilingualTechniques(EncoderModel):
    """Fills ``paragraphs[*].techniques/scores`` for paragraphs in a supported non-English language."""

    name = "techniques-multilingual"
    requires = (LANGUAGE, DECISION)  # the decision threshold of the English labels applies here too
    provides = (PARAGRAPH_LABELS,)
    MODEL_FILE = models.MULTILINGUAL

    def __init__(self, path: Path = MODEL, settings: Settings = DEFAULT,
                 leave_to_tagger: frozenset[str] = frozenset()) -> None:
        super().__init__(path, settings)
        # languages whose paragraphs the multilingual tagger labels alone: not computed here, only cleared
        self.leave_to_tagger = leave_to_tagger
        self.__dict__.update(_model_parts(path))  # read once, shared with ``ParagraphModelScores``

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> "MultilingualTechniques | None":
        """The default pipeline's component: it leaves to the multilingual tagger the languages whose paragraph
        probabilities that tagger computes alone (``models.multi_tagger_paragraph_languages``), as the models
        folder says; a component built directly computes every language."""
        made = super().create(settings)
        if made is not None:
            made.leave_to_tagger = models.multi_tagger_paragraph_languages(settings)
        return made

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        for a in analyses:
            self._label(a)
            yield a

    def _label(self, analysis: Analysis) -> None:
        # the article's decision threshold when the pipeline made one (detect.paragraphs.decide): one rule for
        # every language, since these probabilities are calibrated as they are (MULTILINGUAL_MODEL_CARD.md)
        shown = analysis.decision.get("min_confidence")
        got = self.probabilities(analysis)
        if got and analysis.paragraph_language(got[0][0]) == analysis.language():
            from ..taxonomy import TECHNIQUES

            analysis.undetected.setdefault("paragraphs", [t for t in TECHNIQUES if t not in self.techniques])
        for p, lang, pr in got:
            thr = self.thresholds[lang] if shown is None else np.full(len(self.techniques), shown)
            # replaces anything an English-only detector may have put here
            p.scores = {t: round(float(v), 4) for t, v in zip(self.techniques, pr) if v >= LISTED}
            p.techniques = [t for t, v, th in zip(self.techniques, pr, thr) if v >= th]
            p.reasons = {t: "paragraph" for t in p.techniques} if shown is not None else {}

    def scores(self, analysis: Analysis, para_text: list[str], langs: list[str]) -> np.ndarray:
        """(paragraphs, techniques) probabilities of the texts ``para_text`` (paragraphs of ``analysis``) in ``langs``.

        The article context is the mean of these paragraphs' embeddings; a language with its own model
        uses it (alone or mixed with the pooled one), any other language (English) the pooled model.
        """
        from ..runtime.encoders import MultilingualEmbedder

        embedder = MultilingualEmbedder.create(self.settings)
        vecs = embedder.embed(para_text)
        analysis.scratch[PARAGRAPH_VECTORS] = dict(zip(para_text, vecs))  # the lead vector reuses them
        context = vecs.mean(axis=0)
        context /= np.linalg.norm(context) or 1.0
        dense = np.hstack([vecs, np.repeat(context[None, :], len(para_text), axis=0)])
        rows = [self.features.transform_one(t) for t in para_text]
        probs = sigmoid(linear_scores(rows, self.sparse_coef, dense, self.dense_coef, self.intercept))
        for i, lang in enumerate(langs):
            if lang in self.own:
                coef, intercept = self.own[lang]
                mine = sigmoid(dense[i] @ coef.T + intercept)
                probs[i] = mine if self.own_mode[lang] == "own" else (probs[i] + mine) / 2
        return probs

    def probabilities(self, analysis: Analysis) -> list[tuple[ParagraphLabels, str, np.ndarray]]:
        """(paragraph, language, per-technique probabilities) for every paragraph in a supported language.

        Paragraphs in a language no model covers are emptied and flagged, with a notice.
        """
        text = analysis.article.text
        todo: list[tuple[ParagraphLabels, str]] = []
        unsupported: set[str] = set()
        for p in analysis.paragraphs:
            lang = analysis.paragraph_language(p)
            if lang in self.leave_to_tagger:
                p.techniques, p.scores = [], {}  # the multilingual tagger's alone (and no English guess)
            elif lang in self.thresholds:
                todo.append((p, lang))
            elif lang and lang != ENGLISH:
                unsupported.add(lang)
                # no model reads this language: no labels, whatever another detector guessed
                p.techniques, p.scores = [], {}
                p.flagged = p.flagged or f"language {lang!r} not supported for technique detection"
        for lang in sorted(unsupported):
            analysis.notices.append(
                f"techniques: language {lang!r} is not supported (supported: {', '.join(SUPPORTED_LANGUAGES)}); "
                "its paragraphs carry no technique labels")
        if not todo:
            return []
        probs = self.scores(analysis, [text[p.start:p.end] for p, _ in todo], [lang for _, lang in todo])
        return [(p, lang, pr) for (p, lang), pr in zip(todo, probs)]


class ParagraphModelScores(MultilingualTechniques):
    """The same paragraph model's probabilities for English paragraphs, as a second opinion for the tagger.

    Why: its features (a multilingual sentence embedding of the paragraph and of the article, character
    n-grams) are not the tagger's, and on the validation protocol English paragraph probabilities that
    mix both models' calibrated ones (``detect.calibration``) label paragraphs better than the tagger alone,
    most on articles of another release (MODEL_CARD.md). It labels nothing: the probabilities go to ``Analysis.scratch``
    (``PARAGRAPH_MODEL_SCORES``: paragraph index -> probabilities in ``techniques`` order), read by the
    tagger, which comes next.
    """

    name = "paragraph-model"
    requires = (LANGUAGE,)
    provides = (PARAGRAPH_MODEL,)

    def _label(self, analysis: Analysis) -> None:
        text = analysis.article.text
        todo = [i for i, p in enumerate(analysis.paragraphs)
                if not p.flagged and analysis.paragraph_language(p) == ENGLISH and text[p.start:p.end].strip()]
        if not todo:
            return
        probs = self.scores(analysis, [text[analysis.paragraphs[i].start:analysis.paragraphs[i].end] for i in todo],
                            [ENGLISH] * len(todo))
        analysis.scratch[PARAGRAPH_MODEL_SCORES] = {"techniques": self.techniques,
                                                   "rows": dict(zip(todo, probs))}
