"""The six-language span tagger (issue 16): head arithmetic, vocabulary pruning, the runtime component."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from propscan.detect import multitagger as M
from propscan.runtime import models
from propscan.document import Analysis, Article, ParagraphLabels

BUNDLED = models.has_multi_tagger()
needs_model = pytest.mark.skipif(not BUNDLED, reason="multilingual tagger model files absent")

FRENCH = ("Le gouvernement ment aux Français\n\n"
          "Ces traîtres corrompus veulent détruire notre pays et voler notre liberté. "
          "Tout le monde sait que c'est une catastrophe absolue, une honte nationale !\n\n"
          "Le ministre a présenté mardi un projet de loi sur les retraites.")


def test_head_matches_torch() -> None:
    """The numpy head the runtime runs gives the torch head's probabilities (eval mode)."""
    torch = pytest.importorskip("torch")
    from propscan.train.multitagger_fit import head_arrays, make_head

    torch.manual_seed(0)
    head = make_head(12, 3, 8, 5).eval()
    head.mu.copy_(torch.randn(12))
    head.sd.copy_(torch.rand(12) + 0.5)
    x = np.random.default_rng(0).normal(size=(9, 12)).astype(np.float32)
    with torch.no_grad():
        ref = torch.sigmoid(head(torch.from_numpy(x)[None]))[0].numpy()
    got = M.head_probs(head_arrays(head), x)
    assert np.abs(ref - got).max() < 1e-5


def test_prune_keeps_segmentation_and_resegments_unseen_words() -> None:
    """Texts whose pieces are kept segment as before; a rare word's piece is dropped and it splits into kept ones."""
    from tokenizers import Tokenizer

    from propscan.train.multitagger import prune_tokenizer

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581chat", -2.0), ("\u2581chien", -2.0),
              ("\u2581", -3.0), ("c", -5.0), ("h", -5.0), ("a", -5.0), ("t", -5.0), ("i", -5.0), ("e", -5.0),
              ("n", -5.0), ("s", -5.0), ("\u2581chats", -2.5)]
    tok_json = {"version": "1.0", "truncation": None, "padding": None,
                "added_tokens": [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                                  "normalized": False, "special": True} for i, (p, _) in enumerate(pieces[:4])],
                "normalizer": None, "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581",
                                                      "prepend_scheme": "always", "split": True},
                "post_processor": None, "decoder": None,
                "model": {"type": "Unigram", "unk_id": 3, "vocab": [list(p) for p in pieces], "byte_fallback": False}}
    full = Tokenizer.from_str(json.dumps(tok_json))
    counts = collections.Counter(full.encode("chat chien chat chien chien", add_special_tokens=False).ids)
    counts[len(pieces) - 1] = 1  # "chats" seen once: below min_count, dropped
    pruned, keep = prune_tokenizer(tok_json, dict(counts), min_count=2)
    small = Tokenizer.from_str(json.dumps(pruned))
    assert "\u2581chats" not in [p for p, _ in pruned["model"]["vocab"]]
    assert small.encode("chat chien", add_special_tokens=False).tokens == ["\u2581chat", "\u2581chien"]
    got = small.encode("chats", add_special_tokens=False)
    assert got.tokens == ["\u2581chat", "s"] and "<unk>" not in got.tokens
    assert keep[:4] == [0, 1, 2, 3] and pruned["model"]["unk_id"] == 3


def _analysis(text: str, language: str) -> Analysis:
    paras, pos = [], 0
    for i, line in enumerate(text.split("\n")):
        if line.strip():
            paras.append(ParagraphLabels(pos, pos + len(line), i))
        pos += len(line) + 1
    return Analysis(article=Article(id="t1", text=text, language=language), paragraphs=paras)


@needs_model
def test_covers_the_five_languages_only() -> None:
    assert models.multi_tagger_languages() == {"fr", "de", "it", "pl", "ru"}


@needs_model
def test_french_article_gets_calibrated_spans_with_offsets_and_evidence() -> None:
    tagger = M.MultiTagger.create()
    assert tagger is not None
    a = _analysis(FRENCH, "fr")
    tagger(a)
    pool = a.spans + a.candidates
    assert pool, "no candidate span on a loaded French text"
    for s in pool:
        assert 0 <= s.start < s.end <= len(FRENCH)
        assert FRENCH[s.start:s.end].strip() == FRENCH[s.start:s.end]
        assert 0.0 <= s.score <= 1.0 and s.detector == M.MultiTagger.name
        assert s.evidence.startswith("tagger: probability")
    thr = a.decision["min_confidence"]
    assert thr == tagger.languages["fr"].threshold
    for p in a.paragraphs:  # span and paragraph labels agree by construction
        for s in a.spans:
            if p.start <= s.start < p.end:
                assert s.technique in p.techniques


@needs_model
def test_other_languages_untouched() -> None:
    tagger = M.MultiTagger.create()
    assert tagger is not None
    for lang in ("en", "ar"):
        a = _analysis(FRENCH, lang)
        tagger(a)
        assert not a.spans and not a.candidates and not a.decision


@needs_model
def test_english_tagger_notice_only_for_uncovered_languages() -> None:
    from propscan.detect.tagger import SpanTagger

    tagger = SpanTagger.create()
    if tagger is None:
        pytest.skip("English tagger model absent")
    fr, ar = _analysis(FRENCH, "fr"), _analysis("نص عربي قصير", "ar")
    tagger._process([fr, ar])
    assert not any("no span model" in n for n in fr.notices)
    assert any("no span model for language 'ar'" in n for n in ar.notices)


@needs_model
def test_pooled_model_leaves_to_the_tagger_the_languages_it_decides_alone() -> None:
    """Where the tagger's paragraph mode is "span", the default pipeline does not run the pooled-USE model."""
    from propscan.classify.multilingual import MultilingualTechniques

    cfg = models.multi_tagger_config()
    alone = {lang for lang, d in cfg["languages"].items() if d["paragraph_mode"] == "span"}
    made = MultilingualTechniques.create()
    assert made is not None and made.leave_to_tagger == alone
    assert MultilingualTechniques(models.path(models.MULTILINGUAL)).leave_to_tagger == frozenset()


def test_lead_vector_reuses_paragraph_embeddings(monkeypatch) -> None:
    """Lead paragraphs the pooled-USE model already embedded are not embedded again."""
    from propscan.classify import lead
    from propscan.runtime.encoders import MultilingualEmbedder

    def no_embedder(*_a, **_k):
        raise AssertionError("embedded again")

    monkeypatch.setattr(MultilingualEmbedder, "create", no_embedder)
    text = "Un titre\n\nPremier paragraphe.\n\nDeuxième paragraphe."
    a = Analysis(article=Article(id="x", text=text))
    texts = lead.lead_texts(a)
    vecs = {t: np.full(4, i + 1.0, np.float32) for i, t in enumerate(texts)}
    a.scratch[lead.PARAGRAPH_VECTORS] = vecs
    got = lead.lead_vectors([a])[0]
    want = np.mean(list(vecs.values()), axis=0)
    assert np.allclose(got, want / np.linalg.norm(want))


def test_sentencepiece_segments_as_the_tokenizers_unigram(tmp_path) -> None:
    """The runtime's SentencePiece model (``detect.unigram``) gives the ids and offsets of the ``tokenizers``
    Unigram it is written from, trailing whitespace and runs of blank lines included."""
    from tokenizers import Tokenizer

    from propscan.detect.unigram import Unigram
    from propscan.train.multitagger import sentencepiece_model

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581chat", -2.0), ("\u2581chien", -2.0),
              ("\u2581", -3.0), ("c", -5.0), ("h", -5.0), ("a", -5.0), ("t", -5.0), ("i", -5.0), ("e", -5.0),
              ("n", -5.0), ("s", -5.0), ("\u2581chats", -2.5), (".", -4.0)]
    tok_json = {"version": "1.0", "truncation": None, "padding": None,
                "added_tokens": [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                                  "normalized": False, "special": True} for i, (p, _) in enumerate(pieces[:4])],
                "normalizer": {"type": "Sequence", "normalizers": [
                    {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
                "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                  "split": True},
                "post_processor": None, "decoder": None,
                "model": {"type": "Unigram", "unk_id": 3, "vocab": [list(p) for p in pieces], "byte_fallback": False}}
    ref = Tokenizer.from_str(json.dumps(tok_json))
    (tmp_path / "m.model").write_bytes(sentencepiece_model(tok_json))
    uni = Unigram(tmp_path / "m.model")
    for text in ("chat chien", "chats.", "chat  chien chats ", "chien"):
        want = ref.encode(text, add_special_tokens=False)
        ids, offsets = uni.encode(text)
        assert ids.tolist() == want.ids, text
        assert [tuple(o) for o in offsets.tolist()] == [tuple(o) for o in want.offsets], text


@needs_model
def test_no_span_without_a_word() -> None:
    """Runs of characters the vocabulary does not know (emoji) are not marked as a technique."""
    from propscan.detect.multitagger import MultiTagger

    text = "Titre\n\n" + "\U0001F600 " * 300
    a = _analysis(text, "fr")
    MultiTagger.create()(a)
    assert all(any(ch.isalpha() for ch in text[s.start:s.end]) for s in a.spans)
    assert not a.spans


def test_feature_cache_of_another_encoder_is_refused(tmp_path, monkeypatch) -> None:
    """A cache stamped with another encoder, or unstamped, is one clear error; a new one is stamped."""
    from propscan.train import multitagger_data as D

    monkeypatch.setattr(D, "encoder_digest", lambda: "aaaa")
    D.check_feature_cache(tmp_path)
    assert (tmp_path / "feats" / "ENCODER").read_text().strip() == "aaaa"
    D.check_feature_cache(tmp_path)  # the same encoder: fine
    monkeypatch.setattr(D, "encoder_digest", lambda: "bbbb")
    with pytest.raises(ValueError, match="another encoder"):
        D.check_feature_cache(tmp_path)
    (tmp_path / "feats" / "ENCODER").unlink()
    (tmp_path / "feats" / "fr").mkdir()
    (tmp_path / "feats" / "fr" / "1.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="without an encoder stamp"):
        D.check_feature_cache(tmp_path)
