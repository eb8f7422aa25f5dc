"""The validation split every model and benchmark uses, fixed by article id.

A stable hash of the id (not Python's salted ``hash``) decides the fold, so
the split is the same on every machine and for every corpus that shares ids
(the SemEval-2020 articles are a subset of the SemEval-2023 English ones).
"""

from __future__ import annotations

import zlib
from typing import Sequence, TypeVar

from .document import Analysis

T = TypeVar("T", bound=Analysis)
FOLDS = 5
VALIDATION_FOLD = 0


def fold_of(article_id: str, folds: int = FOLDS) -> int:
    return zlib.crc32(str(article_id).encode("utf-8")) % folds


def is_validation(article_id: str) -> bool:
    return fold_of(article_id) == VALIDATION_FOLD


def split(items: Sequence[T]) -> tuple[list[T], list[T]]:
    """(train, validation): one fifth of the articles, chosen by id, for validation."""
    train = [a for a in items if not is_validation(a.article.id)]
    val = [a for a in items if is_validation(a.article.id)]
    return train, val
