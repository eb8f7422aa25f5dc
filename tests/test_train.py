"""Training data preparation: token/label alignment and windows (no torch, no training)."""

from __future__ import annotations

import numpy as np
import pytest

from propscan.document import Analysis, Article, Span
from propscan.train.data import make_windows, token_labels

LABELS = ["Loaded_Language", "Doubt"]


def test_token_labels_mark_tokens_overlapping_a_span():
    # tokens: [0,3) [4,8) [9,14) [15,20)
    offs = np.array([[0, 3], [4, 8], [9, 14], [15, 20]])
    y = token_labels(offs, [(5, 12, "Loaded_Language"), (15, 20, "Doubt"), (0, 0, "Doubt")], LABELS)
    assert y[:, 0].tolist() == [0, 1, 1, 0]
    assert y[:, 1].tolist() == [0, 0, 0, 1]


def test_token_labels_ignore_unknown_techniques_and_gaps():
    offs = np.array([[0, 3], [4, 8]])
    y = token_labels(offs, [(3, 4, "Loaded_Language"), (0, 8, "Slogans")], LABELS)
    assert y.sum() == 0  # a span covering only the space touches no token


def test_windows_wrap_tokens_in_cls_sep_and_mask_labels():
    from propscan.train.data import Encoded

    n = 13
    e = Encoded("a", np.arange(100, 100 + n), np.stack([np.arange(n) * 2, np.arange(n) * 2 + 1], 1),
                np.eye(n, 2, dtype=np.float32))
    w = make_windows([e], window=6, stride=4, cls_id=1, sep_id=2)
    ids, mask, y, lm = w["input_ids"], w["attention_mask"], w["labels"], w["label_mask"]
    assert ids.shape == (3, 8)  # windows [0,6) [4,10) [7,13)
    assert ids[0].tolist() == [1, 100, 101, 102, 103, 104, 105, 2]
    assert ids[2, 1] == 107 and ids[2, -1] == 2
    assert mask.sum() == 3 * 8
    assert lm[:, 0].sum() == 0 and lm[:, -1].sum() == 0 and lm.sum() == 18
    assert y[0, 1].tolist() == [1, 0] and y[0, 2].tolist() == [0, 1]


def test_encode_aligns_real_tokenizer_offsets(tmp_path):
    import pytest

    tokenizers = pytest.importorskip("tokenizers")
    from propscan.runtime.models import BUNDLED as MODEL_DIR

    path = MODEL_DIR / "tokenizer.json"
    if not path.exists():
        pytest.skip("no bundled tokenizer")
    from propscan.train.data import encode, load_tokenizer

    tok = load_tokenizer(path)
    text = "Title\n\nThe evil elite lied."
    start = text.index("evil elite")
    a = Analysis(article=Article(id="x", text=text), spans=[Span(start, start + 10, "Loaded_Language")])
    e = encode(a, tok, LABELS)
    marked = [text[s:t] for (s, t), on in zip(e.offsets, e.labels[:, 0]) if on]
    assert marked == ["evil", "elite"]
    assert isinstance(tokenizers.__version__, str)


def test_distillation_windows_carry_the_teachers_probabilities_and_whether_gold_exists():
    from propscan.train.data import Encoded
    from propscan.train.data import article_windows

    n = 5
    soft = np.linspace(0, 1, n * 2, dtype=np.float32).reshape(n, 2)
    e = Encoded("u", np.arange(100, 100 + n), np.stack([np.arange(n) * 2, np.arange(n) * 2 + 1], 1),
                np.zeros((n, 2), np.float32), soft=soft, hard=False)
    w = article_windows(e, [(0, n)], window=6, cls_id=1, sep_id=2)
    assert w["hard"].tolist() == [0.0]  # an unlabelled text: only its soft targets teach
    assert np.array_equal(w["soft"][0, 1:n + 1], soft) and w["soft"][0, 0].sum() == 0
    plain = article_windows(Encoded("g", e.ids, e.offsets, e.labels), [(0, n)], window=6, cls_id=1, sep_id=2)
    assert "soft" not in plain and plain["hard"].tolist() == [1.0]


def test_teacher_weights_are_read_back_from_the_shipped_int8_graph():
    pytest.importorskip("onnx")
    from propscan.runtime import models
    from propscan.train.distill import teacher_state

    state = teacher_state(models.BUNDLED / models.TAGGER_ONNX)
    assert state["encoder.embeddings.word_embeddings.weight"].shape == (30522, 384)
    assert state["head.weight"].shape == (23, 384) and state["head.bias"].shape == (23,)
    layers = models.tagger_config()["layers"]  # the shipped tagger is itself a student: 4 of MiniLM's 6
    assert f"encoder.encoder.layer.{layers}.attention.self.query.weight" not in state
    for layer in range(layers):  # every linear layer of every block found through the bias added to it
        p = f"encoder.encoder.layer.{layer}."
        assert state[p + "attention.self.query.weight"].shape == (384, 384)
        assert state[p + "intermediate.dense.weight"].shape == (1536, 384)
        assert state[p + "output.dense.weight"].shape == (384, 1536)
    assert all(np.isfinite(v).all() for v in state.values())


def test_a_student_never_shares_the_teachers_version_name():
    from propscan.train.pipeline import MODEL_NAME, model_name
    from propscan.train.trainer import TrainConfig

    assert model_name(TrainConfig(data="d")) == MODEL_NAME  # the shipped recipe keeps its name
    names = {model_name(TrainConfig(data="d", layers=3, distill=0.5)), model_name(TrainConfig(data="d", layers=3)),
             model_name(TrainConfig(data="d", distill=0.5)), MODEL_NAME,
             model_name(TrainConfig(data="d", layers=3, distill=0.5, paragraph_loss=0.5))}
    assert len(names) == 5


def test_windows_number_each_tokens_paragraph_from_the_windows_first():
    from propscan.train.data import Encoded, article_windows, token_lines

    text = "ab cd\nef\n\ngh ij"
    offs = np.array([[0, 2], [3, 5], [6, 8], [10, 12], [13, 15]])
    lines = token_lines(text, offs)
    assert lines.tolist() == [0, 0, 1, 3, 3]
    e = Encoded("p", np.arange(100, 105), offs, np.zeros((5, 2), np.float32), lines=lines)
    w = article_windows(e, [(2, 5)], window=4, cls_id=1, sep_id=2)
    assert w["para"][0].tolist() == [-1, 0, 2, 2, -1, -1]  # [CLS] ef gh ij [SEP] pad


def test_paragraph_loss_reads_each_paragraphs_highest_token_and_skips_unlabelled_tokens():
    torch = pytest.importorskip("torch")
    from propscan.train.trainer import paragraph_mil_loss

    logits = torch.tensor([[[-5.0], [3.0], [-4.0], [-6.0]]])  # one window, 4 tokens, 1 technique
    para = torch.tensor([[0, 0, 1, 1]])
    y = torch.tensor([[[0.0], [1.0], [0.0], [0.0]]])
    real = torch.ones(1, 4, dtype=torch.bool)
    got = paragraph_mil_loss(logits, y, para, real)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    want = bce(torch.tensor([3.0, -4.0]), torch.tensor([1.0, 0.0]))  # paragraph 0: max 3 (gold), 1: max -4
    assert torch.allclose(got, want)
    none = paragraph_mil_loss(logits, y, para, torch.zeros(1, 4, dtype=torch.bool))
    assert float(none) == 0.0  # no labelled token: nothing to learn


def test_title_context_puts_the_title_before_every_window_and_scores_only_the_windows_tokens():
    from propscan.train.data import Encoded, article_windows

    text = "Big news\n\nab cd ef"
    offs = np.array([[0, 3], [4, 8], [10, 12], [13, 15], [16, 18]])
    labels = np.eye(5, 2, dtype=np.float32)
    e = Encoded("t", np.arange(100, 105), offs, labels, text=text)
    w = article_windows(e, [(2, 5)], window=3, cls_id=1, sep_id=2, title=4)
    assert w["input_ids"][0].tolist() == [1, 100, 101, 2, 102, 103, 104, 2, 0, 0]  # [CLS] title [SEP] ... [SEP] pad
    assert w["label_mask"][0].tolist() == [0, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    assert w["labels"][0, 4:7].tolist() == labels[2:5].tolist()
    plain = article_windows(e, [(2, 5)], window=3, cls_id=1, sep_id=2)
    assert plain["input_ids"][0].tolist() == [1, 102, 103, 104, 2]
