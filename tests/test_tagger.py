"""The span tagger: windows, stitching, decoding (tiny hand-made inputs) and the shipped ONNX model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from propscan.detect import decoding as dec
from propscan.detect import tagger as tg
from propscan.document import Analysis, Article
from propscan.runtime import models
from propscan.runtime.settings import Settings

LABELS = ["Loaded_Language", "Doubt"]


def test_windows_cover_every_token_once_at_least():
    for n in (0, 1, 5, 10, 11, 25, 100):
        ws = dec.windows(n, 10, 7)
        covered = set()
        for a, b in ws:
            assert 0 <= a < b <= n and b - a <= 10
            covered.update(range(a, b))
        assert covered == set(range(n))
    assert dec.windows(0, 10, 7) == []
    assert dec.windows(5, 10, 7) == [(0, 5)]
    assert dec.windows(20, 10, 7) == [(0, 10), (7, 17), (10, 20)]


def test_windows_offset_moves_the_grid_but_keeps_the_ends():
    ws = dec.windows(40, 10, 8, offset=3)
    assert ws[0] == (0, 10) and ws[-1][1] == 40
    assert (3, 13) in ws


def test_stitch_prefers_the_window_that_saw_more_context():
    # 12 tokens, windows [0,8) and [4,12); token 7 is at the edge of window 1 and central-ish in window 2
    p1 = np.zeros((8, 1), np.float32)
    p2 = np.ones((8, 1), np.float32)
    out = dec.stitch(12, [(0, 8), (4, 12)], [p1, p2])
    assert out.shape == (12, 1)
    assert out[:4, 0].tolist() == [0, 0, 0, 0]
    assert out[8:, 0].tolist() == [1, 1, 1, 1]
    assert out[7, 0] > 0.5 > out[4, 0]  # each overlap token leans to the window it is deeper in


def _toks(text: str):
    import re

    return np.array([(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)], dtype=np.int64)


def test_decode_spans_trims_and_splits_at_line_breaks():
    text = "Title here\n\nThe evil, corrupt elite lied.\nAgain!"
    offs = _toks(text)
    probs = np.zeros((len(offs), 2), np.float32)
    words = [text[s:e] for s, e in offs]
    for w in ("evil", ",", "corrupt", "elite"):
        probs[words.index(w), 0] = 0.9
    probs[words.index("lied"), 1] = 0.7
    probs[words.index("."), 1] = 0.7
    probs[words.index("Again"), 1] = 0.7
    got = dec.decode_spans(text, offs, probs, LABELS, [0.5, 0.5])
    spans = {(text[s:e], t) for s, e, t, _ in got}
    assert ("evil, corrupt elite", "Loaded_Language") in spans
    # "lied." and "Again" are on different lines: two spans, the full stop trimmed away
    assert ("lied", "Doubt") in spans and ("Again", "Doubt") in spans
    for s, e, t, score in got:
        assert text[s] not in " .,!" and text[e - 1] not in " .,!"
        assert 0.5 <= score <= 1.0


def test_decode_spans_respects_thresholds_and_allowed_ranges():
    text = "Title\n\nA dreadful idea."
    offs = _toks(text)
    probs = np.zeros((len(offs), 2), np.float32)
    probs[2, 0] = 0.4  # "dreadful"
    assert dec.decode_spans(text, offs, probs, LABELS, [0.5, 0.5]) == []
    assert len(dec.decode_spans(text, offs, probs, LABELS, [0.3, 0.5])) == 1
    assert dec.decode_spans(text, offs, probs, LABELS, [2.0, 0.5]) == []  # technique off
    assert dec.decode_spans(text, offs, probs, LABELS, [0.3, 0.5], allowed=[(0, 5)]) == []


def test_candidates_without_a_letter_are_never_emitted():
    text = "Title\n\nPrices rose 1999 %%%% then fell."
    offs = _toks(text)
    probs = np.zeros((len(offs), 2), np.float32)
    words = [text[s:e] for s, e in offs]
    probs[words.index("1999"), 0] = 0.9  # a bare number, then symbols: no wording to judge
    probs[words.index("%"), 0] = 0.9
    probs[words.index("fell"), 1] = 0.9
    got = dec.decode_candidates(text, offs, probs, LABELS, [0.5, 0.5], min_chars=3)
    assert [(text[s:e], t) for s, e, t, _, _ in got] == [("fell", "Doubt")]


def test_paragraph_scores_take_the_highest_token_probability():
    text = "Title\n\nOne two.\nThree."
    offs = _toks(text)
    probs = np.zeros((len(offs), 2), np.float32)
    probs[1, 0] = 0.3  # "One"
    probs[2, 0] = 0.8  # "two"
    probs[4, 1] = 0.6  # "Three"
    got = dec.paragraph_scores(offs, probs, [(0, 5), (7, 15), (16, 22)])
    np.testing.assert_allclose(got, [[0, 0], [0.8, 0], [0, 0.6]], rtol=1e-6)


def test_evidence_names_the_words_that_carried_the_span_then_the_definition():
    ev = tg.evidence_for("Loaded_Language", 0.834, [("corrupt", 0.93), ("elite", 0.71)])
    assert ev.startswith("tagger: probability 0.83 that this is Loaded_Language")
    assert "\u201ccorrupt\u201d 0.93, \u201celite\u201d 0.71" in ev
    assert ev.index("elite") < ev.index("emotional")  # the words first, the definition beside them


def test_key_words_are_whole_words_ranked_by_their_best_piece_without_function_words():
    text = "the corrupt elites lied"
    offs = np.array([[0, 3], [4, 11], [12, 16], [16, 18], [19, 23]])  # the / corrupt / elit ##es / lied
    col = np.array([0.99, 0.6, 0.2, 0.9, 0.1])
    assert tg.key_words(text, offs, col, 0, len(text), n=2) == [("elites", 0.9), ("corrupt", 0.6)]
    assert tg.key_words(text, offs, col, 19, 23) == [("lied", 0.1)]


def test_create_returns_none_without_model_files(tmp_path):
    assert tg.SpanTagger.create(Settings(models_dir=tmp_path)) is None


# -- the shipped model ---------------------------------------------------------

needs_model = pytest.mark.skipif(not (models.BUNDLED / models.TAGGER_ONNX).is_file(), reason="no bundled tagger model")

ARTICLE = """Globalist elites betray the hard-working people again

The corrupt, power-hungry elites in Brussels have once again stabbed ordinary citizens in the back.
These shameless traitors will stop at nothing to destroy our nation and our proud traditions.
Can we really trust anything these so-called experts tell us?
The ministry published its annual budget report on Tuesday.
"""


@pytest.fixture(scope="module")
def tagger():
    return tg.SpanTagger()


@needs_model
def test_shipped_model_tags_a_loaded_article(tagger):
    a = Analysis(article=Article(id="t1", text=ARTICLE))
    tagger(a)
    assert a.spans, "the tagger found nothing in an obviously loaded article"
    text = a.article.text
    for s in a.spans:
        assert 0 <= s.start < s.end <= len(text)
        frag = text[s.start:s.end]
        assert frag == frag.strip() and "\n" not in frag
        assert s.detector == "tagger" and 0.0 < s.score <= 1.0
        assert s.evidence.startswith("tagger: ") and s.technique in s.evidence
    found = {s.technique for s in a.spans}
    assert found & {"Loaded_Language", "Name_Calling-Labeling"}
    assert any(p.scores for p in a.paragraphs)
    # the neutral last line gets little
    last = a.paragraphs[-1]
    assert not any(s.technique == "Name_Calling-Labeling" for s in a.spans_in(last.start, last.end))


@needs_model
def test_shipped_model_batches_like_single_calls(tagger):
    arts = [Article(id=str(i), text=ARTICLE if i % 2 else "Short title\n\nA calm note.") for i in range(5)]
    batched = list(tagger.pipe([Analysis(article=a) for a in arts]))
    single = [tagger(Analysis(article=a)) for a in arts]
    for x, y in zip(batched, single):
        assert [(s.start, s.end, s.technique) for s in x.sorted_spans()] == \
               [(s.start, s.end, s.technique) for s in y.sorted_spans()]


@needs_model
def test_long_article_windows_are_stitched(tagger):
    body = "\n".join(f"Paragraph {i}: the corrupt traitors lied again about the budget numbers." for i in range(80))
    art = Article(id="long", text="A long one\n\n" + body)
    (offs, probs), = tagger.token_probs([art])
    assert len(offs) > 3 * tagger.window
    assert probs.shape == (len(offs), len(tagger.labels))
    assert np.isfinite(probs).all() and probs.min() >= 0 and probs.max() <= 1


def test_title_context_feeds_the_title_before_each_window_and_returns_only_the_windows_scores():
    from propscan.detect.decoding import title_tokens

    class Recorder:
        def __init__(self):
            self.fed = []

        def get_inputs(self):
            return []

        def run(self, _, feed):
            self.fed.append(feed["input_ids"])
            ids = feed["input_ids"]
            return [np.broadcast_to(ids[..., None] / 1000.0, (*ids.shape, 2)).astype(np.float32)]

    from propscan.detect.tagger import SpanTagger

    t = SpanTagger.__new__(SpanTagger)
    t.cls_id, t.sep_id, t.pad_id, t._inputs, t._lock = 1, 2, 0, None, __import__("threading").Lock()
    rec = Recorder()
    t._session = type("S", (), {"get": lambda self: rec})()
    text = "Title words\n\nbody one two"
    ids = np.array([10, 11, 20, 21, 22])
    offs = np.array([[0, 5], [6, 11], [13, 17], [18, 21], [22, 25]])
    prefix = title_tokens(text, ids, offs, 24)
    assert prefix.tolist() == [10, 11]
    out = t._run([ids[2:5], ids[3:5]], prefix)
    assert rec.fed[0][0].tolist() == [1, 10, 11, 2, 20, 21, 22, 2]
    assert rec.fed[0][1].tolist() == [1, 10, 11, 2, 21, 22, 2, 0]
    assert [np.rint(o[:, 0] * 1000).astype(int).tolist() for o in out] == [[20, 21, 22], [21, 22]]  # the body's
    assert title_tokens(text, ids, offs, 1).tolist() == [10]  # at most the limit


@needs_model
def test_other_languages_and_flagged_paragraphs_get_no_spans(tagger):
    a = Analysis(article=Article(id="ar", text=ARTICLE, language="ar"))  # fr/de/it/pl/ru: detect.multitagger
    tagger(a)
    assert a.spans == [] and any("language" in n for n in a.notices)
    b = Analysis(article=Article(id="en", text=ARTICLE))
    for p in b.paragraphs[1:3]:
        p.flagged = "language: de"
    tagger(b)
    for p in b.paragraphs[1:3]:
        assert not list(b.spans_in(p.start, p.end))
        assert p.scores == {}


@needs_model
def test_technique_scores_for_given_spans(tagger):
    art = Article(id="t", text=ARTICLE)
    start = ARTICLE.index("shameless traitors")
    got = tagger.technique_scores(art, [(start, start + len("shameless traitors")), (0, 0)])
    assert len(got) == 2
    assert set(got[0]) == set(tagger.labels)
    assert max(got[0], key=got[0].get) in {"Name_Calling-Labeling", "Loaded_Language"}
    assert all(v == 0.0 for v in got[1].values())


@needs_model
def test_model_config_is_complete():
    import json

    cfg = json.loads((models.BUNDLED / models.TAGGER_CONFIG).read_text(encoding="utf-8"))
    for key in ("labels", "version", "trained", "window", "stride", "span_thresholds", "paragraph_thresholds"):
        assert key in cfg
    assert len(cfg["labels"]) == 23
    assert (models.BUNDLED / "MODEL_CARD.md").is_file()
    assert (models.BUNDLED / models.TAGGER_ONNX).stat().st_size < 30 * 1024 * 1024


def test_runtime_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, propscan.detect.tagger, propscan.detect.repetition, propscan.detect.paragraphs; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent)
