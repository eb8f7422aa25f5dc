"""The article's lead (title + first paragraphs) as one multilingual vector.

Genre and framing show in how a piece opens; embedding only the lead keeps
the article-level models to a few milliseconds per article. The vector is
computed once per Analysis and shared by the genre and frame classifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..components import Base
from ..document import SUPPORTED_LANGUAGES, Analysis
from ..runtime import models
from ..runtime.settings import DEFAULT, Settings

LEAD_PARAGRAPHS = 3
E5_LEAD_PARAGRAPHS = 4  # the title and three paragraphs: chosen on the protocol among 1-6 (ARTICLE_MODEL_CARD.md)
_SCRATCH = "lead_vector"  # key of the vector in ``Analysis.scratch``
_E5_SCRATCH = "e5_lead_vector"  # key of the multilingual-e5 lead vector in ``Analysis.scratch``
PARAGRAPH_VECTORS = "paragraph_vectors"  # key of {paragraph text: its embedding} in ``Analysis.scratch``


def lead_texts(analysis: Analysis, paragraphs: int = LEAD_PARAGRAPHS) -> list[str]:
    art = analysis.article
    texts = [art.text[p.start:p.end] for p in art.paragraphs[:paragraphs]]
    return texts or [art.title or " "]


def start_encoder(settings: Settings = DEFAULT) -> None:
    """Start loading the multilingual encoder in the background (it takes the longest of all models)."""
    from ..runtime.encoders import MultilingualEmbedder

    MultilingualEmbedder.create(settings)


class EncoderModel(Base):
    """Factory part shared by the components that read the multilingual encoder.

    ``preload`` and ``create`` start the encoder loading as soon as the
    pipeline is planned; ``create`` gives None when the subclass's
    ``MODEL_FILE`` is absent from the models folder (a development checkout).
    Subclasses take ``(path, settings)`` and define ``pipe``.
    """

    MODEL_FILE: ClassVar[str]

    def __init__(self, path: Path, settings: Settings = DEFAULT) -> None:
        self.settings = settings

    @classmethod
    def available(cls, settings: Settings = DEFAULT) -> bool:
        """Whether the files this component reads are in the models folder."""
        return models.path(cls.MODEL_FILE, settings).is_file()

    @classmethod
    def start_loading(cls, settings: Settings = DEFAULT) -> None:
        """Start loading, on background threads, the encoders this component reads."""
        start_encoder(settings)

    @classmethod
    def preload(cls, settings: Settings = DEFAULT) -> None:
        if cls.available(settings):
            cls.start_loading(settings)

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> Any:
        if not cls.available(settings):
            return None
        cls.start_loading(settings)
        return cls(models.path(cls.MODEL_FILE, settings), settings)


def judged(batch: Sequence[Analysis], name: str) -> list[Analysis]:
    """The analyses an article-level model can judge; the others get a notice saying why not.

    A text under ``SCORE_MIN_WORDS`` words is not judged either: the models were fitted on articles of
    88 words and more, and a few words say nothing about genre or framing (no made-up probabilities).
    """
    from .profile import SCORE_MIN_WORDS, word_count

    todo = []
    for a in batch:
        if a.language() not in SUPPORTED_LANGUAGES:
            a.notices.append(f"{name}: not estimated for language {a.language() or 'unknown'!r} "
                             f"(supported: {', '.join(SUPPORTED_LANGUAGES)})")
        elif word_count(a.article.text) < SCORE_MIN_WORDS:
            a.notices.append(f"{name}: not estimated for a text under {SCORE_MIN_WORDS} words")
        else:
            todo.append(a)
    return todo


def _cached(analyses: Sequence[Analysis], key: str, dim: int,
            compute: Callable[[list[Analysis]], Sequence[np.ndarray]]) -> np.ndarray:
    """(articles, dim) unit vectors kept in ``Analysis.scratch[key]``: ``compute`` runs once, on those without one."""
    todo = [a for a in analyses if a.scratch.get(key) is None]
    for a, v in zip(todo, compute(todo) if todo else []):
        a.scratch[key] = v / (np.linalg.norm(v) or 1.0)
    if not analyses:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([a.scratch[key] for a in analyses])


def lead_vectors(analyses: Sequence[Analysis], settings: Settings = DEFAULT) -> np.ndarray:
    """(articles, 512) unit vectors: mean of the lead paragraphs' embeddings, cached per Analysis."""
    from ..runtime.encoders import USE_DIM, MultilingualEmbedder

    def compute(todo: list[Analysis]) -> list[np.ndarray]:
        # paragraphs another component already embedded (the pooled-USE paragraph model) are not embedded again
        leads = [lead_texts(a) for a in todo]
        missing = sorted({t for a, ts in zip(todo, leads) for t in ts if t not in a.scratch.get(PARAGRAPH_VECTORS, {})})
        fresh = dict(zip(missing, MultilingualEmbedder.create(settings).embed(missing))) if missing else {}
        known = [a.scratch.get(PARAGRAPH_VECTORS, {}) for a in todo]
        return [np.mean([k[t] if t in k else fresh[t] for t in ts], axis=0) for k, ts in zip(known, leads)]

    return _cached(analyses, _SCRATCH, USE_DIM, compute)


def e5_lead_vectors(analyses: Sequence[Analysis], settings: Settings = DEFAULT) -> np.ndarray:
    """(articles, 1152) unit vectors: the span tagger's e5 features averaged over the lead, cached per Analysis.

    The lead here is the first ``E5_LEAD_PARAGRAPHS`` paragraphs (the title is the first), one line each.

    Why a second lead vector: on the validation protocol it carries genre better than the sentence
    encoder alone (ARTICLE_MODEL_CARD.md); one encoder run over at most 254 tokens per article.
    """
    from ..detect.multitagger import shared_encoder

    def compute(todo: list[Analysis]) -> list[np.ndarray]:
        encoder = shared_encoder(settings)
        return [encoder.mean_features("\n".join(lead_texts(a, E5_LEAD_PARAGRAPHS))) for a in todo]

    return _cached(analyses, _E5_SCRATCH, 0, compute)


def remember_lead_vectors(analyses: Sequence[Analysis], vectors: np.ndarray, e5: np.ndarray | None = None) -> None:
    """Attach precomputed lead vectors (training reads them from a cache) so ``lead_vectors`` reuses them."""
    for i, (a, v) in enumerate(zip(analyses, vectors)):
        a.scratch[_SCRATCH] = v
        if e5 is not None:
            a.scratch[_E5_SCRATCH] = e5[i]

