"""XLM-R's Unigram segmentation for the multilingual tagger, run by the C++ SentencePiece.

Why not the ``tokenizers`` library, which defines it (``train.multitagger prune``
writes both from one vocabulary): its Unigram holds the 53,114 pieces in a byte
trie of hash maps, 41 MB resident against SentencePiece's 9 MB, and a
mixed-language folder must stay under 500 MB (issue 16). SentencePiece applies
the same normaliser (the NFKC charsmap, spaces collapsed) and scores; ids and
character offsets are made to follow the ``tokenizers`` conventions the heads
were trained with: one offset character of whitespace before a word, a final
``▁`` when the text ends in whitespace, and each of the pieces a character
expands into (``…`` into ``...``) spanning that character. Measured on the
1,379 SemEval-2023 articles of the six languages: identical ids in 1,368 (28 of
1.6M tokens differ, ties broken another way in re-segmented words), identical
offsets in 1,335 (the others differ by a character next to zero-width spaces
and byte-order marks). See MULTI_TAGGER_CARD.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SPACE = "\u2581"

__all__ = ["Unigram"]


class Unigram:
    """``encode(text) -> (ids, offsets)`` with a SentencePiece model file (``models/multi-tokenizer.model``)."""

    def __init__(self, path: Path) -> None:
        import sentencepiece as spm

        self._sp = spm.SentencePieceProcessor(model_file=str(path))
        self._space = self._sp.piece_to_id(SPACE)

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (T,) int64 and character offsets (T, 2) int64 into ``text``; no special tokens."""
        pieces = self._sp.encode(text, return_type="proto").pieces
        raw = np.frombuffer(text.encode("utf-8"), np.uint8)
        char_of = np.cumsum((raw & 0xC0) != 0x80) - 1  # the character each UTF-8 byte belongs to
        n, nb = len(text), len(raw)
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        for p in pieces:
            a = int(char_of[p.begin]) if p.begin < nb else n
            e = int(char_of[p.end]) if p.end < nb else n
            while a < e - 1 and text[a].isspace() and text[a + 1].isspace():
                a += 1  # a run of whitespace before a word: only its last character, as ``tokenizers``
            if e <= a:  # one of the pieces a character normalises into: it spans that character
                e = min(a + 1, n)
            ids.append(p.id)
            offsets.append((a, e))
        if text.strip() and text[-1].isspace():
            ids.append(self._space)  # ``tokenizers`` keeps trailing whitespace as one last piece
            offsets.append((n - 1, n))
        return np.asarray(ids, dtype=np.int64), np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
